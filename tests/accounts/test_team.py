"""The team page: only a referrals admin, only their own partner's people and locations."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from notifications.models import OutboxMessage
from partners.models import Location, Role, User
from tests import factories

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple]:  # type: ignore[type-arg]
    return [
        (u.pk, u.email, u.role, u.is_active, u.partner_id, sorted(loc.pk for loc in u.locations.all()))
        for u in User.objects.order_by("pk").prefetch_related("locations")
    ]


def _signed_in(user: AbstractBaseUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def team():  # type: ignore[no-untyped-def]
    profile = factories.profile(city="Berlin")
    hamburg = Location.objects.create(profile=profile, city="Hamburg", lat=53.55, lon=9.99)
    admin = factories.user(profile.partner, email="admin@a.example")
    member = factories.user(profile.partner, role=Role.REFERRALS_USER, email="member@a.example")
    other_profile = factories.profile(city="Moscow", country="RU")
    other = factories.user(other_profile.partner, role=Role.REFERRALS_USER, email="member@b.example")
    return {
        "admin": admin,
        "member": member,
        "berlin": profile.locations.get(city="Berlin"),
        "hamburg": hamburg,
        "other": other,
        "other_location": other_profile.locations.get(),
    }


def test_a_referrals_admin_sees_their_team_with_roles_and_not_other_partners(team):
    page = _signed_in(team["admin"]).get("/team/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "member@a.example" in body and "Referrals user" in body
    assert "member@b.example" not in body
    assert "Moscow" not in body


@pytest.mark.parametrize("role", [Role.REFERRALS_USER, Role.PROFILE_ADMIN, Role.AGENT, Role.PROGRAMME_ADMIN])
def test_nobody_but_a_referrals_admin_can_open_the_team_page(team, role):
    user = factories.user(team["admin"].partner if role in (Role.REFERRALS_USER, Role.PROFILE_ADMIN) else None, role)
    client = _signed_in(user)
    assert client.get("/team/").status_code == 403
    before = _snapshot()
    assert (
        client.post("/team/invite/", {"email": "x@a.example", "role": "referrals_admin", "language": "en"}).status_code
        == 403
    )
    assert (
        client.post(f"/team/{team['member'].pk}/role/", {f"m{team['member'].pk}-role": "referrals_admin"}).status_code
        == 403
    )
    assert _snapshot() == before
    assert OutboxMessage.objects.count() == 0


def test_a_referrals_user_does_not_see_the_team_link(team):
    body = _signed_in(team["member"]).get("/settings/").content.decode()
    assert 'href="/team/"' not in body
    assert 'href="/settings/"' in body


def test_the_team_page_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/team/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/team/")


def test_an_admin_invites_a_member_who_gets_an_invitation_e_mail(team):
    client = _signed_in(team["admin"])
    response = client.post("/team/invite/", {"email": "New@A.example", "role": "profile_admin", "language": "ru"})
    assert (response.status_code, response["Location"]) == (302, "/team/")
    new = User.objects.get(email="new@a.example")
    assert (new.partner_id, new.role, new.language, new.has_usable_password()) == (
        team["admin"].partner_id,
        Role.PROFILE_ADMIN,
        "ru",
        False,
    )
    [row] = OutboxMessage.objects.all()
    assert (row.template, row.to_address, row.language) == ("team_invitation", "new@a.example", "ru")


def test_inviting_a_taken_address_changes_nothing_and_sends_nothing(team):
    before = _snapshot()
    response = _signed_in(team["admin"]).post(
        "/team/invite/", {"email": "MEMBER@b.example", "role": "referrals_user", "language": "en"}
    )
    assert response.status_code == 400
    assert "Someone already has an account with this e-mail address." in response.content.decode()
    assert _snapshot() == before
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"email": "not-an-address", "role": "referrals_user", "language": "en"},
        {"email": "x@a.example", "role": "programme_admin", "language": "en"},
        {"email": "x@a.example", "role": "referrals_user", "language": "de"},
    ],
)
def test_an_invalid_invitation_changes_nothing_and_sends_nothing(team, data):
    before = _snapshot()
    response = _signed_in(team["admin"]).post("/team/invite/", data)
    assert response.status_code == 400
    assert _snapshot() == before
    assert OutboxMessage.objects.count() == 0


def test_an_admin_changes_a_members_role(team):
    member = team["member"]
    response = _signed_in(team["admin"]).post(f"/team/{member.pk}/role/", {f"m{member.pk}-role": "referrals_admin"})
    assert (response.status_code, response["Location"]) == (302, "/team/")
    assert User.objects.get(pk=member.pk).role == Role.REFERRALS_ADMIN


def test_the_last_referrals_admin_cannot_step_down_or_be_deactivated(team):
    admin = team["admin"]
    client = _signed_in(admin)
    before = _snapshot()
    response = client.post(f"/team/{admin.pk}/role/", {f"m{admin.pk}-role": "referrals_user"})
    assert response.status_code == 400
    assert "Your organisation needs at least one referrals admin." in response.content.decode()
    assert client.post(f"/team/{admin.pk}/deactivate/").status_code == 400
    assert _snapshot() == before


def test_an_admin_deactivates_and_reactivates_a_member(team):
    member, client = team["member"], _signed_in(team["admin"])
    assert client.post(f"/team/{member.pk}/deactivate/")["Location"] == "/team/"
    assert User.objects.get(pk=member.pk).is_active is False
    assert client.post(f"/team/{member.pk}/reactivate/")["Location"] == "/team/"
    assert User.objects.get(pk=member.pk).is_active is True


def test_a_deactivated_member_is_signed_out_at_the_next_request(team):
    member_client = _signed_in(team["member"])
    _signed_in(team["admin"]).post(f"/team/{team['member'].pk}/deactivate/")
    response = member_client.get("/settings/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/settings/")


def test_an_admin_sets_the_locations_a_member_covers(team):
    member = team["member"]
    response = _signed_in(team["admin"]).post(
        f"/team/{member.pk}/locations/", {"locations": [team["hamburg"].pk, team["berlin"].pk]}
    )
    assert response["Location"] == "/team/"
    assert sorted(member.locations.values_list("pk", flat=True)) == sorted([team["berlin"].pk, team["hamburg"].pk])
    _signed_in(team["admin"]).post(f"/team/{member.pk}/locations/", {})
    assert member.locations.count() == 0


def test_a_location_of_another_partner_is_refused_and_nothing_changes(team):
    member = team["member"]
    member.locations.set([team["berlin"]])
    before = _snapshot()
    response = _signed_in(team["admin"]).post(
        f"/team/{member.pk}/locations/", {"locations": [team["hamburg"].pk, team["other_location"].pk]}
    )
    assert response.status_code == 400
    assert "Choose locations of your own organisation." in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("role", {"role": "referrals_admin"}),
        ("locations", {"locations": []}),
        ("deactivate", {}),
        ("reactivate", {}),
        ("resend", {}),
    ],
)
def test_a_user_of_another_partner_is_not_found_and_nothing_changes(team, action, data):
    other = team["other"]
    if "role" in data:
        data = {f"m{other.pk}-role": data["role"]}
    before = _snapshot()
    response = _signed_in(team["admin"]).post(f"/team/{other.pk}/{action}/", data)
    assert response.status_code == 404
    assert _snapshot() == before
    assert OutboxMessage.objects.count() == 0


def test_an_unknown_action_is_not_found(team):
    assert _signed_in(team["admin"]).post(f"/team/{team['member'].pk}/promote/").status_code == 404


def test_the_invitation_is_sent_again_only_to_a_member_without_a_password(team):
    client = _signed_in(team["admin"])
    client.post("/team/invite/", {"email": "new@a.example", "role": "referrals_user", "language": "en"})
    new = User.objects.get(email="new@a.example")
    assert client.post(f"/team/{new.pk}/resend/")["Location"] == "/team/"
    assert OutboxMessage.objects.filter(to_address="new@a.example", template="team_invitation").count() == 2
    assert client.post(f"/team/{team['member'].pk}/resend/").status_code == 400
    assert OutboxMessage.objects.filter(to_address="member@a.example").count() == 0


def test_integration_service_users_are_not_listed_as_members(team):
    User.objects.create_user(
        "integration-ab12@integrations.invalid", None, partner=team["admin"].partner, role=Role.REFERRALS_ADMIN
    )
    assert "integrations.invalid" not in _signed_in(team["admin"]).get("/team/").content.decode()
