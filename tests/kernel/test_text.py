"""The single-line rule: no control characters but the tab in a name, a company, a city, a label."""

from __future__ import annotations

import pydantic
import pytest
from django.test import Client

from kernel.text import LINE_MESSAGE, Line, line_error, line_errors
from partners.models import Role
from tests import factories
from tests.api import counting
from tests.api.conftest import client_for
from tests.api.test_engagements_api import request_body as engagements_body
from tests.api.test_profiles_api import AUSTRIA
from tests.console.test_agent_new_referral import form as agent_form
from tests.finder.customers import request_fields
from tests.finder.test_views import form as finder_form

CONTROLS = [chr(c) for c in (*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F)]


@pytest.mark.parametrize("character", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_every_control_character_but_the_tab_breaks_a_single_line(character):
    assert line_error(f"Contoso{character}GmbH") == LINE_MESSAGE
    assert LINE_MESSAGE == "Use a single line, without line breaks or other control characters."


@pytest.mark.parametrize("text", ["Contoso GmbH", "Contoso\tGmbH", "ООО «Ромашка» — Москва", "", "O'Brien & Co. #1"])
def test_ordinary_text_and_the_tab_are_a_single_line(text):
    assert line_error(text) is None


def test_line_errors_names_each_field_that_is_not_a_single_line():
    assert line_errors({"company": "Contoso\r\nBcc: x", "city": "Berlin", "phone": "+49\x0030"}) == {
        "company": LINE_MESSAGE,
        "phone": LINE_MESSAGE,
    }


class _Body(pydantic.BaseModel):
    company: Line


def test_a_schema_field_typed_line_refuses_a_line_break_with_the_same_message():
    assert _Body(company="Contoso\tGmbH").company == "Contoso\tGmbH"
    with pytest.raises(pydantic.ValidationError) as refused:
        _Body(company="Contoso\nGmbH")
    assert [(e["loc"], e["msg"], e["type"]) for e in refused.value.errors()] == [
        (("company",), LINE_MESSAGE, "single_line")
    ]


# --- Every input that takes a single line: the API and the pages -------------------------------


def _engagement(clients, profile):  # type: ignore[no-untyped-def]
    body = engagements_body([profile.pk], timeline="soon\r\nBcc: x")
    body["customer"] |= {"company": "Contoso\nGmbH", "contacts": [{"name": "Anna\x1b[31m", "email": "a@c.example"}]}
    response = clients["agent"].post("/api/v1/engagements", body, headers={"Idempotency-Key": "k"})
    return response, {"customer.company", "customer.contacts.0.name", "timeline"}


def _finder_request(clients, profile):  # type: ignore[no-untyped-def]
    body = request_fields([profile.pk], company="Contoso\rGmbH", contact_name="Anna\x01", city="Berlin")
    response = Client().post("/api/v1/finder/requests", body, content_type="application/json")
    return response, {"company", "contact_name"}


def _profile(clients, profile):  # type: ignore[no-untyped-def]
    body = AUSTRIA | {"locations": [{"city": "Wien\n", "address": "Ring\x0b1", "lat": 48.2, "lon": 16.4}]}
    body["contacts"] = [{"name": "Leads\x7f", "email": "leads@partner.example"}]
    response = clients["partner"].post("/api/v1/profiles", body)
    return response, {"locations.0.address", "contacts.0.name"}  # "Wien\n" is trimmed to Wien


def _partner(clients, profile):  # type: ignore[no-untyped-def]
    body = {"name": "Nordlicht\nIT", "admin_email": "chef@nordlicht.example", "country": "DE"}
    return clients["operator"].post("/api/v1/partners", body), {"name"}


def _token(clients, profile):  # type: ignore[no-untyped-def]
    return clients["partner"].post("/api/v1/tokens", {"name": "CRM\nsync"}), {"name"}


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_rate_limits")
@pytest.mark.parametrize("call", [_engagement, _finder_request, _profile, _partner, _token])
def test_the_api_refuses_a_control_character_in_a_single_line_field_by_field_and_changes_nothing(call):
    profile = factories.profile()
    clients = {
        "agent": client_for(factories.user(None, role=Role.AGENT, email="agent@operator.example")),
        "operator": client_for(factories.user(None, role=Role.PROGRAMME_ADMIN, email="boss@operator.example")),
        "partner": client_for(factories.user(profile.partner)),
    }
    before = counting.rows()
    response, fields = call(clients, profile)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert {field: errors.get(field) for field in fields} == dict.fromkeys(fields, LINE_MESSAGE)
    assert counting.rows() == before


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_rate_limits")
def test_the_finders_request_form_refuses_a_line_break_in_the_company_and_sends_nothing(client):
    profile = factories.profile()
    before = counting.rows()
    response = client.post("/partners/request/", finder_form([profile.pk], company="Contoso\r\nBcc: x@y.example"))
    assert response.status_code == 422
    page = " ".join(response.content.decode().split())
    assert "Use a single line, without line breaks or other control characters." in page
    assert counting.rows() == before


@pytest.mark.django_db
def test_the_agents_referral_form_shows_the_error_at_the_field_and_creates_nothing(client):
    profile = factories.profile()
    client.force_login(factories.user(None, role=Role.AGENT, email="agent@operator.example"))
    before = counting.rows()
    data = agent_form(step="send", partner=[str(profile.pk)], city="Berlin\nMitte")
    response = client.post("/console/referrals/new/", data)
    assert response.status_code == 422
    assert response.context["form"].errors["city"] == [LINE_MESSAGE]
    assert counting.rows() == before


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_rate_limits")
def test_the_finders_request_form_says_it_in_russian_too(client):
    profile = factories.profile()
    data = finder_form([profile.pk], contact_name="Анна\nПетрова")
    response = client.post("/partners/request/", data, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 422
    page = " ".join(response.content.decode().split())
    assert "Введите одну строку, без переносов строк и других управляющих символов." in page
