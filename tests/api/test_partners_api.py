"""Partner organisations: programme admins add them (inviting the referrals admin by e-mail) and list them."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from django.utils import timezone

from notifications.delivery import deliver_due
from notifications.models import OutboxMessage
from partners.models import Partner, Role, User
from tests import factories
from tests.api import counting
from tests.api.conftest import client_for
from tests.smtp import html, subject, text

pytestmark = pytest.mark.django_db

SITE = "https://leadshare.example"
NORDLICHT = {"name": "Nordlicht IT", "admin_email": "Chef@Nordlicht.example", "country": "de"}


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_ROOT = SITE
    settings.SITE_NAME = "Leadshare"


def test_a_programme_admin_adds_a_partner_and_its_admin(operator_api):
    response = operator_api.post("/api/v1/partners", NORDLICHT)
    assert response.status_code == 201
    partner = Partner.objects.get(name="Nordlicht IT")
    admin = User.objects.get(email="chef@nordlicht.example")
    assert response.json() == {
        "id": partner.pk,
        "name": "Nordlicht IT",
        "country": "DE",
        "status": "active",
        "verified": False,
        "created_at": response.json()["created_at"],
        "admin": {"id": admin.pk, "email": "chef@nordlicht.example"},
    }
    assert (admin.partner, admin.role, admin.language, admin.is_active) == (partner, Role.REFERRALS_ADMIN, "en", True)
    assert not admin.has_usable_password()


def test_the_new_admin_is_invited_through_the_outbox(operator_api):
    operator_api.post("/api/v1/partners", NORDLICHT | {"language": "ru"})
    admin = User.objects.get(email="chef@nordlicht.example")
    [row] = OutboxMessage.objects.all()
    assert (row.template, row.to_address, row.language, row.referral_id, row.payload) == (
        "partner_invitation",
        "chef@nordlicht.example",
        "ru",
        None,
        {"user_id": admin.pk},
    )
    assert row.sent_at is None and row.due_at is not None


def _link(message_text: str) -> str:
    [url] = re.findall(r"https://leadshare\.example(/accounts/reset/\S+/)", message_text)
    return url


def test_the_invitation_link_lets_the_admin_set_a_password_once(operator_api, smtp_server):
    operator_api.post("/api/v1/partners", NORDLICHT)
    assert deliver_due(timezone.now()) == 1
    [message] = smtp_server.messages
    assert (subject(message), message["To"]) == (
        "Leadshare: set your password for Nordlicht IT",
        "chef@nordlicht.example",
    )
    link = _link(text(message))
    assert f'href="{SITE}{link}"' in html(message)
    browser = Client()
    page = browser.get(link, follow=True)
    assert page.status_code == 200
    assert "Set your password" in page.content.decode()
    assert "For chef@nordlicht.example." in page.content.decode()
    form_url = page.redirect_chain[-1][0]
    done = browser.post(
        form_url, {"new_password1": "Polar lights 2026", "new_password2": "Polar lights 2026"}, follow=True
    )
    assert done.status_code == 200
    assert "Your password is set" in done.content.decode()
    assert authenticate(username="chef@nordlicht.example", password="Polar lights 2026") is not None
    again = Client().get(link, follow=True)
    assert again.status_code == 200
    assert "This link no longer works" in again.content.decode()


def test_the_invitation_is_in_the_admins_language(operator_api, smtp_server):
    operator_api.post("/api/v1/partners", NORDLICHT | {"language": "ru"})
    deliver_due(timezone.now())
    [message] = smtp_server.messages
    assert subject(message) == "Leadshare: задайте пароль для Nordlicht IT"
    assert (
        "Задайте пароль, чтобы входить как chef@nordlicht.example: https://leadshare.example/accounts/reset/"
        in text(message)
    )


def test_a_taken_admin_email_is_409_and_creates_nothing(operator_api):
    factories.user(email="chef@nordlicht.example")
    before = counting.rows()
    response = operator_api.post("/api/v1/partners", NORDLICHT)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "Someone already has an account with chef@nordlicht.example. Invite a different address."
    )
    assert response.json()["errors"] == [{"field": "admin_email", "message": response.json()["detail"]}]
    assert counting.rows() == before


def test_invalid_fields_are_422_naming_each_and_create_nothing(operator_api):
    before = counting.rows()
    response = operator_api.post("/api/v1/partners", {"name": " ", "admin_email": "nobody", "country": "Germany"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "name", "message": "Enter the partner's name."},
        {"field": "admin_email", "message": "Enter a valid e-mail address."},
        {"field": "country", "message": "Use the two-letter country code, such as DE or RU."},
    ]
    assert counting.rows() == before


@pytest.mark.parametrize("role", [Role.REFERRALS_ADMIN, Role.PROFILE_ADMIN, Role.AGENT])
def test_only_programme_admins_add_or_list_partners(role):
    caller = client_for(factories.user(None, role=role, email="someone@example.com"))
    before = counting.rows()
    response = caller.post("/api/v1/partners", NORDLICHT)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only programme admins can manage partner organisations."
    assert caller.get("/api/v1/partners").status_code == 403
    assert counting.rows() == before


def test_the_partner_list_pages_with_a_cursor_oldest_first(operator_api):
    made = [factories.partner(name) for name in ("Zeta", "Alpha", "Mid")]
    first = operator_api.get("/api/v1/partners", limit=2).json()
    assert [p["name"] for p in first["items"]] == ["Zeta", "Alpha"]
    second = operator_api.get("/api/v1/partners", limit=2, cursor=first["next_cursor"]).json()
    assert (second["items"], second["next_cursor"]) == (
        [{"id": made[2].pk, "name": "Mid", "country": "DE", "status": "active", "verified": False,
          "created_at": second["items"][0]["created_at"]}],
        None,
    )  # fmt: skip


def test_a_cursor_we_did_not_give_out_is_422(operator_api):
    response = operator_api.get("/api/v1/partners", cursor="bm9wZQ")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "cursor", "message": "This cursor is not one we gave out."}]
