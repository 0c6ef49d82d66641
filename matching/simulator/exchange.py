"""The platform's rules played out over one market for one policy (docs/matching.md, "The rules").

Requests arrive; the policy routes each to `partners_per_request` partners; each referral runs the
product's lifecycle with its deadlines (a first answer within 72 h or it is missed, then 7 days to accept or
decline or it expires, read from `referrals.lifecycle`); an open referral counts against its partner's
capacity until it closes; the cascade runs after each instant's events, as the product's worker does after its
sweep: every request younger than `cascade_window_hours` is offered to as many more partners as the product's
rule owes it (`matching.cascade_rule.Standing`: one per drop-out not yet followed by one, while nobody is
interested, up to `cascade_max_partners` in all), the policy choosing them among those not yet asked. A
decision's referrals are made in profile order, as the product makes them (`referrals.services._send_to`).

Partners' answers are drawn from the market's hidden truth with random numbers keyed by (seed, request,
partner), so every policy meets the same answers from the same partner to the same request. The policy
only ever receives declared profiles (`Partner`, with their current open referrals), the request (`Deal`)
and `Observation`s of what happened.
"""

from __future__ import annotations

import heapq
import math
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from random import Random

import numpy as np

from matching.cascade_rule import Standing
from matching.engine.eligibility import exclusion
from matching.engine.types import Observation, Outcome, Partner, Policy
from matching.simulator import market as m
from matching.simulator.market import ANSWER_HOURS, DECIDE_HOURS, Market

FIRST_30_DAYS_HOURS = 30 * 24.0
QUICK_INTEREST_HOURS = 24.0

# Event kinds, in the order they run when due at the same instant.
# The kinds of event; at one instant they run in this order (JOIN first, ARRIVE last).
JOIN, LEAVE, ANSWER, DECIDE, CLOSE, ARRIVE = range(6)


class Agenda:
    """The simulated instants to come, in the order both plays of a market follow (this fast one and the one
    through the product's services, matching/simulator_services.py), so that they make the same decisions:
    events due at the same instant run in kind order, then in the order they were scheduled, and once an
    instant's last event has run, `between` does what the product's worker does between two instants."""

    def __init__(self, market: Market, days: int) -> None:
        self.heap: list[tuple[float, int, int, int]] = []
        self.seq = 0
        for i, day in enumerate(market.joins_day):
            if day == 0:
                continue  # on the platform from the start: the caller joins it before playing
            self.push(day * 24.0, JOIN, i)
        for i, day in enumerate(market.leaves_day):
            if math.isfinite(day) and day < days:
                self.push(day * 24.0, LEAVE, i)
        for r, hours in enumerate(market.arrival_hours):
            self.push(float(hours), ARRIVE, r)

    def push(self, hours: float, kind: int, subject: int) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (hours, kind, self.seq, subject))

    def play(self, handlers: dict[int, Callable[[float, int], object]], between: Callable[[float], None]) -> None:
        while self.heap:
            hours, kind, _, subject = heapq.heappop(self.heap)
            handlers[kind](hours, subject)
            if not self.heap or self.heap[0][0] != hours:
                between(hours)


class PolicyBrokeTheRules(RuntimeError):
    """A policy chose a partner the hard rules exclude, one already asked, or more than it was asked for."""


@dataclass(frozen=True)
class Fate:
    """What one partner will do with one referral, drawn when it is offered."""

    answered_after: float | None  # hours to the first answer, None: missed
    interested: bool
    decided_after: float | None  # hours from interest to accept/decline, None: expired
    accepts: bool
    estimate_eur: float
    closes_after: float  # hours from acceptance to won/lost
    wins: bool


@dataclass
class Trace:
    """What happened in one run: per request and per partner, and, when recorded, every event."""

    policy: str
    seed: int
    won: np.ndarray  # (R,) 1 if a partner won the request's deal
    won_value: np.ndarray  # (R,) EUR
    interested_within_24h: np.ndarray  # (R,) bool
    asked: np.ndarray  # (R,) partners offered the request
    offers: np.ndarray  # (P,) referrals each partner got
    offers_first_30_days: np.ndarray  # (P,) ... in its first 30 days on the platform
    seconds: float = 0.0
    chosen: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)  # (request id, profile ids)
    events: list[tuple[float, int, int, Outcome]] = field(default_factory=list)  # (hours, request, profile, what)


def run_market(market: Market, policy: Policy, *, record: bool = False) -> Trace:
    """Play the whole market for `policy` until every referral has closed."""
    return _Exchange(market, policy, record).run()


def draw_fate(market: Market, r: int, i: int, open_before: int, hours: float) -> Fate:
    """What partner i will do with request r offered at `hours` while it has `open_before` open referrals: drawn
    from the hidden truth with random numbers keyed by (seed, request, partner), so that every run offering
    this pair meets the same answer (the simulator's policies, and the product's services in
    matching/simulator_services.py)."""
    load = open_before / max(1, market.profiles[i].capacity or 1)
    # Answering and deciding in time are drawn from their parts below, so the timing is known too.
    _, interested, _, accept, win = m.chances(market, r, np.array([i]), np.array([load]), hours)[:, 0]
    draw = np.random.default_rng([market.seed, 2, r, i])
    u = draw.random(5)
    z = draw.standard_normal(3)
    truth = market.truth
    answer = float(truth.median_response_hours[i] * math.exp(m.RESPONSE_SPREAD * z[0]))
    answered = u[0] < truth.answer_rate[i] and answer < ANSWER_HOURS
    decide = m.DECIDE_MEDIAN_HOURS * math.exp(m.DECIDE_SPREAD * z[1])
    decided = u[2] >= m.SILENT_AFTER_INTEREST and decide < DECIDE_HOURS
    value = float(market.requests.value_eur[r])
    return Fate(
        answered_after=answer if answered else None,
        interested=bool(u[1] < interested),
        decided_after=decide if decided else None,
        accepts=bool(u[3] < accept),
        estimate_eur=round(value * math.exp(0.2 * z[2]), -2),
        closes_after=m.CLOSE_MEDIAN_DAYS * 24.0 * math.exp(m.CLOSE_SPREAD * z[2]),
        wins=bool(u[4] < win),
    )


class _Exchange:
    def __init__(self, market: Market, policy: Policy, record: bool) -> None:
        self.market = market
        self.config = market.config
        self.policy = policy
        self.record = record
        self.rng = Random(f"{market.seed}:{policy.name}")
        requests, partners = len(market.deals), len(market.profiles)
        self.open = np.zeros(partners, dtype=int)
        self.active: list[int] = []
        self.view: list[Partner] = []
        self.position: dict[int, int] = {}
        self.asked: list[set[int]] = [set() for _ in range(requests)]
        self.interested_now = np.zeros(requests, dtype=int)  # interested or further: the product's "engaged"
        self.dropped_out = np.zeros(requests, dtype=int)
        self.offered_by_cascade = np.zeros(requests, dtype=int)
        self.owing: set[int] = set()  # requests that may be owed cascade offers
        self.trace = Trace(
            policy=policy.name,
            seed=market.seed,
            won=np.zeros(requests),
            won_value=np.zeros(requests),
            interested_within_24h=np.zeros(requests, dtype=bool),
            asked=np.zeros(requests, dtype=int),
            offers=np.zeros(partners, dtype=int),
            offers_first_30_days=np.zeros(partners, dtype=int),
        )
        self.referrals: list[tuple[int, int, Fate, float]] = []  # (request, partner, fate, offered at)
        self.agenda = Agenda(self.market, self.config.days)

    def run(self) -> Trace:
        started = time.perf_counter()
        for i, day in enumerate(self.market.joins_day):
            if day == 0:
                self._join(i)
        handlers: dict[int, Callable[[float, int], object]] = {
            JOIN: lambda h, i: self._join(i),
            LEAVE: lambda h, i: self._leave(i),
            ARRIVE: lambda h, r: self._route(r, self.config.partners_per_request, h),
            ANSWER: self._answer,
            DECIDE: self._decide,
            CLOSE: self._close,
        }
        self.agenda.play(handlers, self._cascade)
        self.trace.seconds = time.perf_counter() - started
        return self.trace

    # Who is on the platform, as the policy sees them.
    def _join(self, i: int) -> None:
        at = bisect_left(self.active, i)
        self.active.insert(at, i)
        self.view.insert(at, replace(self.market.profiles[i], open_referrals=int(self.open[i])))
        self.position = {p: k for k, p in enumerate(self.active)}

    def _leave(self, i: int) -> None:
        at = self.position.pop(i, None)
        if at is None:
            return
        del self.active[at]
        del self.view[at]
        self.position = {p: k for k, p in enumerate(self.active)}

    def _load_changed(self, i: int, delta: int) -> None:
        self.open[i] += delta
        at = self.position.get(i)
        if at is not None:
            self.view[at] = replace(self.view[at], open_referrals=int(self.open[i]))

    # Routing and the cascade.
    def _route(self, r: int, count: int, hours: float) -> int:
        asked = self.asked[r]
        count = min(count, self.config.cascade_max_partners - len(asked))
        if count <= 0:
            return 0
        deal = self.market.deals[r]
        frozen = frozenset(p + 1 for p in asked)
        decision = self.policy.decide(deal, self.view, count, frozen, self.market.at(hours), self.rng)
        chosen = tuple(decision.chosen)
        self._check(deal.request_id, chosen, count, frozen)
        if self.record:
            self.trace.chosen.append((deal.request_id, chosen))
        for profile_id in sorted(chosen):
            self._offer(r, profile_id - 1, hours)
        return len(chosen)

    def _check(self, request_id: int, chosen: tuple[int, ...], count: int, asked: frozenset[int]) -> None:
        if len(chosen) > count or len(set(chosen)) < len(chosen):
            raise PolicyBrokeTheRules(f"{self.policy.name} chose {chosen} when asked for {count} partners.")
        deal = self.market.deals[request_id - 1]
        for profile_id in chosen:
            at = self.position.get(profile_id - 1)
            rule = "not on the platform" if at is None else exclusion(deal, self.view[at], asked)
            if rule:
                raise PolicyBrokeTheRules(f"{self.policy.name} chose profile {profile_id}: {rule}.")

    def _cascade(self, hours: float) -> None:
        """The worker's pass after the sweep: each young request, oldest first, offered to what it is owed; one
        that nobody could take stays owed until it is too old."""
        for r in sorted(self.owing):
            if hours - self.market.arrival_hours[r] >= self.config.cascade_window_hours:
                self.owing.discard(r)
                continue
            owed = self._standing(r).offers_owed(self.config.cascade_max_partners)
            if owed:
                self.offered_by_cascade[r] += self._route(r, owed, hours)
            if not self._standing(r).offers_owed(self.config.cascade_max_partners):
                self.owing.discard(r)

    def _standing(self, r: int) -> Standing:
        return Standing(
            referrals=len(self.asked[r]),
            dropped_out=int(self.dropped_out[r]),
            engaged=int(self.interested_now[r]),
            offered_by_cascade=int(self.offered_by_cascade[r]),
        )

    # One referral's lifecycle.
    def _offer(self, r: int, i: int, hours: float) -> None:
        self.asked[r].add(i)
        self.trace.asked[r] += 1
        self.trace.offers[i] += 1
        if hours - self.market.joins_day[i] * 24.0 < FIRST_30_DAYS_HOURS and self.market.joins_day[i] > 0:
            self.trace.offers_first_30_days[i] += 1
        open_before = int(self.open[i])
        fate = draw_fate(self.market, r, i, open_before, hours)
        self._load_changed(i, +1)
        self.referrals.append((r, i, fate, hours))
        ref = len(self.referrals) - 1
        self._emit(ref, Outcome.OFFERED, hours, open_referrals=open_before)
        due = fate.answered_after if fate.answered_after is not None else ANSWER_HOURS
        self.agenda.push(hours + due, ANSWER, ref)

    def _answer(self, hours: float, ref: int) -> None:
        r, _, fate, _ = self.referrals[ref]
        if fate.answered_after is None:
            self._end(ref, Outcome.MISSED, hours)
            return
        if not fate.interested:
            self._end(ref, Outcome.SKIPPED, hours, first_answer=True)
            return
        self.interested_now[r] += 1
        if hours - self.market.arrival_hours[r] <= QUICK_INTEREST_HOURS:
            self.trace.interested_within_24h[r] = True
        self._emit(ref, Outcome.INTERESTED, hours, first_answer=True)
        self.agenda.push(hours + (fate.decided_after if fate.decided_after is not None else DECIDE_HOURS), DECIDE, ref)

    def _decide(self, hours: float, ref: int) -> None:
        r, _, fate, _ = self.referrals[ref]
        if fate.decided_after is not None and fate.accepts:
            self._emit(ref, Outcome.ACCEPTED, hours, value=fate.estimate_eur)
            self.agenda.push(hours + fate.closes_after, CLOSE, ref)
            return
        self.interested_now[r] -= 1
        self._end(ref, Outcome.DECLINED if fate.decided_after is not None else Outcome.EXPIRED, hours)

    def _close(self, hours: float, ref: int) -> None:
        r, _, fate, _ = self.referrals[ref]
        # The customer buys once: a partner that would have won loses once another won the deal.
        if fate.wins and not self.trace.won[r]:
            value = float(self.market.requests.value_eur[r])
            self.trace.won[r] = 1
            self.trace.won_value[r] = value
            self._end(ref, Outcome.WON, hours, value=round(value, -2))
        else:
            self._end(ref, Outcome.LOST, hours)

    def _end(
        self, ref: int, outcome: Outcome, hours: float, first_answer: bool = False, value: float | None = None
    ) -> None:
        r, i, _, _ = self.referrals[ref]
        self._load_changed(i, -1)
        self._emit(ref, outcome, hours, first_answer=first_answer, value=value)
        if outcome in (Outcome.SKIPPED, Outcome.MISSED, Outcome.DECLINED, Outcome.EXPIRED):
            self.dropped_out[r] += 1
            self.owing.add(r)

    def _emit(
        self,
        ref: int,
        outcome: Outcome,
        hours: float,
        first_answer: bool = False,
        value: float | None = None,
        open_referrals: int | None = None,
    ) -> None:
        r, i, _, offered = self.referrals[ref]
        at = self.market.at(hours)
        self.policy.observe(
            Observation(
                request_id=r + 1,
                profile_id=i + 1,
                outcome=outcome,
                at=at,
                value_eur=value,
                # As the product reads it (matching.learning): the answer's instant less the offer's, each a whole
                # microsecond, which can be a microsecond off the wait drawn in hours.
                waited=at - self.market.at(offered) if first_answer else None,
                open_referrals=open_referrals,  # as the product reads it: the partner's open referrals when offered
            )
        )
        if self.record:
            self.trace.events.append((hours, r + 1, i + 1, outcome))
