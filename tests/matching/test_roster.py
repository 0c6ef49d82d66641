"""The engine's partners kept per process: a decision reads the two change logs, not every profile, and still
sees every change of a profile and of its open referrals."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from finder import indexing
from matching import roster, routing, vectors
from matching.engine import eligibility
from matching.models import RoutingDecision
from partners import services as partner_services
from partners.models import BusinessProfile
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Referral, ReferralEvent
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Make the roster as a committed transaction would: kept for the next decision."""

    def make() -> roster.Roster:
        with django_capture_on_commit_callbacks(execute=True):
            return roster.current()

    return make


def _by_id() -> dict[int, object]:
    return {p.profile_id: p for p in roster.partners()}


def test_a_kept_roster_costs_two_reads_per_decision_however_many_profiles_there_are(committed):
    for _ in range(12):
        factories.profile()
    vectors.backfill()  # as the full refit leaves them: every profile embedded
    kept = committed()

    with CaptureQueriesContext(connection) as reads:
        again = roster.current()

    assert again is kept
    assert len(reads.captured_queries) == 2
    assert "finder_indexstamp" in reads.captured_queries[0]["sql"]
    assert "referrals_referralevent" in reads.captured_queries[1]["sql"]


def test_routing_a_request_reads_six_queries_once_the_roster_is_kept(django_capture_on_commit_callbacks):
    for _ in range(12):
        factories.profile()
    engagement = factories.engagement([factories.profile()])
    vectors.backfill()
    with django_capture_on_commit_callbacks(execute=True):
        routing.route(engagement, 1, NOW)  # this process's roster and engine, as after its first decision

    with CaptureQueriesContext(connection) as reads:
        routing.route(engagement, 1, NOW)

    # already asked, the index's version, the history since the mark, the engine's version, the two inserts
    # (every profile was read in 8 before the roster: 12 in all)
    assert len(reads.captured_queries) == 6


def test_a_paused_profile_is_not_chosen_by_the_next_decision(committed):
    paused, other = factories.profile(), factories.profile()
    committed()

    paused.status = BusinessProfile.Status.PAUSED
    paused.save()
    engagement = factories.engagement([], route_count=2)

    assert list(Referral.objects.filter(engagement=engagement).values_list("profile_id", flat=True)) == [other.pk]
    assert RoutingDecision.objects.get(engagement=engagement).excluded == {eligibility.PAUSED: 1}


def test_a_profile_edited_through_the_service_is_read_again_and_only_it():
    edited, other = factories.profile(), factories.profile()
    for _ in range(3):  # one change of five: caught up, not made anew (roster.REBUILD_SHARE)
        factories.profile()
    user = factories.user(edited.partner)
    before = _by_id()
    kept = roster.current()
    roster._keep("default", kept)

    partner_services.update_profile(user, edited.pk, {"keywords": ["cloud email migration"], "capacity": 4})
    after = roster.current()

    assert after.partners[after.position[other.pk]] is before[other.pk]
    assert after.partners[after.position[edited.pk]].keywords == {"cloud", "email", "migrat"}
    assert after.partners[after.position[edited.pk]].capacity == 4
    assert after.position is kept.position  # no profile came or went: the positions are shared, not copied


def test_a_new_profile_gets_a_position_of_its_own_copy_and_the_kept_roster_keeps_its_own():
    first, *others = [factories.profile() for _ in range(5)]
    kept = roster.current()
    roster._keep("default", kept)

    second = factories.profile()
    found = roster.current()

    before = {first.pk: 0} | {profile.pk: i + 1 for i, profile in enumerate(others)}
    assert found.position == before | {second.pk: 5}
    assert kept.position == before
    assert found.partners[:5] == kept.partners and found.partners[5].profile_id == second.pk


def test_a_profile_at_capacity_is_not_chosen_by_the_next_decision_and_is_again_once_a_referral_closes(committed):
    full = factories.profile(capacity=1)
    factories.engagement([full])
    committed()
    free = factories.profile()

    first = factories.engagement([], route_count=2)
    services.skip(Referral.objects.get(profile=full).pk, ActorRef.system("test"), NOW + H)
    second = factories.engagement([], route_count=2, now=NOW + 2 * H)

    assert list(Referral.objects.filter(engagement=first).values_list("profile_id", flat=True)) == [free.pk]
    assert RoutingDecision.objects.get(engagement=first).excluded == {eligibility.OVER_CAPACITY: 1}
    assert sorted(Referral.objects.filter(engagement=second).values_list("profile_id", flat=True)) == sorted(
        [full.pk, free.pk]
    )


def test_a_history_row_that_commits_below_the_mark_is_still_counted():
    profile = factories.profile(capacity=1)
    kept = roster.current()
    engagement = factories.engagement([profile])
    late = ReferralEvent.objects.get(referral__engagement=engagement).pk
    # As if that row's transaction had been open when the roster read the history past it.
    posing = replace(kept, mark=late + 5, gaps=frozenset({late, late + 3}))
    roster._keep("default", posing)

    found = roster.current()

    assert found.partners[found.position[profile.pk]].open_referrals == 1
    assert (found.mark, found.gaps) == (late + 5, frozenset({late + 3}))


def test_a_new_profile_joins_and_a_deleted_one_leaves_the_kept_roster():
    gone, stays = factories.profile(), factories.profile()
    roster._keep("default", roster.current())

    gone.delete()
    new = factories.profile()
    found = roster.current()

    assert [p.profile_id for p in found.partners] == [stays.pk, new.pk]
    assert found.position == {stays.pk: 0, new.pk: 1}


def test_a_pruned_change_log_makes_the_roster_anew():
    profile = factories.profile()
    kept = roster.current()
    roster._keep("default", kept)
    profile.capacity = 3
    profile.save()
    indexing.forget_changes(NOW + 2 * indexing.CHANGES_KEPT)  # the change is pruned: only the horizon tells

    found = roster.current()

    assert found.partners[found.position[profile.pk]].capacity == 3
    assert found.version > kept.version


def test_a_roster_made_in_a_transaction_that_rolls_back_is_not_kept(django_capture_on_commit_callbacks):
    factories.profile()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                factories.profile()
                roster.current()
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    assert roster._kept == {}
