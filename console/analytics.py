"""The programme analytics' arithmetic, without Django: grouped counts in, figures out.

The database does the counting (one GROUP BY per table); this module turns those rows into rates,
quantiles and per-currency sums. Times to the first answer arrive as a histogram of whole minutes,
so a quantile costs as many steps as there are distinct minutes, not as many referrals.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from referrals import lifecycle
from referrals.lifecycle import State

CENT = Decimal("0.01")
DEFAULT_DAYS = 90
LONGEST_PERIOD_DAYS = 3 * 366  # 1098, as the message says
STATES = tuple(s.value for s in State)  # the funnel, in the lifecycle's order
OUTCOMES = tuple(s.value for s in lifecycle.OUTCOMES)

Key = tuple[str, ...]


@dataclass(frozen=True)
class Counts:
    """What one GROUP BY row says about a group of referrals received in the period."""

    key: Key
    by_state: Mapping[str, int]
    answered: int = 0  # first answer given (interested or no thanks)
    interested: int = 0  # reached evaluating
    accepted: int = 0  # reached negotiating


@dataclass
class Row:
    key: Key
    received: int
    by_state: dict[str, int]
    answered: int
    median_hours: float | None
    p90_hours: float | None
    interested: int
    accepted: int
    acceptance_rate: float | None
    won: int
    lost: int
    win_rate: float | None
    negotiating: int
    pipeline: dict[str, Decimal] = field(default_factory=dict)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def quantile(histogram: Iterable[tuple[int, int]], q: float) -> float | None:
    """The q-quantile of values given as (value, how many) pairs, interpolated between neighbours
    (as PostgreSQL's percentile_cont): q=0.5 of 1, 2, 3, 4 is 2.5. None for no values."""
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    pairs = sorted((v, n) for v, n in histogram if n > 0)
    total = sum(n for _, n in pairs)
    if not total:
        return None
    position = q * (total - 1)
    lower_rank, upper_rank = math.floor(position), math.ceil(position)
    lower = upper = None
    seen = 0
    for value, n in pairs:
        if lower is None and lower_rank < seen + n:
            lower = value
        if upper_rank < seen + n:
            upper = value
            break
        seen += n
    assert lower is not None and upper is not None
    return lower + (upper - lower) * (position - lower_rank)


def minutes_to_hours(minutes: float | None) -> float | None:
    return None if minutes is None else minutes / 60


def rows(
    counts: Iterable[Counts],
    answer_minutes: Iterable[tuple[Key, int, int]],
    pipeline: Iterable[tuple[Key, str, Decimal | None, int]],
) -> list[Row]:
    """One row per group, most referrals first (then by key).

    answer_minutes: (key, whole minutes to the first answer, how many referrals); pipeline: (key,
    currency, sum of the estimated deal values, how many) of the referrals negotiating now.
    """
    histograms: dict[Key, list[tuple[int, int]]] = defaultdict(list)
    for key, minutes, n in answer_minutes:
        histograms[key].append((minutes, n))
    money: dict[Key, dict[str, Decimal]] = defaultdict(dict)
    for key, currency, total, _n in pipeline:
        if total is not None:
            # SQLite's SUM drops trailing zeros: money always has cents.
            money[key][currency] = (money[key].get(currency, Decimal(0)) + total).quantize(CENT)
    result = []
    for c in counts:
        by_state = {s: c.by_state.get(s, 0) for s in STATES}
        won, lost = by_state[State.WON], by_state[State.LOST]
        histogram = histograms.get(c.key, [])
        result.append(
            Row(
                key=c.key,
                received=sum(by_state.values()),
                by_state=by_state,
                answered=c.answered,
                median_hours=minutes_to_hours(quantile(histogram, 0.5)),
                p90_hours=minutes_to_hours(quantile(histogram, 0.9)),
                interested=c.interested,
                accepted=c.accepted,
                acceptance_rate=ratio(c.accepted, c.interested),
                won=won,
                lost=lost,
                win_rate=ratio(won, won + lost),
                negotiating=by_state[lifecycle.PIPELINE],
                pipeline=dict(sorted(money.get(c.key, {}).items())),
            )
        )
    result.sort(key=lambda r: (-r.received, r.key))
    return result


def total(all_rows: list[Row], answer_minutes: Iterable[tuple[int, int]]) -> Row:
    """The whole period as one row; its quantiles come from the histogram of every group at once."""
    histogram: dict[int, int] = defaultdict(int)
    for minutes, n in answer_minutes:
        histogram[minutes] += n
    by_state = {s: sum(r.by_state[s] for r in all_rows) for s in STATES}
    pipeline: dict[str, Decimal] = defaultdict(Decimal)
    for r in all_rows:
        for currency, value in r.pipeline.items():
            pipeline[currency] += value
    interested = sum(r.interested for r in all_rows)
    accepted = sum(r.accepted for r in all_rows)
    won, lost = by_state[State.WON], by_state[State.LOST]
    pairs = list(histogram.items())
    return Row(
        key=(),
        received=sum(by_state.values()),
        by_state=by_state,
        answered=sum(r.answered for r in all_rows),
        median_hours=minutes_to_hours(quantile(pairs, 0.5)),
        p90_hours=minutes_to_hours(quantile(pairs, 0.9)),
        interested=interested,
        accepted=accepted,
        acceptance_rate=ratio(accepted, interested),
        won=won,
        lost=lost,
        win_rate=ratio(won, won + lost),
        negotiating=by_state[lifecycle.PIPELINE],
        pipeline=dict(sorted(pipeline.items())),
    )


# --- The period --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) in `zone`: from the first day's midnight to the midnight after the last day."""
        start = datetime.combine(self.first, time.min, tzinfo=zone)
        end = datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=zone)
        return start, end


def default_period(today: date, days: int = DEFAULT_DAYS) -> Period:
    """The last `days` days, today included."""
    return Period(today - timedelta(days=days - 1), today)


def _parse_day(value: str, name: str, errors: dict[str, str]) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
        return None


def parse_period(first: str, last: str, today: date) -> tuple[Period, dict[str, str]]:
    """The period the admin asked for, or the default with the errors by field ("from", "to").

    A blank end is today; a blank start is 90 days before the end."""
    errors: dict[str, str] = {}
    start, end = _parse_day(first, "from", errors), _parse_day(last, "to", errors)
    if errors:
        return default_period(today), errors
    end = end or today
    start = start or default_period(end).first
    if start > end:
        errors["to"] = "The end must be on or after the start."
    elif (end - start).days + 1 > LONGEST_PERIOD_DAYS:
        errors["from"] = "Choose a period of at most 1098 days."
    if errors:
        return default_period(today), errors
    return Period(start, end), {}
