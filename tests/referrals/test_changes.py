"""What changed in a person's referrals: others' changes of the last 30 days, unread until marked read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import Role
from referrals import changes, services
from referrals.actors import ActorRef
from referrals.models import ChangesSeen, ReferralEvent
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def listed(user, now):
    return [(event.referral_id, event.action, unread) for event, unread in changes.recent(user, now)]


def test_new_referrals_and_others_moves_are_unread_but_the_persons_own_are_not(profile, admin_user):
    colleague = factories.user(profile.partner, email="bob@partner.example")
    a = factories.referral(profile, now=NOW)
    b = factories.referral(profile, now=NOW + H)
    services.mark_interested(a.pk, ActorRef.person(colleague), NOW + 2 * H)
    services.mark_interested(b.pk, ActorRef.person(admin_user), NOW + 3 * H)
    assert listed(admin_user, NOW + 4 * H) == [
        (a.pk, "interested", True),
        (b.pk, "create", True),
        (a.pk, "create", True),
    ]
    assert changes.unread_count(admin_user, NOW + 4 * H) == 3


def test_marking_read_clears_the_count_until_the_next_change(profile, admin_user):
    referral = factories.referral(profile, now=NOW)
    changes.mark_read(admin_user, NOW + H)
    assert changes.unread_count(admin_user, NOW + H) == 0
    assert listed(admin_user, NOW + H) == [(referral.pk, "create", False)]
    services.mark_interested(referral.pk, ActorRef.system("timer"), NOW + 2 * H)
    assert changes.unread_count(admin_user, NOW + 2 * H) == 1
    changes.mark_read(admin_user, NOW + 3 * H)
    assert ChangesSeen.objects.get(user=admin_user).seen_at == NOW + 3 * H


def test_only_the_last_30_days_count(profile, admin_user):
    factories.referral(profile, now=NOW)
    assert changes.unread_count(admin_user, NOW + timedelta(days=30) - H) == 1
    assert changes.unread_count(admin_user, NOW + timedelta(days=30, hours=1)) == 0


def test_the_count_stops_just_past_99(profile, admin_user):
    referral = factories.referral(profile, now=NOW)
    for n in range(100):
        services.update_notes(referral.pk, ActorRef.system("sync"), NOW + n * timedelta(seconds=1), f"v{n}")
    assert changes.unread_count(admin_user, NOW + H) == changes.MAX_COUNTED + 1 == 100


def test_a_person_sees_only_changes_of_referrals_they_may_work(profile, admin_user):
    factories.referral(factories.profile(), now=NOW)
    member = factories.user(profile.partner, role=Role.REFERRALS_USER, email="bob@partner.example")
    factories.referral(profile, now=NOW)  # at a location bob does not cover, not assigned to him
    assert (listed(member, NOW + H), changes.unread_count(member, NOW + H)) == ([], 0)
    assert [action for _id, action, _unread in listed(admin_user, NOW + H)] == ["create"]
    for outsider in (factories.user(None, role=Role.AGENT), factories.user(profile.partner, role=Role.PROFILE_ADMIN)):
        assert (listed(outsider, NOW + H), changes.unread_count(outsider, NOW + H)) == ([], 0)


def unread_one_by_one(user, now):
    """The unread count as the rule reads, change by change: others' changes of the person's referrals newer than
    both the window's start and their marker, up to the cap."""
    seen = ChangesSeen.objects.filter(user=user).values_list("seen_at", flat=True).first()
    since = max(now - changes.WINDOW, seen or now - changes.WINDOW)
    counted = 0
    for event in ReferralEvent.objects.select_related("referral"):
        referral = event.referral
        mine = referral.partner_id == user.partner_id and (
            user.role == Role.REFERRALS_ADMIN or referral.assignee_id == user.pk
        )
        counted += mine and event.at > since and event.actor_id != user.pk
    return min(counted, changes.MAX_COUNTED + 1)


def test_the_unread_count_equals_the_changes_counted_one_by_one_for_a_partner_with_many(profile, admin_user):
    member = factories.user(profile.partner, role=Role.REFERRALS_USER, email="bob@partner.example")
    other = factories.profile()
    made = [factories.referral(profile, now=NOW - timedelta(days=40) + n * 12 * H) for n in range(70)]
    for n, referral in enumerate(made):
        factories.referral(other, now=NOW - timedelta(days=40) + n * 12 * H)
        actor = ActorRef.person(admin_user) if n % 3 == 0 else ActorRef.system("sync")
        services.update_notes(referral.pk, actor, NOW - timedelta(days=5) + n * H, f"v{n}")
        if n % 4 == 0:
            services.assign(referral.pk, ActorRef.person(admin_user), NOW - timedelta(days=2) + n * H, member.pk)
    changes.mark_read(member, NOW)
    changes.mark_read(admin_user, NOW - timedelta(days=3))
    assert [changes.unread_count(u, NOW + 3 * H) for u in (admin_user, member)] == [
        unread_one_by_one(u, NOW + 3 * H) for u in (admin_user, member)
    ]
    assert [changes.unread_count(u, NOW + 3 * H) for u in (admin_user, member)] == [15, 5]


def test_without_a_marker_the_count_stops_at_the_cap_as_counting_one_by_one_does(profile, admin_user):
    for n in range(60):
        factories.referral(profile, now=NOW - timedelta(days=20) + n * H)
    assert changes.unread_count(admin_user, NOW) == unread_one_by_one(admin_user, NOW) == 60
    for n in range(60):
        factories.referral(profile, now=NOW - timedelta(days=10) + n * H)
    assert changes.unread_count(admin_user, NOW) == unread_one_by_one(admin_user, NOW) == 100


@pytest.mark.parametrize("referrals", [2, 40])
def test_the_unread_count_is_one_query_however_many_referrals_changed(profile, admin_user, referrals):
    for n in range(referrals):
        factories.referral(profile, now=NOW + n * timedelta(minutes=1))
    with CaptureQueriesContext(connection) as captured:
        changes.unread_count(admin_user, NOW + H)
    assert len(captured) == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the plan is PostgreSQL's")
def test_postgresql_counts_the_unread_changes_newest_first_through_the_index_on_their_time(profile, admin_user):
    factories.referral(profile, now=NOW)
    changes.mark_read(admin_user, NOW - H)
    sql, params = changes._unread(admin_user, NOW + H)[: changes.MAX_COUNTED + 1].query.sql_with_params()
    with connection.cursor() as cursor:
        # A test database is too small for the planner to want an index at all: only which path it takes is asked.
        for kind in ("seqscan", "bitmapscan", "sort", "hashjoin", "mergejoin"):
            cursor.execute(f"SET LOCAL enable_{kind} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan Backward using referral_event_at" in plan
