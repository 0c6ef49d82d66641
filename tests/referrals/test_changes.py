"""What changed in a person's referrals: others' changes of the last 30 days, unread until marked read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partners.models import Role
from referrals import changes, services
from referrals.actors import ActorRef
from referrals.models import ChangesSeen
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
