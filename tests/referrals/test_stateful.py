"""One referral driven by random people, inputs, clock jumps and sweeps, against a small model.

The model predicts each outcome from the lifecycle table (docs/architecture.md, "How a referral flows");
invariants on the stored referral, its history and its partner-facing view are checked after every step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from kernel.errors import InvalidInput
from partners.models import Role
from referrals import services
from referrals.actors import ActorRef
from referrals.lifecycle import MOVES, Action, DeadlinePassed, NotAllowed, State
from referrals.models import Referral, ReferralEvent
from referrals.presenters import present
from referrals.timers import sweep
from referrals.validation import ActionInput, clean
from tests import factories
from tests.factories import NOW

H = timedelta(hours=1)
WINDOW = {"new": timedelta(hours=72), "evaluating": timedelta(days=7)}
TIMER = {"new": ("miss", "missed"), "evaluating": ("expire", "expired")}
TERMINAL = {"won", "lost", "skipped", "missed", "declined", "expired"}
MASKED = {"new", "skipped", "missed", "declined", "expired"}

clock_steps = st.one_of(
    st.sampled_from([timedelta(microseconds=1), timedelta(seconds=1), H, 23 * H, 24 * H, 48 * H, 71 * H, 7 * 24 * H]),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4)),
)
PERSON_ACTIONS = [a for a in Action if a not in (Action.MISS, Action.EXPIRE)]
NO_INPUT = {"deal_value": None, "currency": "", "close_in_days": None, "final_value": None, "reason": "", "comment": ""}
VALID = {
    Action.INTERESTED: NO_INPUT,
    Action.SKIP: NO_INPUT | {"reason": "no-capacity", "comment": "Fully booked"},
    Action.ACCEPT: NO_INPUT | {"deal_value": "12500.50", "currency": "EUR", "close_in_days": 30},
    Action.DECLINE: NO_INPUT | {"reason": "customer-too-small"},
    Action.WIN: NO_INPUT | {"final_value": "999"},
    Action.LOSE: NO_INPUT | {"reason": "competitor"},
}
inputs = st.builds(
    dict,
    deal_value=st.sampled_from([None, "", "0", "-5", "abc", "1.234", "10", "12500.50"]),
    currency=st.sampled_from(["", "EUR", "usd", "XXX"]),
    close_in_days=st.sampled_from([None, "31/01/2027", -3, 0, 30]),
    final_value=st.sampled_from([None, "", "-1", "999"]),
    reason=st.sampled_from(["", "no-capacity", "customer-too-small", "competitor", "bored"]),
    comment=st.sampled_from(["", "Called twice", "x" * 2001]),
)


class OneReferral(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Each run gets its own savepoint, rolled back in teardown.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.profile = factories.profile()
        admin = factories.user(self.profile.partner)
        self.actor = ActorRef.person(admin)
        self.team = [admin.pk, factories.user(self.profile.partner, role=Role.REFERRALS_USER).pk]
        self.stranger = factories.user().pk  # of another partner: not assignable
        self.referral_id = factories.referral(self.profile, NOW).pk
        self.now = NOW
        # The model.
        self.state = "new"
        self.deadline: datetime | None = NOW + WINDOW["new"]
        self.events = 1
        self.notes = ""
        self.assignee: int | None = None
        self.terminal: str | None = None

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- model helpers -----------------------------------------------------------------------

    def enter(self, state: str, at: datetime) -> None:
        self.state = state
        self.deadline = at + WINDOW[state] if state in WINDOW else None
        self.events += 1
        if state in TERMINAL:
            self.terminal = state

    def timer_due(self) -> bool:
        return self.deadline is not None and self.deadline <= self.now

    # --- rules -------------------------------------------------------------------------------

    @rule(step=clock_steps)
    def advance_clock(self, step: timedelta) -> None:
        self.now += step

    @precondition(lambda self: self.deadline is not None)
    @rule(offset=st.sampled_from([-timedelta(microseconds=1), timedelta(0), timedelta(microseconds=1)]))
    def go_to_the_deadline(self, offset: timedelta) -> None:
        assert self.deadline is not None
        self.now = max(self.now, self.deadline + offset)

    @rule()
    def run_the_sweeper(self) -> None:
        due = self.timer_due()
        result = sweep(self.now)
        assert result.moved == (1 if due else 0)
        if due:
            assert self.deadline is not None
            self.enter(TIMER[self.state][1], self.deadline)

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        allowed = [a for (state, a) in MOVES if state == self.state and a in PERSON_ACTIONS]
        pool = allowed if allowed and data.draw(st.booleans(), label="allowed action") else PERSON_ACTIONS
        action = data.draw(st.sampled_from(pool), label="action")
        raw = data.draw(st.one_of(st.just(VALID[action]), inputs), label="input")
        days = raw["close_in_days"]
        close = self.now.date() + timedelta(days=days) if isinstance(days, int) else days
        data_in = ActionInput(
            deal_value=raw["deal_value"],
            currency=raw["currency"],
            expected_close_date=close,
            final_value=raw["final_value"],
            reason=raw["reason"],
            comment=raw["comment"],
        )
        _cleaned, errors = clean(action, data_in, self.now)
        if errors:
            expected: type[Exception] | None = InvalidInput
        elif (State(self.state), action) not in MOVES:
            expected = NotAllowed
        elif self.timer_due():
            expected = DeadlinePassed
        else:
            expected = None
        if expected is None:
            services.perform(self.referral_id, action, self.actor, self.now, data_in)
            self.enter(MOVES[(State(self.state), action)].value, self.now)
        else:
            with pytest.raises(expected):
                services.perform(self.referral_id, action, self.actor, self.now, data_in)
            if expected is DeadlinePassed:
                assert self.deadline is not None
                self.enter(TIMER[self.state][1], self.deadline)

    def edited(self) -> None:
        """An edit first applies a deadline that has come (history stays in time order)."""
        if self.timer_due():
            assert self.deadline is not None
            self.enter(TIMER[self.state][1], self.deadline)
        self.events += 1

    @rule(notes=st.sampled_from(["", "Call on Monday", "Budget confirmed"]))
    def edit_notes(self, notes: str) -> None:
        services.update_notes(self.referral_id, self.actor, self.now, notes)
        if notes != self.notes:
            self.notes = notes
            self.edited()

    @rule(who=st.sampled_from([None, 0, 1, "stranger"]))
    def assign(self, who: int | str | None) -> None:
        if who == "stranger":
            with pytest.raises(InvalidInput):
                services.assign(self.referral_id, self.actor, self.now, self.stranger)
            return
        assignee = None if who is None else self.team[int(who)]
        services.assign(self.referral_id, self.actor, self.now, assignee)
        if assignee != self.assignee:
            self.assignee = assignee
            self.edited()

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def stored_state_is_the_models(self) -> None:
        referral = Referral.objects.select_related("engagement").get(pk=self.referral_id)
        assert referral.state == self.state
        if self.terminal is not None:
            assert referral.state == self.terminal, "a terminal state never changes"
        assert referral.deadline_at == self.deadline
        assert (referral.deadline_at is not None) == (referral.state in ("new", "evaluating"))
        assert (referral.notes, referral.assignee_id) == (self.notes, self.assignee)
        view = present(referral)
        assert (view.contacts is None) == (referral.state in MASKED)
        assert (view.company is None) == (referral.state in MASKED)

    @invariant()
    def history_is_complete_and_chained(self) -> None:
        state = Referral.objects.values_list("state", flat=True).get(pk=self.referral_id)
        rows = ReferralEvent.objects.filter(referral_id=self.referral_id)
        assert rows.count() == self.events
        for ordering in (("id",), ("at", "id")):
            chain = list(rows.order_by(*ordering).values_list("action", "from_state", "to_state", "at"))
            assert chain[0][:3] == ("create", "", "new")
            for previous, row in pairwise(chain):
                assert row[1] == previous[2], f"history out of order ({', '.join(ordering)}): {chain}"
            assert chain[-1][2] == state


@pytest.mark.django_db
def test_one_referral_under_random_actions_clock_jumps_and_sweeps_keeps_its_invariants():
    run_state_machine_as_test(
        OneReferral,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
