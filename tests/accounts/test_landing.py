"""Where each role starts: after signing in and at "/", the first page it works in."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY

from accounts.landing import landing_url
from partners.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
LANDINGS = [
    (Role.AGENT, "/console/"),
    (Role.PROGRAMME_ADMIN, "/console/"),
    (Role.REFERRALS_ADMIN, "/referrals/"),
    (Role.REFERRALS_USER, "/referrals/"),
    (Role.PROFILE_ADMIN, "/profiles/"),
]


@pytest.mark.parametrize(("role", "url"), LANDINGS)
def test_each_role_lands_where_it_works(role, url):
    assert landing_url(factories.user(role=role)) == url


@pytest.mark.parametrize(("role", "url"), LANDINGS)
def test_signing_in_lands_each_role_on_its_page(client, role, url):
    user = factories.user(role=role, email="someone@example.com")
    response = client.post("/accounts/login/", {"username": "someone@example.com", "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, url)
    assert client.session[SESSION_KEY] == str(user.pk)


def test_a_page_asked_for_before_signing_in_wins_over_the_landing_page(client):
    factories.user(role=Role.AGENT, email="agent@operator.example")
    response = client.post(
        "/accounts/login/?next=/referrals/", {"username": "agent@operator.example", "password": PASSWORD}
    )
    assert response["Location"] == "/referrals/"


@pytest.mark.parametrize(("role", "url"), LANDINGS)
def test_the_home_address_sends_each_role_to_its_page(client, role, url):
    client.force_login(factories.user(role=role))
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, url)


def test_the_home_address_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
