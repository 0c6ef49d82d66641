"""The partner's inbox and referral page name the customer's city, country and the currencies in the reader's
language, from CLDR (partners.places), whatever language the customer typed the city in."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from referrals import services
from referrals.actors import ActorRef
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():  # type: ignore[no-untyped-def]
    """A Russian-speaking partner with a referral from Moscow (the customer typed it in English) and one from
    Berlin, which it is weighing."""
    profile = factories.profile()
    user = factories.user(profile.partner, language="ru")
    moscow = factories.referral(profile, country="RU", city="Moscow")
    berlin = factories.referral(profile, city="Berlin")
    services.mark_interested(berlin.pk, ActorRef.person(user), factories.NOW)
    client = Client()
    client.force_login(user)
    return client, moscow, berlin


def text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_inbox_reads_moscow_russia_in_russian(reader):
    client, _moscow, _berlin = reader
    fresh, weighed = text(client, "/referrals/"), text(client, "/referrals/?tab=evaluating")
    assert ("Москва, Россия" in fresh, "Берлин, Германия" in weighed) == (True, True)
    assert ("Moscow" in fresh, ", RU" in fresh, ", DE" in weighed) == (False, False, False)


def test_the_referral_page_reads_its_region_in_russian(reader):
    client, moscow, _berlin = reader
    assert "<dd>Москва, Россия</dd>" in text(client, f"/referrals/{moscow.pk}/")


def test_the_accept_forms_currencies_are_named_in_russian(reader):
    client, _moscow, berlin = reader
    body = text(client, f"/referrals/{berlin.pk}/")
    assert re.search(r'<option value="RUB"[^>]*>RUB · российский рубль</option>', body)
    assert "Russian rouble" not in body
