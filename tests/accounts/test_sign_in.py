"""Signing in by e-mail, signing out, and the sign-in rate limit."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from accounts import services
from console import admin_services
from console.models import AdminAction
from leadshare import envconfig
from notifications.models import OutboxMessage
from partners.models import Partner, Role, User
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def _sign_in(client: Client, email: str, password: str, ip: str = "203.0.113.7"):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_a_user_signs_in_with_the_e_mail_address_in_any_case_and_lands_on_the_inbox(client):
    user = factories.user(email="anna@partner.example")
    response = _sign_in(client, "Anna@Partner.Example", PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/referrals/")
    assert client.session[SESSION_KEY] == str(user.pk)


def test_a_wrong_password_is_refused_with_a_plain_message(client):
    factories.user(email="anna@partner.example")
    response = _sign_in(client, "anna@partner.example", "wrong")
    assert response.status_code == 200
    assert "That e-mail address and password do not match. Check both and try again." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_deactivated_user_cannot_sign_in(client):
    factories.user(email="gone@partner.example", is_active=False)
    response = _sign_in(client, "gone@partner.example", PASSWORD)
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_signing_out_ends_the_session(client):
    user = factories.user()
    client.force_login(user)
    response = client.post("/accounts/logout/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert SESSION_KEY not in client.session


def test_five_failures_lock_that_address_from_that_ip_even_for_the_right_password(client):
    user = factories.user(email="anna@partner.example")
    for _ in range(services.SIGN_IN_MAX_FAILURES):
        assert _sign_in(client, "anna@partner.example", "wrong").status_code == 200
    response = _sign_in(client, "anna@partner.example", PASSWORD)
    assert response.status_code == 200
    assert (
        "Too many failed attempts to sign in. Wait 15 minutes and try again, or reset your password."
        in response.content.decode()
    )
    assert SESSION_KEY not in client.session
    user.refresh_from_db()
    assert user.last_login is None
    assert user.check_password(PASSWORD)
    assert user.is_active
    assert OutboxMessage.objects.count() == 0


def test_four_failures_still_let_the_right_password_in_and_reset_the_count(client):
    factories.user(email="anna@partner.example")
    for _ in range(services.SIGN_IN_MAX_FAILURES - 1):
        _sign_in(client, "anna@partner.example", "wrong")
    assert _sign_in(client, "anna@partner.example", PASSWORD).status_code == 302
    assert not services.sign_in_locked("anna@partner.example", "203.0.113.7")


def test_the_lock_holds_for_one_address_and_ip_only(client):
    factories.user(email="anna@partner.example")
    factories.user(email="ben@partner.example")
    for _ in range(services.SIGN_IN_MAX_FAILURES):
        _sign_in(client, "anna@partner.example", "wrong")
    assert _sign_in(Client(), "anna@partner.example", PASSWORD, ip="198.51.100.9").status_code == 302
    assert _sign_in(Client(), "ben@partner.example", PASSWORD).status_code == 302
    assert _sign_in(Client(), "anna@partner.example", PASSWORD).status_code == 200


def test_the_lock_ends_when_the_window_since_the_first_failure_has_passed(client, monkeypatch):
    monkeypatch.setattr(services, "SIGN_IN_WINDOW_SECONDS", 1)
    factories.user(email="anna@partner.example")
    for _ in range(services.SIGN_IN_MAX_FAILURES):
        _sign_in(client, "anna@partner.example", "wrong")
    assert _sign_in(client, "anna@partner.example", PASSWORD).status_code == 200
    time.sleep(1.2)
    assert _sign_in(client, "anna@partner.example", PASSWORD).status_code == 302


def test_failures_count_for_unknown_addresses_too_and_change_no_user(client):
    user = factories.user(email="anna@partner.example")
    for _ in range(services.SIGN_IN_MAX_FAILURES + 2):
        _sign_in(client, "nobody@partner.example", "wrong")
    assert services.sign_in_locked("nobody@partner.example", "203.0.113.7")
    assert list(User.objects.values_list("email", "last_login", "is_active")) == [(user.email, None, True)]


# --- A suspended partner's people --------------------------------------------------------------


def _move(partner: Partner, kind: str) -> None:
    """Suspend or reactivate as the programme does, through the console's service."""
    boss = factories.user(None, role=Role.PROGRAMME_ADMIN, email=f"boss-{kind}@operator.example")
    admin_services.change_partner(boss, partner.pk, kind, "Unpaid fees", NOW)


@pytest.mark.usefixtures("fresh_rate_limits")
def test_a_suspended_partners_user_cannot_sign_in_and_is_told_why(client):
    user = factories.user(email="anna@partner.example")
    _move(user.partner, AdminAction.Kind.SUSPEND)
    response = _sign_in(client, "anna@partner.example", PASSWORD)
    assert response.status_code == 200
    assert (
        "Your partner is suspended, so its team cannot sign in. Ask the programme to reactivate it."
        in response.content.decode()
    )
    assert SESSION_KEY not in client.session
    assert not services.sign_in_locked("anna@partner.example", "203.0.113.7")
    assert [_sign_in(client, user.email, PASSWORD).status_code for _ in range(6)] == [200] * 6
    assert not services.sign_in_locked("anna@partner.example", "203.0.113.7")  # the right password is no guess


def test_a_suspended_partners_signed_in_user_is_signed_out_on_their_next_request(client):
    user = factories.user()
    client.force_login(user)
    assert client.get("/referrals/").status_code == 200
    _move(user.partner, AdminAction.Kind.SUSPEND)
    response = client.get("/referrals/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/referrals/")
    assert SESSION_KEY not in client.session
    _move(user.partner, AdminAction.Kind.REACTIVATE)
    assert client.get("/referrals/").status_code == 302  # the ended session stays ended
    assert _sign_in(client, user.email, PASSWORD)["Location"] == "/referrals/"


def test_another_partners_people_and_the_operators_staff_stay_signed_in(client):
    suspended, other = factories.user(), factories.user()
    operator = factories.user(None, role=Role.PROGRAMME_ADMIN)
    _move(suspended.partner, AdminAction.Kind.SUSPEND)
    for user, page in ((other, "/referrals/"), (operator, "/console/")):
        client.force_login(user)
        assert client.get(page).status_code == 200


# --- Behind a TLS proxy ------------------------------------------------------------------------


def test_behind_a_tls_proxy_a_user_signs_in_over_https_with_secure_cookies(settings):
    production = {"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https", "SECURE_SSL_REDIRECT": "1"}
    for name, value in envconfig.transport_security(production, "https://referrals.example.com").items():
        setattr(settings, name, value)
    settings.ALLOWED_HOSTS = ["referrals.example.com"]
    user = factories.user(email="anna@partner.example")
    browser = Client(enforce_csrf_checks=True, HTTP_HOST="referrals.example.com")
    proxied = {"X-Forwarded-Proto": "https"}
    assert browser.get("/accounts/login/")["Location"] == "https://referrals.example.com/accounts/login/"
    form = browser.get("/accounts/login/", headers=proxied)
    assert form.cookies["csrftoken"]["secure"] is True
    token = form.cookies["csrftoken"].value
    response = browser.post(
        "/accounts/login/",
        {"username": user.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers=proxied | {"Origin": "https://referrals.example.com"},
    )
    assert (response.status_code, response["Location"]) == (302, "/referrals/")
    assert response.cookies["sessionid"]["secure"] is True
    assert browser.session[SESSION_KEY] == str(user.pk)
