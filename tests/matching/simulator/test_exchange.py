"""The platform's rules in the simulator: deadlines, capacity and the cascade as in the product; every
policy meets the same answers; and policies see what the platform observes, never the hidden truth."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from random import Random
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest

from matching.engine.eligibility import exclusion
from matching.engine.types import Deal, Decision, Observation, Outcome, Partner, Policy
from matching.simulator import exchange, policies
from matching.simulator import market as m
from matching.simulator.exchange import PolicyBrokeTheRules, run_market
from tests.matching.simulator.conftest import SMALL

NOT_ENGAGED = {Outcome.SKIPPED, Outcome.MISSED, Outcome.DECLINED, Outcome.EXPIRED}
ENDS = NOT_ENGAGED | {Outcome.WON, Outcome.LOST}


def recorded(market: m.Market, name: str = "keyword"):
    return run_market(market, policies.make(name, market), record=True)


def by_referral(events):
    referrals: dict[tuple[int, int], list[tuple[float, Outcome]]] = defaultdict(list)
    for hours, request, profile, outcome in events:
        referrals[request, profile].append((hours, outcome))
    return referrals


@pytest.mark.parametrize("name", ["keyword", "random", "odoo", "oracle"])
def test_open_referrals_never_exceed_a_partners_capacity(small_market, name):
    trace = recorded(small_market, name)
    open_now: dict[int, int] = defaultdict(int)
    most: dict[int, int] = defaultdict(int)
    for _, _, profile, outcome in trace.events:
        open_now[profile] += 1 if outcome == Outcome.OFFERED else -1 if outcome in ENDS else 0
        most[profile] = max(most[profile], open_now[profile])
    assert all(most[p] <= small_market.profiles[p - 1].capacity for p in most)
    assert any(most[p] == small_market.profiles[p - 1].capacity for p in most)  # capacity was reached
    assert all(count == 0 for count in open_now.values())  # and every referral closed


def test_each_referral_follows_the_lifecycle_within_its_deadlines(small_market):
    paths = set()
    for steps in by_referral(recorded(small_market).events).values():
        (offered, first), *rest = steps
        assert first == Outcome.OFFERED
        paths.add(tuple(outcome for _, outcome in steps))
        answered, answer = rest[0]
        if answer == Outcome.MISSED:
            assert answered - offered == pytest.approx(72)
        else:
            assert answered - offered < 72
        if answer == Outcome.INTERESTED:
            decided, decision = rest[1]
            if decision == Outcome.EXPIRED:
                assert decided - answered == pytest.approx(7 * 24)
            else:
                assert decided - answered < 7 * 24
    assert paths == {
        (Outcome.OFFERED, Outcome.MISSED),
        (Outcome.OFFERED, Outcome.SKIPPED),
        (Outcome.OFFERED, Outcome.INTERESTED, Outcome.DECLINED),
        (Outcome.OFFERED, Outcome.INTERESTED, Outcome.EXPIRED),
        (Outcome.OFFERED, Outcome.INTERESTED, Outcome.ACCEPTED, Outcome.WON),
        (Outcome.OFFERED, Outcome.INTERESTED, Outcome.ACCEPTED, Outcome.LOST),
    }


def test_the_cascade_offers_one_partner_per_drop_out_only_while_nobody_is_interested(small_market):
    trace = recorded(small_market)
    arrival = {d.request_id: h for d, h in zip(small_market.deals, small_market.arrival_hours, strict=True)}
    interested_now: dict[int, int] = defaultdict(int)
    dropped: dict[int, int] = defaultdict(int)
    cascaded: dict[int, int] = defaultdict(int)
    later = 0  # offers made after the drop-out they follow (someone was interested, or nobody could take it)
    previous: dict[int, float] = {}
    for hours, request, _, outcome in trace.events:
        if outcome == Outcome.OFFERED and hours > arrival[request]:
            cascaded[request] += 1
            later += previous[request] < hours
            assert cascaded[request] <= dropped[request]
            assert interested_now[request] == 0
            assert hours - arrival[request] < SMALL.cascade_window_hours
        if outcome == Outcome.INTERESTED:
            interested_now[request] += 1
        if outcome in (Outcome.DECLINED, Outcome.EXPIRED):
            interested_now[request] -= 1
        if outcome in NOT_ENGAGED:
            dropped[request] += 1
        previous[request] = hours
    assert sum(cascaded.values()) > 50
    assert later > 0


def test_the_cascade_never_asks_anyone_twice_nor_more_than_the_cap(small_market):
    trace = recorded(small_market)
    offers = [(request, profile) for _, request, profile, outcome in trace.events if outcome == Outcome.OFFERED]
    assert len(offers) == len(set(offers))
    per_request = np.bincount([request for request, _ in offers])
    assert per_request.max() == SMALL.cascade_max_partners
    assert list(trace.asked) == list(per_request[1:])


def test_the_cascade_stops_once_someone_is_interested(small_market):
    trace = recorded(small_market)
    first_interest: dict[int, float] = {}
    for hours, request, _, outcome in trace.events:
        if outcome == Outcome.INTERESTED:
            first_interest.setdefault(request, hours)
    still_interested_when_offered = [
        request
        for hours, request, _, outcome in trace.events
        if outcome == Outcome.OFFERED
        and request in first_interest
        and hours > first_interest[request]
        and not _interest_ended_before(trace.events, request, hours)
    ]
    assert first_interest and still_interested_when_offered == []


def _interest_ended_before(events, request: int, at: float) -> bool:
    interested = 0
    for hours, r, _, outcome in events:
        if hours > at:
            break
        if r == request:
            interested += (outcome == Outcome.INTERESTED) - (outcome in (Outcome.DECLINED, Outcome.EXPIRED))
    return interested == 0


def test_a_request_is_won_at_most_once(small_market):
    trace = recorded(small_market, "oracle")
    won = [request for _, request, _, outcome in trace.events if outcome == Outcome.WON]
    assert len(won) == len(set(won)) == int(trace.won.sum()) > 0


def test_the_same_seed_gives_the_same_run():
    one = recorded(m.build_market(SMALL, 1, _now()), "random")
    again = recorded(m.build_market(SMALL, 1, _now()), "random")
    assert one.chosen == again.chosen and one.events == again.events
    assert np.array_equal(one.won, again.won)


def test_every_policy_meets_the_same_requests_and_a_partner_answers_a_request_as_fast_whoever_sent_it(small_market):
    answers: list[dict[tuple[int, int], tuple[float, bool]]] = []
    for name in ("keyword", "random"):
        steps = by_referral(recorded(small_market, name).events)
        # Whether and when it answers; interest also depends on how busy the policy made it.
        answers.append({k: (s[1][0] - s[0][0], s[1][1] == Outcome.MISSED) for k, s in steps.items()})
    shared = answers[0].keys() & answers[1].keys()
    assert len(shared) > 20
    keys = sorted(shared)
    assert [answers[0][k][1] for k in keys] == [answers[1][k][1] for k in keys]
    assert [answers[0][k][0] for k in keys] == pytest.approx([answers[1][k][0] for k in keys])


def test_the_oracle_wins_more_than_keyword_and_keyword_more_than_random():
    roomier = SMALL.replace(days=60, partners=40, capacity_min=6, capacity_max=12)
    for seed in (0, 1):
        market = m.build_market(roomier, seed, _now())
        won = {
            name: run_market(market, policies.make(name, market)).won.mean() for name in ("oracle", "keyword", "random")
        }
        assert won["oracle"] > won["keyword"] > won["random"]


class _Rogue:
    """Chooses whom it likes, hard rules or not."""

    name = "rogue"

    def __init__(self, choose):
        self.choose = choose

    def decide(self, deal, partners, count, asked, now, rng) -> Decision:
        return Decision(self.name, "", deal.request_id, (), tuple(self.choose(deal, partners, count, asked)))

    def observe(self, observation) -> None:
        return None


@pytest.mark.parametrize(
    ("choose", "message"),
    [
        (
            lambda d, ps, c, a: [
                p.profile_id for p in ps if exclusion(d, p, frozenset()) == "does not serve the customer's country"
            ][:1],
            "does not serve the customer's country",
        ),
        (
            lambda d, ps, c, a: (
                [*sorted(a), *[p.profile_id for p in ps if not exclusion(d, p, a)]][:c]
                if a
                else [p.profile_id for p in ps if not exclusion(d, p, a)][:c]
            ),
            "already asked for this request",
        ),
        (lambda d, ps, c, a: [p.profile_id for p in ps if not exclusion(d, p, a)][: c + 1], "when asked for"),
    ],
    ids=["wrong country", "asked twice", "too many"],
)
def test_a_policy_that_breaks_a_hard_rule_stops_the_run(small_market, choose, message):
    with pytest.raises(PolicyBrokeTheRules, match=message):
        run_market(small_market, _Rogue(choose))


def test_a_first_answer_waited_the_answers_instant_less_the_offers_as_the_product_reads_it(small_market):
    recording = _Recording(policies.make("keyword", small_market))

    run_market(small_market, recording)

    observed = [call for kind, call in recording.calls if kind == "observe"]
    offered = {(o.request_id, o.profile_id): o.at for o in observed if o.outcome == Outcome.OFFERED}
    answers = [o for o in observed if o.outcome in (Outcome.INTERESTED, Outcome.SKIPPED)]
    assert len(answers) > 100
    assert [o.waited for o in answers] == [o.at - offered[o.request_id, o.profile_id] for o in answers]
    assert {o.waited for o in observed if o.outcome not in (Outcome.INTERESTED, Outcome.SKIPPED)} == {None}


@dataclass
class _Recording:
    """Wraps a policy and keeps every call it received, to replay them elsewhere."""

    inner: Policy
    calls: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    def decide(
        self, deal: Deal, partners: Sequence[Partner], count: int, asked: frozenset[int], now: datetime, rng: Random
    ) -> Decision:
        decision = self.inner.decide(deal, partners, count, asked, now, rng)
        self.calls.append(("decide", (deal, tuple(partners), count, asked, now, decision.chosen)))
        return decision

    def observe(self, observation: Observation) -> None:
        self.calls.append(("observe", observation))
        self.inner.observe(observation)


def _poison(monkeypatch):
    def refuse(self, name):
        raise AssertionError(f"a policy read the hidden truth ({type(self).__name__}.{name})")

    for hidden in (m.PartnerTruth, m.RequestTruth):
        monkeypatch.setattr(hidden, "__getattribute__", refuse)


def _learning_policies() -> list[Any]:
    names = ["random", "keyword", "odoo", "engine"]
    ready, skipped = [n for n in names if n != "engine"], []
    try:
        policies.check("engine")
        ready.append("engine")
    except policies.PolicyUnavailable as error:
        skipped.append(pytest.param("engine", marks=pytest.mark.skip(reason=str(error))))
    return [*ready, *skipped]


@pytest.mark.parametrize("name", _learning_policies())
def test_a_policy_decides_from_what_it_observed_alone_never_from_the_hidden_truth(small_market, monkeypatch, name):
    recording = _Recording(policies.make(name, small_market))
    run_market(small_market, recording)
    for kind, call in recording.calls:
        arguments = call[:5] if kind == "decide" else (call,)
        assert all(isinstance(a, Deal | tuple | int | frozenset | datetime | Observation) for a in arguments)
        if kind == "decide":
            assert all(type(p) is Partner for p in call[1])
    # Replay the same calls, in the same order, to a fresh policy while any read of the truth fails.
    _poison(monkeypatch)
    fresh = policies.make(name, small_market)
    rng = Random(f"{small_market.seed}:{name}")
    replayed = []
    for kind, call in recording.calls:
        if kind == "observe":
            fresh.observe(call)
        else:
            deal, partners, count, asked, now, chosen = call
            replayed.append(fresh.decide(deal, partners, count, asked, now, rng).chosen == chosen)
    assert len(replayed) > 200 and all(replayed)


def test_the_oracle_reads_the_truth_so_the_poison_works(small_market, monkeypatch):
    oracle = policies.make("oracle", small_market)
    _poison(monkeypatch)
    deal = small_market.deals[0]
    with pytest.raises(AssertionError, match="a policy read the hidden truth"):
        oracle.decide(deal, small_market.profiles, 3, frozenset(), deal.at, Random(0))


def _now():
    from tests import factories

    return factories.NOW


def test_the_agenda_runs_an_instants_events_in_kind_order_then_as_scheduled_and_the_worker_once_after_them():
    market = SimpleNamespace(
        joins_day=np.array([0.0, 1.0]), leaves_day=np.array([np.inf, 1.0]), arrival_hours=np.array([24.0, 24.0, 30.0])
    )
    agenda = exchange.Agenda(cast(m.Market, market), days=365)
    ran: list[tuple[float, str, int]] = []

    def handler(kind: str) -> Any:
        return lambda hours, subject: ran.append((hours, kind, subject))

    handlers = {kind: handler(name) for kind, name in zip(range(6), exchange_kinds(), strict=True)}
    agenda.push(24.0, exchange.ANSWER, 9)
    agenda.play(handlers, lambda hours: ran.append((hours, "worker", -1)))

    assert ran == [
        (24.0, "join", 1), (24.0, "leave", 1), (24.0, "answer", 9), (24.0, "arrive", 0), (24.0, "arrive", 1),
        (24.0, "worker", -1), (30.0, "arrive", 2), (30.0, "worker", -1),
    ]  # fmt: skip


def exchange_kinds() -> list[str]:
    names = {exchange.JOIN: "join", exchange.LEAVE: "leave", exchange.ANSWER: "answer", exchange.DECIDE: "decide"}
    names |= {exchange.CLOSE: "close", exchange.ARRIVE: "arrive"}
    return [names[kind] for kind in range(6)]
