"""Several referrals at once: each through its own service, each allowed or refused on its own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kernel.errors import InvalidInput
from notifications.models import OutboxMessage
from partners.models import Role
from referrals import bulk, services
from referrals.actors import ActorRef
from referrals.bulk import BulkAction, Outcome, Result
from referrals.models import Referral, ReferralEvent
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def states(*referrals):
    return [(r.pk, *Referral.objects.values_list("state", "assignee_id", "version").get(pk=r.pk)) for r in referrals]


def test_assign_gives_each_selected_referral_to_the_member_and_says_so_for_each(profile, admin_user):
    colleague = factories.user(profile.partner, role=Role.REFERRALS_USER, email="bob@partner.example")
    a, b = factories.referral(profile), factories.referral(profile)
    outcomes = bulk.apply([a.pk, b.pk], BulkAction.ASSIGN, ActorRef.person(admin_user), NOW + H, colleague.pk)
    assert outcomes == [Outcome(a.pk, Result.DONE), Outcome(b.pk, Result.DONE)]
    assert states(a, b) == [(a.pk, "new", colleague.pk, 2), (b.pk, "new", colleague.pk, 2)]


def test_a_referral_of_another_partner_is_not_found_and_left_alone_while_the_others_go_ahead(profile, admin_user):
    ours = factories.referral(profile)
    theirs = factories.referral(factories.profile())
    outcomes = bulk.apply([theirs.pk, ours.pk], BulkAction.SKIP, ActorRef.person(admin_user), NOW + H, reason="")
    assert outcomes == [Outcome(theirs.pk, Result.NOT_FOUND), Outcome(ours.pk, Result.DONE)]
    assert states(theirs, ours) == [(theirs.pk, "new", None, 1), (ours.pk, "skipped", None, 2)]
    assert list(ReferralEvent.objects.filter(referral=theirs).values_list("action", flat=True)) == ["create"]


def test_no_thanks_records_the_reason_on_each_and_refuses_a_referral_already_answered(profile, admin_user):
    fresh, interested = factories.referral(profile), factories.referral(profile)
    services.mark_interested(interested.pk, ActorRef.person(admin_user), NOW + H)
    outcomes = bulk.apply(
        [fresh.pk, interested.pk], BulkAction.SKIP, ActorRef.person(admin_user), NOW + 2 * H, reason="no-capacity"
    )
    assert outcomes == [Outcome(fresh.pk, Result.DONE), Outcome(interested.pk, Result.NOT_ALLOWED)]
    assert Referral.objects.get(pk=fresh.pk).reason == "no-capacity"
    assert states(interested) == [(interested.pk, "evaluating", None, 2)]
    assert OutboxMessage.objects.filter(template="customer_partner_declined").count() == 1


def test_no_thanks_after_the_deadline_is_too_late(profile, admin_user):
    late = factories.referral(profile)
    outcomes = bulk.apply([late.pk], BulkAction.SKIP, ActorRef.person(admin_user), NOW + 73 * H)
    assert outcomes == [Outcome(late.pk, Result.TOO_LATE)]
    assert Referral.objects.get(pk=late.pk).state == "missed"


def test_a_referrals_user_may_not_assign_so_nothing_is_assigned(profile):
    member = factories.user(profile.partner, role=Role.REFERRALS_USER, email="bob@partner.example")
    mine = factories.referral(profile)
    services.assign(mine.pk, ActorRef.person(factories.user(profile.partner)), NOW, member.pk)
    outcomes = bulk.apply([mine.pk], BulkAction.ASSIGN, ActorRef.person(member), NOW + H, None)
    assert outcomes == [Outcome(mine.pk, Result.NOT_FOUND)]
    assert states(mine) == [(mine.pk, "new", member.pk, 2)]


def test_assigning_someone_outside_the_team_is_an_error_for_each_and_changes_nothing(profile, admin_user):
    stranger = factories.user(email="stranger@another.example")
    referral = factories.referral(profile)
    outcomes = bulk.apply([referral.pk], BulkAction.ASSIGN, ActorRef.person(admin_user), NOW + H, stranger.pk)
    assert outcomes == [Outcome(referral.pk, Result.INVALID, {"assignee": "Choose a member of your team."})]
    assert states(referral) == [(referral.pk, "new", None, 1)]


@pytest.mark.parametrize(
    ("ids", "reason", "errors"),
    [
        ([], "", {"ids": "Select at least one referral."}),
        (list(range(1, 102)), "", {"ids": "Select at most 100 referrals."}),
        ("ours", "bored", {"reason": "Choose one of the listed reasons."}),
    ],
)
def test_a_bad_selection_or_reason_is_refused_before_any_referral_is_touched(profile, admin_user, ids, reason, errors):
    referral = factories.referral(profile)
    with pytest.raises(InvalidInput) as caught:
        bulk.apply(
            [referral.pk] if ids == "ours" else ids, BulkAction.SKIP, ActorRef.person(admin_user), NOW, reason=reason
        )
    assert caught.value.errors == errors
    assert states(referral) == [(referral.pk, "new", None, 1)]


def test_the_selection_keeps_ids_once_each_in_order_and_drops_anything_else():
    assert bulk.parse_ids(["7", "3", "7", "x", "", "-1", " 5 ", "12345678901"]) == [7, 3, 5]
