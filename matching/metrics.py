"""The scorecard's arithmetic, without Django: referral facts in, figures out. Every function takes `now`.

Windows: responsiveness and acceptance count the referrals *received* in the last 12 weeks; the win
rate and won value count the deals *closed* in those weeks; the open pipeline is every referral now
negotiating, however old. A first answer is in time by `referrals.lifecycle.answered_in_time`, within the
programme's answer window, which the caller passes in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from math import ceil

from referrals import lifecycle
from referrals.lifecycle import State

WEEKS = 12


@dataclass(frozen=True)
class Facts:
    """What the scorecard needs of one referral."""

    created_at: datetime
    state: str
    first_answer_at: datetime | None = None
    evaluating_at: datetime | None = None
    negotiating_at: datetime | None = None
    closed_at: datetime | None = None  # when it entered its terminal state, if it has
    deal_value: Decimal | None = None
    currency: str = ""
    final_value: Decimal | None = None


@dataclass
class Card:
    since: datetime
    week_starts: list[datetime]
    received: int = 0
    answer_window_closed: int = 0  # answered, or the answer window passed without an answer
    answered_in_time: int = 0
    share_in_time: float | None = None
    median_hours_to_answer: float | None = None
    missed: int = 0
    expired: int = 0
    interested: int = 0
    accepted: int = 0
    acceptance_rate: float | None = None
    won: int = 0
    lost: int = 0
    win_rate: float | None = None
    # currency -> sum
    negotiating_value: dict[str, Decimal] = field(default_factory=dict)
    negotiating_count: int = 0
    waiting: int = 0  # new now, not answered yet
    waiting_late: int = 0  # of those, received longer ago than the answer window
    won_value: dict[str, Decimal] = field(default_factory=dict)
    weekly_median_hours: list[float | None] = field(default_factory=list)
    # outcome -> count per week
    weekly_outcomes: dict[str, list[int]] = field(default_factory=dict)


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def answers_to_reach(share: float, answered_in_time: int, answer_window_closed: int) -> int:
    """How many answers in time in a row would bring the share answered in time to `share` (< 1)."""
    target = Fraction(share).limit_denominator(1000)
    missing = target * answer_window_closed - answered_in_time
    return max(0, ceil(missing / (1 - target)))


def week_starts(now: datetime, weeks: int = WEEKS) -> list[datetime]:
    """The start of each of the last `weeks` seven-day periods ending at `now`, oldest first."""
    return [now - timedelta(days=7 * (weeks - i)) for i in range(weeks)]


def week_of(at: datetime, now: datetime, weeks: int = WEEKS) -> int | None:
    """Which of those periods `at` falls in (0 = oldest), or None if outside them."""
    if at > now:
        return None
    index = weeks - 1 - int((now - at) / timedelta(days=7))
    return index if 0 <= index < weeks else None


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def compute(facts: list[Facts], now: datetime, answer_window: timedelta, weeks: int = WEEKS) -> Card:
    starts = week_starts(now, weeks)
    card = Card(since=starts[0], week_starts=starts)
    answer_hours: list[float] = []
    weekly_hours: list[list[float]] = [[] for _ in range(weeks)]
    outcomes = {state.value: [0] * weeks for state in lifecycle.OUTCOMES}
    negotiating: dict[str, Decimal] = defaultdict(Decimal)
    won_value: dict[str, Decimal] = defaultdict(Decimal)
    for f in facts:
        if f.state == lifecycle.AWAITING_ANSWER:
            card.waiting += 1
            card.waiting_late += lifecycle.answer_overdue(now - f.created_at, answer_window)
        if f.state == lifecycle.PIPELINE and f.deal_value is not None:
            negotiating[f.currency] += f.deal_value
            card.negotiating_count += 1
        closed_week = week_of(f.closed_at, now, weeks) if f.closed_at is not None else None
        if closed_week is not None and f.state in outcomes:
            outcomes[f.state][closed_week] += 1
            if f.state == State.WON:
                card.won += 1
                if f.final_value is not None:
                    won_value[f.currency] += f.final_value
            elif f.state == State.LOST:
                card.lost += 1
        received_week = week_of(f.created_at, now, weeks)
        if received_week is None:
            continue
        card.received += 1
        if f.first_answer_at is not None:
            waited = hours(f.first_answer_at - f.created_at)
            answer_hours.append(waited)
            weekly_hours[received_week].append(waited)
            card.answer_window_closed += 1
            card.answered_in_time += lifecycle.answered_in_time(f.first_answer_at - f.created_at, answer_window)
        elif lifecycle.answer_overdue(now - f.created_at, answer_window):
            card.answer_window_closed += 1  # late already, answered or not
        card.missed += f.state == State.MISSED
        card.expired += f.state == State.EXPIRED
        card.interested += f.evaluating_at is not None
        card.accepted += f.negotiating_at is not None
    card.share_in_time = ratio(card.answered_in_time, card.answer_window_closed)
    card.median_hours_to_answer = median(answer_hours)
    card.acceptance_rate = ratio(card.accepted, card.interested)
    card.win_rate = ratio(card.won, card.won + card.lost)
    card.negotiating_value = dict(sorted(negotiating.items()))
    card.won_value = dict(sorted(won_value.items()))
    card.weekly_median_hours = [median(w) for w in weekly_hours]
    card.weekly_outcomes = outcomes
    return card
