"""The pure lifecycle module: every (state, action) pair, deadlines and reminders, with no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from referrals import lifecycle
from referrals.lifecycle import Action, Deadlines, Reminder, State

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)

# Written out by hand from docs/architecture.md ("How a referral flows"), independent of lifecycle.MOVES:
# (state, action) -> result or None.
EXPECTED = {
    State.NEW: {Action.INTERESTED: State.EVALUATING, Action.SKIP: State.SKIPPED, Action.MISS: State.MISSED},
    State.EVALUATING: {Action.ACCEPT: State.NEGOTIATING, Action.DECLINE: State.DECLINED, Action.EXPIRE: State.EXPIRED},
    State.NEGOTIATING: {Action.WIN: State.WON, Action.LOSE: State.LOST},
    State.WON: {},
    State.LOST: {},
    State.SKIPPED: {},
    State.MISSED: {},
    State.DECLINED: {},
    State.EXPIRED: {},
}

ALL_PAIRS = [(s, a) for s in State for a in Action]


@pytest.mark.parametrize(("state", "action"), ALL_PAIRS, ids=[f"{s}-{a}" for s, a in ALL_PAIRS])
def test_each_state_and_action_pair_is_allowed_or_refused_exactly_as_the_spec_says(state, action):
    expected = EXPECTED[state].get(action)
    if expected is None:
        with pytest.raises(lifecycle.NotAllowed):
            lifecycle.next_state(state, action)
    else:
        assert lifecycle.next_state(state, action) == expected


def test_terminal_states_offer_no_actions():
    assert {s for s in State if not lifecycle.allowed_actions(s)} == set(lifecycle.TERMINAL)


def test_the_actions_that_close_a_referral_are_no_thanks_decline_won_and_lost():
    assert {a for a in Action if lifecycle.ends_referral(a)} == {Action.SKIP, Action.DECLINE, Action.WIN, Action.LOSE}


def test_people_see_only_their_own_actions_never_the_timers():
    assert lifecycle.allowed_actions(State.NEW) == [Action.INTERESTED, Action.SKIP]
    assert lifecycle.allowed_actions(State.EVALUATING) == [Action.ACCEPT, Action.DECLINE]
    assert lifecycle.allowed_actions(State.NEGOTIATING) == [Action.WIN, Action.LOSE]


def test_contacts_are_hidden_in_new_and_in_the_four_did_not_engage_states():
    hidden = {s for s in State if not lifecycle.contacts_visible(s)}
    assert hidden == {State.NEW, State.SKIPPED, State.MISSED, State.DECLINED, State.EXPIRED}


def test_the_customer_is_told_only_when_the_partner_did_not_engage():
    told = {s for s in State if lifecycle.customer_told_partner_will_not_follow_up(s)}
    assert told == {State.SKIPPED, State.MISSED, State.DECLINED, State.EXPIRED}


def test_the_customer_is_not_told_while_another_referral_of_that_partner_is_open_or_won():
    blocking = {o for o in State if not lifecycle.customer_told_partner_will_not_follow_up(State.SKIPPED, [o])}
    assert blocking == {State.NEW, State.EVALUATING, State.NEGOTIATING, State.WON}


def test_default_deadlines_are_72_hours_and_7_days():
    d = Deadlines()
    assert lifecycle.deadline(State.NEW, T0, d) == T0 + 72 * H
    assert lifecycle.deadline(State.EVALUATING, T0, d) == T0 + 7 * 24 * H
    assert lifecycle.deadline(State.NEGOTIATING, T0, d) is None
    assert lifecycle.deadline(State.WON, T0, d) is None


def test_an_action_one_microsecond_before_the_deadline_is_accepted():
    due = T0 + 72 * H
    assert lifecycle.check(State.NEW, Action.INTERESTED, due, due - timedelta(microseconds=1)) == State.EVALUATING


def test_an_action_at_the_deadline_loses_to_it():
    due = T0 + 72 * H
    with pytest.raises(lifecycle.DeadlinePassed) as caught:
        lifecycle.check(State.NEW, Action.INTERESTED, due, due)
    assert caught.value.deadline == due


def test_the_timer_itself_is_not_refused_by_the_deadline():
    due = T0 + 72 * H
    assert lifecycle.check(State.NEW, Action.MISS, due, due + H) == State.MISSED


def test_a_new_referral_is_reminded_after_24_hours_and_12_hours_before_its_deadline():
    due = T0 + 72 * H
    assert lifecycle.reminders(State.NEW, T0, due, Deadlines()) == [
        (T0 + 24 * H, Reminder.UNANSWERED),
        (T0 + 60 * H, Reminder.DEADLINE_SOON),
    ]


def test_an_evaluating_referral_is_reminded_only_before_its_deadline():
    due = T0 + 168 * H
    assert lifecycle.reminders(State.EVALUATING, T0, due, Deadlines()) == [(T0 + 156 * H, Reminder.DEADLINE_SOON)]


def test_negotiating_and_closed_referrals_get_no_reminders():
    assert lifecycle.reminders(State.NEGOTIATING, T0, None, Deadlines()) == []
    assert lifecycle.reminders(State.WON, T0, None, Deadlines()) == []


def test_the_next_reminder_is_the_first_one_strictly_after_the_given_time():
    due = T0 + 72 * H
    d = Deadlines()
    assert lifecycle.next_reminder_at(State.NEW, T0, due, T0, d) == T0 + 24 * H
    assert lifecycle.next_reminder_at(State.NEW, T0, due, T0 + 24 * H, d) == T0 + 60 * H
    assert lifecycle.next_reminder_at(State.NEW, T0, due, T0 + 60 * H, d) is None


def test_after_downtime_only_the_latest_owed_reminder_is_sent():
    due = T0 + 72 * H
    owed = lifecycle.reminders_due(State.NEW, T0, due, T0 + 24 * H, T0 + 61 * H, Deadlines())
    assert owed == [Reminder.DEADLINE_SOON]


def test_a_reminder_is_owed_exactly_at_its_time_and_not_a_moment_before():
    due = T0 + 72 * H
    d = Deadlines()
    assert lifecycle.reminders_due(State.NEW, T0, due, T0 + 24 * H, T0 + 24 * H - timedelta(seconds=1), d) == []
    assert lifecycle.reminders_due(State.NEW, T0, due, T0 + 24 * H, T0 + 24 * H, d) == [Reminder.UNANSWERED]


def test_partner_center_status_mapping_matches_the_spec():
    assert {s: lifecycle.partner_center_status(s) for s in State} == {
        State.NEW: ("New", "Pending"),
        State.EVALUATING: ("New", "Received"),
        State.NEGOTIATING: ("Active", "Accepted"),
        State.WON: ("Closed", "Won"),
        State.LOST: ("Closed", "Lost"),
        State.SKIPPED: ("Closed", "Declined"),
        State.DECLINED: ("Closed", "Declined"),
        State.MISSED: ("Closed", "Expired"),
        State.EXPIRED: ("Closed", "Expired"),
    }


def test_the_inbox_the_scorecard_and_the_analytics_list_the_lifecycles_outcomes_in_its_order():
    from console import analytics
    from matching import metrics
    from referrals import forms
    from tests import factories

    expected = ("won", "lost", "skipped", "declined", "missed", "expired")
    card = metrics.compute([], factories.NOW, timedelta(hours=24))
    assert tuple(s.value for s in lifecycle.OUTCOMES) == expected
    assert (forms.OUTCOMES, analytics.OUTCOMES, tuple(card.weekly_outcomes)) == (expected, expected, expected)
    assert forms.TABS == ("new", "evaluating", "negotiating", "archive")


@pytest.mark.parametrize(
    ("waited_hours", "window_hours", "in_time"),
    [(24, 24, True), (24.001, 24, False), (30, 24, False), (30, 48, True), (48, 48, True), (49, 48, False)],
)
def test_a_first_answer_is_in_time_up_to_and_including_the_programmes_answer_window(
    waited_hours, window_hours, in_time
):
    waited, window = timedelta(hours=waited_hours), timedelta(hours=window_hours)
    assert lifecycle.answered_in_time(waited, window) is in_time
    assert lifecycle.answer_overdue(waited, window) is not in_time
