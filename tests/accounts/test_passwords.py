"""Password reset by e-mail (through the outbox) and accepting a team invitation."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from accounts import services
from notifications import emails
from notifications.models import OutboxMessage
from partners.models import Role, User
from tests import factories
from tests.accounts.conftest import link_in

pytestmark = pytest.mark.django_db


def test_a_reset_request_queues_one_e_mail_in_the_users_language(client):
    user = factories.user(email="anna@partner.example", language="ru")
    response = client.post("/accounts/password/reset/", {"email": "anna@partner.example"})
    assert (response.status_code, response["Location"]) == (302, "/accounts/password/reset/sent/")
    [row] = OutboxMessage.objects.all()
    assert (row.template, row.to_address, row.language, row.payload, row.sent_at) == (
        "password_reset",
        "anna@partner.example",
        "ru",
        {"user_id": user.pk},
        None,
    )
    assert emails.render(row).subject == "Leadshare: сброс пароля"


def test_the_reset_link_sets_a_new_password_signs_in_and_works_only_once(client):
    user = factories.user(email="anna@partner.example")
    client.post("/accounts/password/reset/", {"email": "anna@partner.example"})
    link = link_in(OutboxMessage.objects.get())
    browser = Client()
    form = browser.get(link, follow=True)
    assert "Set your password" in form.content.decode()
    done = browser.post(
        form.redirect_chain[-1][0], {"new_password1": "Polar lights 2026", "new_password2": "Polar lights 2026"}
    )
    assert (done.status_code, done["Location"]) == (302, "/accounts/reset/done/")
    assert browser.session[SESSION_KEY] == str(user.pk)
    user.refresh_from_db()
    assert user.check_password("Polar lights 2026")
    again = Client().get(link, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client):
    factories.user(email="anna@partner.example")
    response = client.post("/accounts/password/reset/", {"email": "nobody@partner.example"})
    assert (response.status_code, response["Location"]) == (302, "/accounts/password/reset/sent/")
    assert OutboxMessage.objects.count() == 0


def test_a_reset_for_a_deactivated_user_sends_nothing(client):
    factories.user(email="gone@partner.example", is_active=False)
    client.post("/accounts/password/reset/", {"email": "gone@partner.example"})
    assert OutboxMessage.objects.count() == 0


def test_an_invited_member_sets_a_password_and_is_signed_in():
    admin = factories.user(email="admin@partner.example", first_name="Olga", last_name="Admin")
    member = services.invite_member(admin, "New@Partner.Example", Role.REFERRALS_USER, "en", timezone.now())
    [row] = OutboxMessage.objects.all()
    assert (row.template, row.to_address, row.payload) == (
        "team_invitation",
        "new@partner.example",
        {"user_id": member.pk, "inviter": "Olga Admin"},
    )
    rendered = emails.render(row)
    assert rendered.subject == f"Leadshare: Olga Admin invites you to {admin.partner.name}"
    browser = Client()
    form = browser.get(link_in(row), follow=True)
    assert "For new@partner.example." in form.content.decode()
    done = browser.post(
        form.redirect_chain[-1][0], {"new_password1": "Polar lights 2026", "new_password2": "Polar lights 2026"}
    )
    assert done["Location"] == "/accounts/reset/done/"
    page = browser.get("/accounts/reset/done/")
    assert "You are signed in as new@partner.example." in page.content.decode()
    assert browser.get("/referrals/").status_code == 200
    member.refresh_from_db()
    assert (member.partner_id, member.role, member.check_password("Polar lights 2026")) == (
        admin.partner_id,
        Role.REFERRALS_USER,
        True,
    )


def test_an_invited_member_cannot_sign_in_before_setting_a_password(client):
    admin = factories.user()
    services.invite_member(admin, "new@partner.example", Role.REFERRALS_USER, "en", timezone.now())
    client.post("/accounts/login/", {"username": "new@partner.example", "password": ""})
    assert SESSION_KEY not in client.session
    assert not User.objects.get(email="new@partner.example").has_usable_password()
