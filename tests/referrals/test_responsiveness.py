"""The live responsiveness counters against a recomputation from the record, with exact figures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from referrals import services
from referrals.actors import ActorRef
from referrals.lifecycle import DeadlinePassed
from referrals.models import ProfileResponsiveness, Referral
from referrals.responsiveness import FIELDS, recompute
from referrals.timers import sweep
from tests import factories
from tests.factories import NOW

H = timedelta(hours=1)
S = timedelta(seconds=1)
DAY = timedelta(days=1)
pytestmark = pytest.mark.django_db


def live(profile):
    stats = ProfileResponsiveness.objects.get(profile=profile)
    return {name: getattr(stats, name) for name in FIELDS}


def test_live_counters_equal_the_recomputation_after_a_mix_of_answers_misses_and_expiries():
    a = factories.profile(contacts=("a@a.example",))
    b = factories.profile(contacts=("b@b.example",))
    actor_a = ActorRef.person(factories.user(a.partner))
    actor_b = ActorRef.person(factories.user(b.partner))
    # One engagement sent to both profiles, then a few to each.
    both = Referral.objects.filter(engagement=factories.engagement([a, b])).order_by("profile_id")
    ra1, rb1 = (both.get(profile=a), both.get(profile=b))
    ra2, _ra3, ra4, ra5 = (factories.referral(a) for _ in range(4))  # ra3 is left to be missed
    rb2, _rb3, rb4 = (factories.referral(b) for _ in range(3))  # rb3 too

    services.mark_interested(ra1.pk, actor_a, NOW + 2 * H)  # 7200 s, prompt
    services.skip(ra2.pk, actor_a, NOW + 30 * H, reason="no-capacity")  # 108000 s, late
    services.mark_interested(ra4.pk, actor_a, NOW + 24 * H)  # 86400 s: exactly 24 h still counts as prompt
    services.mark_interested(ra5.pk, actor_a, NOW + H)  # 3600 s, then left to expire
    services.skip(rb1.pk, actor_b, NOW + 10 * 60 * S)  # 600 s
    services.mark_interested(rb2.pk, actor_b, NOW + 24 * H + S)  # 86401 s: late by a second
    with pytest.raises(DeadlinePassed):  # too late: the deadline wins, and rb4 is missed by the service
        services.mark_interested(rb4.pk, actor_b, NOW + 72 * H)
    sweep(NOW + 72 * H)  # ra3 and rb3 missed by the sweeper
    sweep(NOW + 9 * DAY)  # ra1, ra4, ra5 and rb2 expire after 7 days in evaluating

    assert (
        live(a)
        == recompute(a.pk)
        == {
            "received": 5,
            "answered": 4,
            "answered_within_24h": 3,
            "answer_seconds_total": 7200 + 108000 + 86400 + 3600,
            "missed": 1,
            "expired": 3,
        }
    )
    assert (
        live(b)
        == recompute(b.pk)
        == {
            "received": 4,
            "answered": 2,
            "answered_within_24h": 1,
            "answer_seconds_total": 600 + 86401,
            "missed": 2,
            "expired": 1,
        }
    )
    stats_a = ProfileResponsiveness.objects.get(profile=a)
    stats_b = ProfileResponsiveness.objects.get(profile=b)
    # Settled answer windows: answered or missed (a: 4 + 1, b: 2 + 2).
    assert (stats_a.share_answered_within_24h, stats_a.mean_seconds_to_first_answer) == (3 / 5, 51300.0)
    assert (stats_b.share_answered_within_24h, stats_b.mean_seconds_to_first_answer) == (1 / 4, 43500.5)


def test_a_profile_that_never_answered_has_no_share_and_no_mean(profile):
    factories.referral(profile)
    assert live(profile) == recompute(profile.pk) == dict.fromkeys(FIELDS, 0) | {"received": 1}
    stats = ProfileResponsiveness.objects.get(profile=profile)
    assert (stats.share_answered_within_24h, stats.mean_seconds_to_first_answer) == (None, None)
    sweep(NOW + 72 * H)
    stats.refresh_from_db()
    assert (stats.share_answered_within_24h, stats.mean_seconds_to_first_answer) == (0.0, None)
    assert live(profile) == recompute(profile.pk)


def test_later_actions_do_not_count_as_first_answers_again(referral, admin_user):
    actor = ActorRef.person(admin_user)
    services.mark_interested(referral.pk, actor, NOW + H)
    services.accept(referral.pk, actor, NOW + 2 * H, "10", "EUR", factories.close_date())
    services.win(referral.pk, actor, NOW + 3 * H)
    assert (
        live(referral.profile)
        == recompute(referral.profile_id)
        == {
            "received": 1,
            "answered": 1,
            "answered_within_24h": 1,
            "answer_seconds_total": 3600,
            "missed": 0,
            "expired": 0,
        }
    )
