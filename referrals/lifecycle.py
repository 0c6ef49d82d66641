"""The referral lifecycle as data: states, moves, deadlines, reminders, masking (docs/architecture.md,
"How a referral flows").

Pure: no Django, no clock. Every function that depends on time takes `now`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class State(StrEnum):
    NEW = "new"
    EVALUATING = "evaluating"
    NEGOTIATING = "negotiating"
    WON = "won"
    LOST = "lost"
    SKIPPED = "skipped"
    MISSED = "missed"
    DECLINED = "declined"
    EXPIRED = "expired"


class Action(StrEnum):
    INTERESTED = "interested"
    SKIP = "skip"
    ACCEPT = "accept"
    DECLINE = "decline"
    WIN = "win"
    LOSE = "lose"
    # Taken by the timer, never by a person.
    MISS = "miss"
    EXPIRE = "expire"


class Actor(StrEnum):
    USER = "user"
    API = "api"
    SYSTEM = "system"


# (state, action) -> next state. Anything not listed is refused.
MOVES: dict[tuple[State, Action], State] = {
    (State.NEW, Action.INTERESTED): State.EVALUATING,
    (State.NEW, Action.SKIP): State.SKIPPED,
    (State.NEW, Action.MISS): State.MISSED,
    (State.EVALUATING, Action.ACCEPT): State.NEGOTIATING,
    (State.EVALUATING, Action.DECLINE): State.DECLINED,
    (State.EVALUATING, Action.EXPIRE): State.EXPIRED,
    (State.NEGOTIATING, Action.WIN): State.WON,
    (State.NEGOTIATING, Action.LOSE): State.LOST,
}

TIMER_ACTIONS = frozenset({Action.MISS, Action.EXPIRE})
PARTNER_ACTIONS = tuple(a for a in Action if a not in TIMER_ACTIONS)

# The state whose deadline a timer action enforces, and that action.
TIMERS: dict[State, Action] = {State.NEW: Action.MISS, State.EVALUATING: Action.EXPIRE}

# How a referral ended, in the order pages, charts and reports list them.
OUTCOMES: tuple[State, ...] = (State.WON, State.LOST, State.SKIPPED, State.DECLINED, State.MISSED, State.EXPIRED)
TERMINAL = frozenset(OUTCOMES)
OPEN = frozenset(State) - TERMINAL
# A deal was closed either way: the win rate's denominator.
CLOSED_DEALS = frozenset({State.WON, State.LOST})
# Waiting for the partner's first answer.
AWAITING_ANSWER = State.NEW
# An open deal: the pipeline.
PIPELINE = State.NEGOTIATING
# The partner did not engage: contacts stay hidden and the customer is offered someone else.
NOT_ENGAGED = frozenset({State.SKIPPED, State.MISSED, State.DECLINED, State.EXPIRED})
CONTACTS_HIDDEN = NOT_ENGAGED | {State.NEW}
# A partner with a referral in one of these states may still follow up on the customer's request.
STILL_FOLLOWING_UP = OPEN | {State.WON}

# A person's actions that close the referral for good: the pages ask before taking one.
ENDING_ACTIONS = frozenset(a for (_s, a), target in MOVES.items() if target in TERMINAL and a not in TIMER_ACTIONS)

# Actions that answer a new referral (the first answer measures responsiveness).
FIRST_ANSWERS = frozenset({Action.INTERESTED, Action.SKIP})

# Fields each action requires (beyond the actor). Checked by the service before any change.
REQUIRED_FIELDS: dict[Action, tuple[str, ...]] = {
    Action.ACCEPT: ("deal_value", "currency", "expected_close_date"),
    Action.DECLINE: ("reason",),
    Action.LOSE: ("reason",),
}

# Partner Center Referrals API (status, substatus) for each state.
PARTNER_CENTER_STATUS: dict[State, tuple[str, str]] = {
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


class LifecycleError(Exception):
    """An action that the lifecycle refuses."""


class NotAllowed(LifecycleError):
    def __init__(self, state: State, action: Action) -> None:
        super().__init__(f"A referral that is {state} cannot take the action '{action}'.")
        self.state = state
        self.action = action


class DeadlinePassed(LifecycleError):
    def __init__(self, state: State, deadline: datetime) -> None:
        super().__init__(f"The deadline to answer this referral passed at {deadline.isoformat()}.")
        self.state = state
        self.deadline = deadline


@dataclass(frozen=True)
class Deadlines:
    """Programme settings: how long a partner has in each timed state, and when to remind."""

    new: timedelta = timedelta(hours=72)
    evaluating: timedelta = timedelta(days=7)
    first_answer_urged: timedelta = timedelta(hours=24)
    warn_before_deadline: timedelta = timedelta(hours=12)

    def for_state(self, state: State) -> timedelta | None:
        if state == State.NEW:
            return self.new
        if state == State.EVALUATING:
            return self.evaluating
        return None


class Reminder(StrEnum):
    UNANSWERED = "unanswered"  # the recommended 24 h to answer have passed
    DEADLINE_SOON = "deadline_soon"


def next_state(state: State, action: Action) -> State:
    try:
        return MOVES[(state, action)]
    except KeyError:
        raise NotAllowed(state, action) from None


def allowed_actions(state: State) -> list[Action]:
    return list(_ALLOWED[state])


# Read for every referral shown; worked out once.
_ALLOWED = {state: tuple(a for (s, a) in MOVES if s == state and a not in TIMER_ACTIONS) for state in State}


def entered_by(state: State) -> Action | None:
    """The action that leads into `state` (each state has one), None for the first."""
    return _ENTERED_BY.get(state)


_ENTERED_BY = {target: action for (_source, action), target in MOVES.items()}


def deadline(state: State, entered_at: datetime, deadlines: Deadlines) -> datetime | None:
    window = deadlines.for_state(state)
    return entered_at + window if window is not None else None


def check(state: State, action: Action, due: datetime | None, now: datetime) -> State:
    """The state a person's action leads to, or an error. A deadline reached at `now` wins."""
    target = next_state(state, action)
    if action not in TIMER_ACTIONS and due is not None and now >= due:
        raise DeadlinePassed(state, due)
    return target


def timer_action(state: State) -> Action | None:
    return TIMERS.get(state)


def reminders(
    state: State, entered_at: datetime, due: datetime | None, deadlines: Deadlines
) -> list[tuple[datetime, Reminder]]:
    """The reminders a referral in `state` gets before its deadline `due`, in time order."""
    if due is None or state not in TIMERS:
        return []
    schedule = [(due - deadlines.warn_before_deadline, Reminder.DEADLINE_SOON)]
    if state == State.NEW:
        schedule.append((entered_at + deadlines.first_answer_urged, Reminder.UNANSWERED))
    return sorted(s for s in schedule if entered_at < s[0] < due)


def next_reminder_at(
    state: State, entered_at: datetime, due: datetime | None, after: datetime, deadlines: Deadlines
) -> datetime | None:
    """The first reminder strictly later than `after`."""
    for at, _kind in reminders(state, entered_at, due, deadlines):
        if at > after:
            return at
    return None


def reminders_due(
    state: State, entered_at: datetime, due: datetime | None, since: datetime, now: datetime, deadlines: Deadlines
) -> list[Reminder]:
    """Reminders scheduled in [since, now]: what a sweep at `now` owes since the one it last sent.

    After downtime only the latest is sent: two alerts at once help nobody.
    """
    owed = [kind for at, kind in reminders(state, entered_at, due, deadlines) if since <= at <= now]
    return owed[-1:]


def answered_in_time(waited: timedelta, window: timedelta) -> bool:
    """A first answer after `waited` counts as prompt: up to and including the programme's answer window
    (`Deadlines.first_answer_urged`, the Programme setting), in the services' counters, their recount
    and the scorecard alike."""
    return waited <= window


def answer_overdue(waited: timedelta, window: timedelta) -> bool:
    """A referral still unanswered after `waited` can no longer be answered in time."""
    return not answered_in_time(waited, window)


def is_outcome(state: State | str) -> bool:
    return state in TERMINAL


def ends_referral(action: Action) -> bool:
    """Whether a person taking `action` closes the referral: nothing can be done with it afterwards."""
    return action in ENDING_ACTIONS


def is_open(state: State | str) -> bool:
    return state not in TERMINAL


def contacts_visible(state: State) -> bool:
    return state not in CONTACTS_HIDDEN


def customer_told_partner_will_not_follow_up(state: State, partners_other_states: Iterable[State] = ()) -> bool:
    """Whether a referral entering `state` tells the customer its partner will not follow up: not while another
    referral of the same partner in the same engagement is still open or won (that partner may yet)."""
    return state in NOT_ENGAGED and not any(s in STILL_FOLLOWING_UP for s in partners_other_states)


def partner_center_status(state: State) -> tuple[str, str]:
    return PARTNER_CENTER_STATUS[state]
