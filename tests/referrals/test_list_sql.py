"""The hand-written list query answers exactly as the ORM rules it repeats (referrals.access, presenters)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from partners.models import Location, Role
from referrals import list_sql, queries
from referrals.access import visible_referrals
from referrals.actors import ActorRef
from referrals.models import Referral
from referrals.presenters import present
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def _ids(rows: list) -> list[int]:  # type: ignore[type-arg]
    return [r.id for r in rows]


def _orm_ids(user) -> list[int]:  # type: ignore[no-untyped-def]
    return list(visible_referrals(user).order_by("updated_at", "id").values_list("id", flat=True))


@pytest.fixture
def world(profile):  # type: ignore[no-untyped-def]
    """Partner A with a second location; five referrals spread over locations and assignees; partner B's one."""
    second = Location.objects.create(profile=profile, city="Hamburg", lat=53.55, lon=9.99)
    mine = [factories.referral(profile, now=factories.NOW + timedelta(minutes=i)) for i in range(5)]
    Referral.objects.filter(pk=mine[1].pk).update(location=second)
    other = factories.referral(factories.profile())
    return profile, second, mine, other


@pytest.mark.parametrize("role", [Role.REFERRALS_ADMIN, Role.REFERRALS_USER, Role.PROFILE_ADMIN, Role.AGENT])
def test_every_role_sees_the_same_referrals_as_the_access_rules_say(world, role):
    profile, second, mine, _other = world
    user = factories.user(None if role == Role.AGENT else profile.partner, role=role)
    if role == Role.REFERRALS_USER:
        user.locations.add(second)
        Referral.objects.filter(pk=mine[3].pk).update(assignee=user)
    rows = list_sql.page_rows(user, (), None, None, 100)
    assert _ids(rows) == _orm_ids(user)
    expected = {
        Role.REFERRALS_ADMIN: 5,
        Role.REFERRALS_USER: 2,
        Role.PROFILE_ADMIN: 0,
        Role.AGENT: 6,
    }[role]
    assert len(rows) == expected


def test_a_referrals_user_with_neither_location_nor_assignment_sees_nothing(world):
    profile, *_ = world
    user = factories.user(profile.partner, role=Role.REFERRALS_USER)
    assert list_sql.page_rows(user, (), None, None, 100) == []
    assert _orm_ids(user) == []


def test_an_inactive_user_sees_nothing(world):
    profile, *_ = world
    user = factories.user(profile.partner, is_active=False)
    assert list_sql.page_rows(user, (), None, None, 100) == []


def test_state_since_and_cursor_filters_select_the_same_rows_as_the_orm(world):
    profile, _second, mine, _other = world
    user = factories.user(profile.partner)
    queries_views, cursor = queries.page(user, queries.Filters(states=("new",)), 2, None)
    assert [v.id for v in queries_views] == [mine[0].pk, mine[1].pk]
    following, then = queries.page(user, queries.Filters(states=("new",)), 2, cursor)
    assert [v.id for v in following] == [mine[2].pk, mine[3].pk]
    assert queries.page(user, queries.Filters(states=("new",)), 2, then) == ([present(mine[4])], None)
    since = queries.Filters(updated_since=mine[3].updated_at)
    assert [v.id for v in queries.page(user, since, 50, None)[0]] == [mine[3].pk, mine[4].pk]
    assert queries.page(user, queries.Filters(states=("won", "lost")), 50, None) == ([], None)


def test_each_referral_reads_the_same_in_the_list_as_through_the_orm_in_every_kind_of_state(world):
    profile, _second, mine, _other = world
    user = factories.user(profile.partner)
    system = ActorRef.system("test")
    from referrals import services

    services.mark_interested(mine[1].pk, system, factories.NOW + timedelta(hours=1))
    services.mark_interested(mine[2].pk, system, factories.NOW + timedelta(hours=1))
    Referral.objects.filter(pk=mine[2].pk).update(
        state="negotiating",
        deal_value=Decimal("12500.5"),
        deal_currency="EUR",
        expected_close_date=factories.close_date(),
    )
    Referral.objects.filter(pk=mine[3].pk).update(state="won", final_value=Decimal("99"), reason="")
    Referral.objects.filter(pk=mine[4].pk).update(state="declined", reason="no_capacity", comment="Full")
    fast = {row.id: present(row) for row in list_sql.page_rows(user, (), None, None, 100)}  # type: ignore[arg-type]
    slow = {r.pk: present(r) for r in Referral.objects.filter(partner=profile.partner).select_related("engagement")}
    assert fast == slow
    assert fast[mine[0].pk].contacts is None
    assert fast[mine[2].pk].deal_value == Decimal("12500.50")


# Why the engine routed a referral is read one referral at a time (docs/decisions.md 40), not in the list.
DETAIL_ONLY = {"routing"}


def test_the_api_list_shows_each_referral_exactly_as_its_own_page_does(world):
    profile, _second, mine, _other = world
    from referrals import services

    services.mark_interested(mine[0].pk, ActorRef.system("test"), factories.NOW + timedelta(hours=1))
    Referral.objects.filter(pk=mine[1].pk).update(state="negotiating", deal_value=Decimal("10"), deal_currency="USD")
    api = client_for(factories.user(profile.partner))
    items = api.get("/api/v1/referrals", limit=50).json()["items"]
    assert len(items) == 5
    for item in items:
        detail = api.get(f"/api/v1/referrals/{item['id']}").json()
        assert item == {key: value for key, value in detail.items() if key not in DETAIL_ONLY}
        assert set(detail) - set(item) == DETAIL_ONLY
