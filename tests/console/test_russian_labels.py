"""The console's Russian words agree with what they name, where the English uses one word for two things (a count
"Won" and a referral that is won; an organisation's name and a person's; a reason's kind and a button)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from partners.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(factories.user(role=Role.PROGRAMME_ADMIN, language="ru"))
    return client


def headers(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return re.findall(r'<th scope="col">([^<]*)</th>', response.content.decode())


def test_the_analytics_columns_count_in_the_neuter(admin):
    columns = headers(admin, "/console/analytics/")
    partner_table = columns[columns.index("Партнёр") :][:11]
    assert partner_table[1:2] + partner_table[6:8] == ["Получено", "Выиграно", "Проиграно"]


def test_the_partner_list_names_an_organisation(admin):
    assert headers(admin, "/console/partners/")[0] == "Название"


def test_the_programmes_reasons_are_grouped_by_a_noun(admin):
    body = admin.get("/console/programme/").content.decode()
    assert ("Отказ" in body, "Проигрыш" in body, ">Отклонить<" in body) == (True, True, False)
