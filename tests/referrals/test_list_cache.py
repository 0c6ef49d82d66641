"""A polling client's repeated page comes from memory, and never once anything it shows has changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as team
from partners.models import Location, Role
from referrals import list_cache, services, timers
from referrals.actors import ActorRef
from referrals.models import Engagement, Referral
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db
LIST = "/api/v1/referrals"


@pytest.fixture(autouse=True)
def kept_pages(settings):  # type: ignore[no-untyped-def]
    settings.API_LIST_CACHE_SIZE = 64
    list_cache.forget_all()
    yield
    list_cache.forget_all()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Run a change as if its transaction committed: the counter bumps happen."""

    def run(change):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return change()

    return run


def _states(api) -> list[str]:  # type: ignore[no-untyped-def]
    return [item["state"] for item in api.get(LIST, limit=50).json()["items"]]


def test_the_same_page_again_costs_the_token_and_the_counter_only(profile, admin_user):
    factories.referral(profile)
    api = client_for(admin_user)
    first = api.get(LIST, limit=50)
    with CaptureQueriesContext(connection) as again:
        second = api.get(LIST, limit=50)
    assert second.content == first.content
    assert len(again.captured_queries) == 2
    assert "referrals_referrallistversion" in again.captured_queries[1]["sql"]


def test_an_answer_through_the_api_shows_in_the_next_page(profile, admin_user, committed):
    referral = factories.referral(profile)
    api = client_for(admin_user)
    assert _states(api) == ["new"]
    committed(lambda: api.post(f"/api/v1/referrals/{referral.pk}/interested"))
    assert _states(api) == ["evaluating"]


def test_an_edit_of_the_notes_shows_in_the_next_page(profile, admin_user, committed):
    referral = factories.referral(profile)
    api = client_for(admin_user)
    assert api.get(LIST).json()["items"][0]["notes"] == ""
    committed(lambda: api.patch(f"/api/v1/referrals/{referral.pk}", {"notes": "Call on Monday"}))
    assert api.get(LIST).json()["items"][0]["notes"] == "Call on Monday"


def test_a_new_referral_shows_in_the_next_page(profile, admin_user, committed):
    factories.referral(profile)
    api = client_for(admin_user)
    assert len(_states(api)) == 1
    committed(lambda: factories.referral(profile))
    assert len(_states(api)) == 2


@pytest.mark.parametrize("bulk_sql", [False, True])
def test_a_deadline_applied_by_the_sweeper_shows_in_the_next_page(profile, admin_user, committed, bulk_sql):
    if bulk_sql and connection.vendor != "postgresql":
        pytest.skip("the one-statement sweep is PostgreSQL's")
    factories.referral(profile)
    api = client_for(admin_user)
    assert _states(api) == ["new"]
    committed(lambda: timers.sweep(factories.NOW + timedelta(hours=73), bulk_sql=bulk_sql))
    assert _states(api) == ["missed"]


def test_a_change_made_in_the_admin_shows_in_the_next_page(profile, admin_user, committed):
    referral = factories.referral(profile)
    api = client_for(admin_user)
    assert api.get(LIST).json()["items"][0]["need"] == "Move 200 mailboxes to the cloud"
    engagement = Engagement.objects.get(pk=referral.engagement_id)
    engagement.need = "Move 300 mailboxes"
    committed(engagement.save)
    assert api.get(LIST).json()["items"][0]["need"] == "Move 300 mailboxes"


def test_a_member_given_a_location_sees_its_referrals_in_the_next_page(profile, admin_user, committed):
    factories.referral(profile)
    member = factories.user(profile.partner, role=Role.REFERRALS_USER)
    api = client_for(member)
    assert _states(api) == []
    location = Location.objects.get(profile=profile)
    committed(lambda: team.set_locations(admin_user, member.pk, [location.pk]))
    assert _states(api) == ["new"]


def test_each_user_gets_the_page_built_for_them_never_anothers(profile, admin_user):
    factories.referral(profile)
    other_partner_admin = factories.user(factories.profile().partner)
    member = factories.user(profile.partner, role=Role.REFERRALS_USER)
    assert len(client_for(admin_user).get(LIST).json()["items"]) == 1
    assert client_for(member).get(LIST).json()["items"] == []
    assert client_for(other_partner_admin).get(LIST).json()["items"] == []


def test_a_page_is_built_again_after_the_longest_it_may_be_kept(profile, admin_user, monkeypatch):
    referral = factories.referral(profile)
    api = client_for(admin_user)
    assert _states(api) == ["new"]
    # Changed without a bump, as by a process that died between its commit and the bump.
    Referral.objects.filter(pk=referral.pk).update(state="evaluating")
    assert _states(api) == ["new"]
    later = list_cache.time.monotonic() + list_cache.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(list_cache.time, "monotonic", lambda: later)
    assert _states(api) == ["evaluating"]


def test_if_none_match_with_the_current_etag_answers_304_until_something_changes(profile, admin_user, committed):
    referral = factories.referral(profile)
    api = client_for(admin_user)
    first = api.get(LIST)
    etag = first["ETag"]
    unchanged = api.get(LIST, headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (304, b"", etag)
    committed(lambda: services.mark_interested(referral.pk, ActorRef.person(admin_user), factories.NOW))
    changed = api.get(LIST, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["items"][0]["state"] == "evaluating"


def test_a_bad_cursor_is_refused_even_when_a_page_is_kept(profile, admin_user):
    api = client_for(admin_user)
    api.get(LIST)
    response = api.get(LIST, cursor="not-ours")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_operators_lists_are_always_built(profile):
    factories.referral(profile)
    api = client_for(factories.user(None, role=Role.AGENT))
    api.get(LIST)
    with CaptureQueriesContext(connection) as again:
        api.get(LIST)
    assert not any("referrallistversion" in q["sql"] for q in again.captured_queries)
