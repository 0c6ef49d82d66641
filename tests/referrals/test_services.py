"""Each action through the one service that owns it: exact state, history, counters and outbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from kernel.errors import InvalidInput, NotFound, ReferralChanged
from notifications.models import OutboxMessage
from referrals import services
from referrals.actors import ActorRef
from referrals.lifecycle import Action, DeadlinePassed, NotAllowed, State
from referrals.models import Engagement, ProfileResponsiveness, Programme, Referral, ReferralEvent
from referrals.responsiveness import recompute
from tests import factories
from tests.factories import NOW

H = timedelta(hours=1)
CLOSE = (NOW + timedelta(days=61)).date()  # a close date two months ahead
PAST = (NOW - timedelta(days=2)).date()
pytestmark = pytest.mark.django_db


def history(referral):
    return list(ReferralEvent.objects.filter(referral=referral).values_list("action", "from_state", "to_state"))


def test_creating_an_engagement_makes_one_new_referral_per_profile_and_alerts_each_contact():
    a = factories.profile(contacts=("a1@a.example", "a2@a.example"))
    b = factories.profile(contacts=("b@b.example",), contact_language="ru")
    engagement = factories.engagement([a, b])
    referrals = list(Referral.objects.filter(engagement=engagement).order_by("profile_id"))
    assert [(r.profile_id, r.state, r.deadline_at, r.remind_at) for r in referrals] == [
        (a.pk, "new", NOW + 72 * H, NOW + 24 * H),
        (b.pk, "new", NOW + 72 * H, NOW + 24 * H),
    ]
    alerts = OutboxMessage.objects.order_by("id").values_list("template", "to_address", "language", "referral_id")
    assert list(alerts) == [
        ("referral_new", "a1@a.example", "en", referrals[0].pk),
        ("referral_new", "a2@a.example", "en", referrals[0].pk),
        ("referral_new", "b@b.example", "ru", referrals[1].pk),
    ]
    assert history(referrals[0]) == [("create", "", "new")]
    assert ProfileResponsiveness.objects.get(profile=a).received == 1


def test_an_engagement_without_consent_is_refused_and_nothing_is_written():
    prof = factories.profile()
    with pytest.raises(InvalidInput) as caught:
        factories.engagement([prof], consent_contact=False)
    assert "consent.contact_by_selected_partners" in caught.value.errors
    assert Referral.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_a_paused_profile_cannot_be_sent_a_referral():
    prof = factories.profile(status="paused")
    with pytest.raises(InvalidInput) as caught:
        factories.engagement([prof])
    assert caught.value.errors == {"targets": f"These partners cannot take this request now: {prof.pk}"}
    assert Referral.objects.count() == 0


def test_two_profiles_of_one_partner_in_one_request_are_refused_and_nothing_is_written():
    berlin = factories.profile()
    vienna = factories.profile(partner_=berlin.partner, country="AT", city="Vienna")
    with pytest.raises(InvalidInput) as caught:
        factories.engagement([berlin, vienna])
    assert caught.value.errors == {
        "targets": "Choose one location per partner: each partner is asked once per request."
    }
    assert (Engagement.objects.count(), Referral.objects.count(), OutboxMessage.objects.count()) == (0, 0, 0)


def _second_referral_of_the_same_partner(referral):
    """Two referrals of one partner in one engagement, as written before a partner was asked once per request."""
    other = factories.profile(partner_=referral.partner, country="AT", city="Vienna")
    return services.create_referral(
        referral.engagement, other, ActorRef.system("test"), NOW, Programme.deadlines(), State.NEW
    )


def test_no_thanks_says_nothing_to_the_customer_while_the_same_partner_still_works_on_the_request(referral, admin_user):
    other = _second_referral_of_the_same_partner(referral)
    services.mark_interested(other.pk, ActorRef.person(admin_user), NOW + H)
    services.skip(referral.pk, ActorRef.person(admin_user), NOW + 2 * H)
    assert not OutboxMessage.objects.filter(template="customer_partner_declined").exists()
    services.decline(other.pk, ActorRef.person(admin_user), NOW + 3 * H, reason="customer-too-small")
    notes = OutboxMessage.objects.filter(template="customer_partner_declined")
    assert list(notes.values_list("to_address", "referral_id")) == [("anna@contoso.example", other.pk)]


def test_a_profile_that_opted_out_of_the_customers_size_cannot_be_sent_a_referral():
    prof = factories.profile(only_target_sizes=True)
    prof.target_sizes.set(["1-9"])
    with pytest.raises(InvalidInput):
        factories.engagement([prof], size="5000+")
    assert Referral.objects.count() == 0


def test_interested_moves_new_to_evaluating_and_records_the_first_answer(referral, admin_user):
    at = NOW + 2 * H
    result = services.mark_interested(referral.pk, ActorRef.person(admin_user), at)
    assert (result.state, result.version, result.first_answer_at, result.evaluating_at) == ("evaluating", 2, at, at)
    assert result.deadline_at == at + 7 * 24 * H
    assert result.remind_at == at + 7 * 24 * H - 12 * H
    event = ReferralEvent.objects.filter(referral=referral).last()
    assert (event.action, event.from_state, event.to_state, event.actor_kind, event.actor_id, event.at) == (
        "interested",
        "new",
        "evaluating",
        "user",
        admin_user.pk,
        at,
    )
    stats = ProfileResponsiveness.objects.get(profile=referral.profile)
    assert (stats.answered, stats.answered_within_24h, stats.answer_seconds_total) == (1, 1, 7200)


def test_an_answer_after_24_hours_counts_as_answered_but_not_within_24_hours(referral, admin_user):
    services.skip(referral.pk, ActorRef.person(admin_user), NOW + 30 * H, reason="no-capacity")
    stats = ProfileResponsiveness.objects.get(profile=referral.profile)
    assert (stats.answered, stats.answered_within_24h, stats.answer_seconds_total) == (1, 0, 30 * 3600)


def test_with_a_48_hour_answer_window_an_answer_after_30_hours_counts_as_answered_in_time(profile, admin_user):
    Programme.objects.update_or_create(pk=1, defaults={"first_answer_urged_hours": 48})
    referral = factories.referral(profile)
    services.skip(referral.pk, ActorRef.person(admin_user), NOW + 30 * H, reason="no-capacity")
    stats = ProfileResponsiveness.objects.get(profile=profile)
    assert (stats.answered, stats.answered_within_24h, stats.answer_seconds_total) == (1, 1, 30 * 3600)
    assert recompute(profile.pk)["answered_within_24h"] == 1


def test_no_thanks_skips_and_queues_the_customer_note(referral, admin_user):
    result = services.skip(
        referral.pk, ActorRef.person(admin_user), NOW + H, reason="not-our-field", comment="ERP only"
    )
    assert (result.state, result.reason, result.comment, result.skipped_at) == (
        "skipped",
        "not-our-field",
        "ERP only",
        NOW + H,
    )
    notes = OutboxMessage.objects.filter(template="customer_partner_declined")
    assert list(notes.values_list("to_address", "language")) == [("anna@contoso.example", "en")]
    assert (result.deadline_at, result.remind_at) == (None, None)


def accepted(referral, user, at=NOW + 2 * H):
    services.mark_interested(referral.pk, ActorRef.person(user), NOW + H)
    return services.accept(referral.pk, ActorRef.person(user), at, "12500.50", "EUR", CLOSE)


def test_accept_records_the_deal_and_clears_the_deadline(referral, admin_user):
    result = accepted(referral, admin_user)
    assert (result.state, result.deal_value, result.deal_currency, result.expected_close_date) == (
        "negotiating",
        Decimal("12500.50"),
        "EUR",
        CLOSE,
    )
    assert (result.deadline_at, result.remind_at, result.negotiating_at) == (None, None, NOW + 2 * H)


@pytest.mark.parametrize(
    ("value", "currency", "close", "errors"),
    [
        ("", "EUR", str(CLOSE), {"deal_value": "Enter the amount."}),
        ("0", "EUR", str(CLOSE), {"deal_value": "The amount must be greater than zero."}),
        ("-5", "EUR", str(CLOSE), {"deal_value": "The amount must be greater than zero."}),
        ("abc", "EUR", str(CLOSE), {"deal_value": "Enter a number, such as 12500 or 12500.50."}),
        ("10", "", str(CLOSE), {"currency": "Choose a currency."}),
        ("10", "XXX", str(CLOSE), {"currency": "XXX is not a currency we know."}),
        ("10", "EUR", "", {"expected_close_date": "Enter the expected close date."}),
        ("10", "EUR", str(PAST), {"expected_close_date": "The expected close date cannot be in the past."}),
        ("10", "EUR", f"{CLOSE:%d/%m/%Y}", {"expected_close_date": "Enter a date as YYYY-MM-DD."}),
    ],
)
def test_accept_with_a_missing_or_bad_field_is_refused_and_changes_nothing(
    referral, admin_user, value, currency, close, errors
):
    services.mark_interested(referral.pk, ActorRef.person(admin_user), NOW + H)
    before = Referral.objects.get(pk=referral.pk)
    events = ReferralEvent.objects.count()
    with pytest.raises(InvalidInput) as caught:
        services.accept(referral.pk, ActorRef.person(admin_user), NOW + 2 * H, value, currency, close)
    assert caught.value.errors == errors
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.version, after.deal_value) == (before.state, before.version, None)
    assert ReferralEvent.objects.count() == events


def test_decline_needs_a_listed_reason(referral, admin_user):
    services.mark_interested(referral.pk, ActorRef.person(admin_user), NOW + H)
    with pytest.raises(InvalidInput) as caught:
        services.decline(referral.pk, ActorRef.person(admin_user), NOW + 2 * H, reason="")
    assert caught.value.errors == {"reason": "Choose a reason."}
    with pytest.raises(InvalidInput) as caught:
        services.decline(referral.pk, ActorRef.person(admin_user), NOW + 2 * H, reason="bored")
    assert caught.value.errors == {"reason": "Choose one of the listed reasons."}
    assert Referral.objects.get(pk=referral.pk).state == "evaluating"
    result = services.decline(referral.pk, ActorRef.person(admin_user), NOW + 2 * H, reason="customer-too-small")
    assert (result.state, result.reason) == ("declined", "customer-too-small")
    assert OutboxMessage.objects.filter(template="customer_partner_declined").count() == 1


def test_win_takes_the_final_value_or_keeps_the_estimate(referral, admin_user):
    accepted(referral, admin_user)
    result = services.win(referral.pk, ActorRef.person(admin_user), NOW + 3 * H)
    assert (result.state, result.final_value, result.won_at) == ("won", Decimal("12500.50"), NOW + 3 * H)
    assert history(referral) == [
        ("create", "", "new"),
        ("interested", "new", "evaluating"),
        ("accept", "evaluating", "negotiating"),
        ("win", "negotiating", "won"),
    ]
    assert OutboxMessage.objects.filter(template="customer_partner_declined").count() == 0


def test_won_with_the_final_value_cleared_is_refused_not_taken_as_the_estimate(referral, admin_user):
    accepted(referral, admin_user)
    before = (
        Referral.objects.get(pk=referral.pk).version,
        ReferralEvent.objects.count(),
        OutboxMessage.objects.count(),
    )
    with pytest.raises(InvalidInput) as caught:
        services.win(referral.pk, ActorRef.person(admin_user), NOW + 3 * H, final_value="  ")
    assert caught.value.errors == {"final_value": "Enter the amount."}
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.final_value) == ("negotiating", None)
    assert (after.version, ReferralEvent.objects.count(), OutboxMessage.objects.count()) == before


def test_lose_needs_a_reason_and_records_it(referral, admin_user):
    accepted(referral, admin_user)
    result = services.lose(
        referral.pk, ActorRef.person(admin_user), NOW + 3 * H, reason="competitor", comment="Cheaper bid"
    )
    assert (result.state, result.reason, result.comment) == ("lost", "competitor", "Cheaper bid")


def test_an_action_not_allowed_in_the_state_is_refused_and_changes_nothing(referral, admin_user):
    with pytest.raises(NotAllowed):
        services.win(referral.pk, ActorRef.person(admin_user), NOW + H)
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.version) == ("new", 1)
    assert history(referral) == [("create", "", "new")]


def test_a_stale_version_is_refused_as_changed(referral, admin_user):
    services.mark_interested(referral.pk, ActorRef.person(admin_user), NOW + H, expected_version=1)
    with pytest.raises(ReferralChanged):
        services.skip(referral.pk, ActorRef.person(admin_user), NOW + H, expected_version=1)
    assert Referral.objects.get(pk=referral.pk).state == "evaluating"
    assert OutboxMessage.objects.filter(template="customer_partner_declined").count() == 0


def test_an_action_after_the_deadline_loses_even_before_the_sweeper_runs(referral, admin_user):
    with pytest.raises(DeadlinePassed):
        services.mark_interested(referral.pk, ActorRef.person(admin_user), NOW + 72 * H + timedelta(seconds=1))
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.missed_at, after.state_entered_at, after.first_answer_at) == (
        "missed",
        NOW + 72 * H,
        NOW + 72 * H,
        None,
    )
    event = ReferralEvent.objects.filter(referral=referral).last()
    assert (event.action, event.actor_kind, event.at) == ("miss", "system", NOW + 72 * H)
    assert ProfileResponsiveness.objects.get(profile=referral.profile).missed == 1
    assert OutboxMessage.objects.filter(template="customer_partner_declined").count() == 1


def test_a_user_of_another_partner_cannot_act_and_learns_nothing(referral):
    stranger = factories.user(email="stranger@other.example")
    with pytest.raises(NotFound):
        services.mark_interested(referral.pk, ActorRef.person(stranger), NOW + H)
    assert Referral.objects.get(pk=referral.pk).state == "new"


def test_a_missing_referral_is_not_found(admin_user):
    with pytest.raises(NotFound):
        services.mark_interested(999999, ActorRef.person(admin_user), NOW)


def test_a_referrals_user_works_only_referrals_assigned_to_them(referral, admin_user):
    member = factories.user(referral.partner, role="referrals_user", email="member@partner.example")
    with pytest.raises(NotFound):
        services.mark_interested(referral.pk, ActorRef.person(member), NOW + H)
    services.assign(referral.pk, ActorRef.person(admin_user), NOW + H, member.pk)
    result = services.mark_interested(referral.pk, ActorRef.person(member), NOW + 2 * H)
    assert (result.state, result.assignee_id) == ("evaluating", member.pk)


def test_a_profile_admin_cannot_work_referrals(referral):
    profile_admin = factories.user(referral.partner, role="profile_admin")
    with pytest.raises(NotFound):
        services.mark_interested(referral.pk, ActorRef.person(profile_admin), NOW + H)


def test_assigning_to_someone_outside_the_team_is_refused(referral, admin_user):
    outsider = factories.user(email="outsider@other.example")
    with pytest.raises(InvalidInput) as caught:
        services.assign(referral.pk, ActorRef.person(admin_user), NOW, outsider.pk)
    assert caught.value.errors == {"assignee": "Choose a member of your team."}
    assert Referral.objects.get(pk=referral.pk).assignee_id is None


def test_a_profile_admin_cannot_be_assigned_a_referral_because_they_could_not_open_it(referral, admin_user):
    profile_admin = factories.user(referral.partner, role="profile_admin", email="profiles@partner.example")
    with pytest.raises(InvalidInput) as caught:
        services.assign(referral.pk, ActorRef.person(admin_user), NOW, profile_admin.pk)
    assert caught.value.errors == {"assignee": "Choose a member of your team."}
    after = Referral.objects.get(pk=referral.pk)
    assert (after.assignee_id, after.version) == (None, 1)
    assert history(referral) == [("create", "", "new")]
    assert not OutboxMessage.objects.exclude(template="referral_new").exists()


def test_notes_are_saved_with_a_history_row_and_a_new_version(referral, admin_user):
    result = services.update_notes(referral.pk, ActorRef.person(admin_user), NOW + H, "Call on Monday")
    assert (result.notes, result.version) == ("Call on Monday", 2)
    assert history(referral)[-1] == ("edit", "new", "new")


def test_the_timer_actions_cannot_be_taken_by_a_person(referral, admin_user):
    with pytest.raises(NotAllowed):
        services.perform(referral.pk, Action.MISS, ActorRef.person(admin_user), NOW + H)
    assert Referral.objects.get(pk=referral.pk).state == "new"
