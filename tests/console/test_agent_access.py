"""Who may open the agents' pages: the operator's agents and programme admins; partners get 403, visitors sign in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import OutboxMessage
from partners.models import Role
from referrals.models import Engagement, IdempotencyRecord, Referral
from tests import factories

pytestmark = pytest.mark.django_db

PARTNER_ROLES = [Role.REFERRALS_ADMIN, Role.REFERRALS_USER, Role.PROFILE_ADMIN]
OPERATOR_ROLES = [Role.AGENT, Role.PROGRAMME_ADMIN]


@pytest.fixture
def lead(profile):
    return factories.engagement([profile], source="advertising", campaign_id="spring-26")


def pages(lead):
    return [
        reverse("console:home"),
        reverse("console:new_referral"),
        reverse("console:leads"),
        reverse("console:engagement", args=[lead.pk]),
    ]


def valid_post(profile):
    return {
        "token": "t" * 32,
        "company": "Contoso GmbH",
        "size": "50-249",
        "country": "DE",
        "contact_name": "Anna Schmidt",
        "contact_email": "anna@contoso.example",
        "need": "Move 200 mailboxes to the cloud",
        "language": "en",
        "consent_contact": "on",
        "partner": [str(profile.pk)],
        "step": "send",
    }


def snapshot():
    return (
        Engagement.objects.count(),
        Referral.objects.count(),
        OutboxMessage.objects.count(),
        IdempotencyRecord.objects.count(),
    )


@pytest.mark.parametrize("role", OPERATOR_ROLES)
def test_operators_open_every_agents_page(client, lead, role):
    client.force_login(factories.user(role=role))
    for url in pages(lead):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_partner_users_are_refused_every_agents_page(client, lead, role):
    client.force_login(factories.user(role=role))
    for url in pages(lead):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_sign_in_from_every_agents_page(client, lead):
    for url in pages(lead):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_partner_user_posting_a_new_referral_is_refused_and_nothing_is_created(client, profile, role):
    client.force_login(factories.user(role=role))
    before = snapshot()
    for step in ("propose", "send"):
        response = client.post(reverse("console:new_referral"), {**valid_post(profile), "step": step})
        assert response.status_code == 403
    assert snapshot() == before


def test_an_anonymous_post_of_a_new_referral_is_sent_to_sign_in_and_nothing_is_created(client, profile):
    before = snapshot()
    response = client.post(reverse("console:new_referral"), valid_post(profile))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert snapshot() == before


def test_an_agent_posting_the_same_form_is_allowed(client, profile):
    """The control for the refusals above: the very same POST by an agent creates the engagement."""
    client.force_login(factories.user(role=Role.AGENT))
    response = client.post(reverse("console:new_referral"), valid_post(profile))
    assert response.status_code == 302
    assert Engagement.objects.count() == 1


@pytest.mark.parametrize("url_name", ["console:home", "console:leads"])
def test_read_only_pages_refuse_posts(client, url_name):
    client.force_login(factories.user(role=Role.AGENT))
    assert client.post(reverse(url_name)).status_code == 405


def test_the_header_shows_the_console_to_operators_only(client):
    client.force_login(factories.user(role=Role.AGENT))
    assert f'href="{reverse("console:home")}"' in client.get(reverse("console:leads")).content.decode()
    client.force_login(factories.user(role=Role.REFERRALS_ADMIN))
    assert f'href="{reverse("console:home")}"' not in client.get(reverse("referrals:inbox")).content.decode()
