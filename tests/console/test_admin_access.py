"""Only programme admins open the programme pages: agents and partners get 403, anonymous visitors are
sent to sign in, and a refused POST changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from partners.models import Role
from referrals import services
from referrals.actors import ActorRef
from taxonomy.models import Reason
from tests import factories
from tests.console.admin_fixtures import NOW, programme_admin, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(profile: Any) -> dict[str, Any]:
    """A partner with a referral flagged as spam, and a reason to act on."""
    user = factories.user(profile.partner, role=Role.REFERRALS_ADMIN)
    referral = factories.referral(profile)
    services.skip(referral.pk, ActorRef.person(user), NOW, "spam", "bots")
    reason = Reason.objects.get(kind="lose", code="price")
    return {"partner": profile.partner, "referral": referral, "reason": reason, "profile": profile}


def pages(w: dict[str, Any]) -> list[str]:
    return [
        "/console/partners/",
        f"/console/partners/{w['partner'].pk}/",
        "/console/programme/",
        "/console/spam/",
        "/console/breaches/",
        "/console/breaches.csv",
        "/console/analytics/",
        "/console/analytics/partner.csv",
        "/console/analytics/state.csv",
    ]


def posts(w: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    p, r, reason = w["partner"].pk, w["referral"].pk, w["reason"].pk
    return [
        (f"/console/partners/{p}/verify/", {"comment": "ok"}),
        (f"/console/partners/{p}/unverify/", {"comment": "no"}),
        (f"/console/partners/{p}/suspend/", {"comment": "fraud"}),
        (f"/console/partners/{p}/reactivate/", {"comment": "ok"}),
        (
            "/console/programme/",
            {
                "new_deadline_hours": "96",
                "evaluating_deadline_hours": "200",
                "first_answer_urged_hours": "12",
                "warn_before_deadline_hours": "6",
            },
        ),
        ("/console/programme/reasons/", {"kind": "lose", "code": "budget", "name_en": "Budget", "name_ru": "Бюджет"}),
        (f"/console/programme/reasons/{reason}/", {"name_en": "Too dear", "name_ru": "Дорого"}),
        (f"/console/programme/reasons/{reason}/active/", {"active": "0"}),
        (f"/console/spam/{r}/", {"verdict": "confirm", "note": ""}),
        (f"/console/spam/{r}/", {"verdict": "dismiss", "note": ""}),
    ]


OUTSIDERS = [Role.AGENT, Role.REFERRALS_ADMIN, Role.REFERRALS_USER, Role.PROFILE_ADMIN]


def outsider(role: str, w: dict[str, Any]) -> Any:
    partner = None if role == Role.AGENT else w["partner"]
    return factories.user(partner, role=role)


@pytest.mark.parametrize("role", OUTSIDERS)
def test_agents_and_partner_users_get_403_on_every_page(client, world, role):
    client.force_login(outsider(role, world))
    for url in pages(world):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", OUTSIDERS)
def test_a_post_from_an_agent_or_partner_user_is_refused_and_changes_nothing(client, world, role):
    client.force_login(outsider(role, world))
    before = snapshot()
    for url, data in posts(world):
        assert client.post(url, data).status_code == 403, url
    assert snapshot() == before


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(client, world):
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next=/console/"), url


def test_an_anonymous_post_is_sent_to_sign_in_and_changes_nothing(client, world):
    before = snapshot()
    for url, data in posts(world):
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
    assert snapshot() == before


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(programme_admin())
    before = snapshot()
    for url, data in posts(world):
        assert client.post(url, data).status_code == 403, url
    assert snapshot() == before


def test_a_programme_admin_opens_every_page(client, world):
    client.force_login(programme_admin())
    for url in pages(world):
        assert client.get(url).status_code == 200, url
