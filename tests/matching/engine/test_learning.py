"""A small synthetic market: the engine, fed only what it observes, learns which partner wants which deals."""

from __future__ import annotations

from datetime import timedelta
from random import Random

from matching.engine.policy import EnginePolicy
from matching.engine.types import Deal, Outcome
from tests.matching.engine.builders import answer, deal, now, partner

# Hidden truth: each partner is interested in one product only, though all declare all three; an interested
# partner accepts 4 in 5 and wins half of those.
WANTS = {1: "crm", 2: "erp", 3: "hr"}
PRODUCTS = ("crm", "erp", "hr")


def interested(profile_id: int, request: Deal, rng: Random) -> bool:
    return rng.random() < (0.9 if WANTS[profile_id] in request.products else 0.1)


def run_market(engine: EnginePolicy, requests: int) -> list[bool]:
    """Each request goes to one partner; returns whether each was interested."""
    partners = [partner(i, products=frozenset(PRODUCTS)) for i in WANTS]
    truth = Random(42)
    results = []
    for request_id in range(1, requests + 1):
        at = now() - timedelta(hours=3 * (requests - request_id))
        request = deal(request_id, at, products=frozenset({PRODUCTS[request_id % 3]}))
        decision = engine.decide(request, partners, 1, frozenset(), at, Random(request_id))
        profile_id = decision.chosen[0]
        yes = interested(profile_id, request, truth)
        outcomes = [Outcome.SKIPPED]
        if yes:
            accepted = truth.random() < 0.8
            outcomes = [Outcome.INTERESTED, Outcome.ACCEPTED if accepted else Outcome.DECLINED]
            if accepted:
                outcomes.append(Outcome.WON if truth.random() < 0.5 else Outcome.LOST)
        answer(engine, request_id, profile_id, outcomes, at)
        results.append(yes)
    return results


def test_the_engine_learns_who_wants_which_deals_from_its_answers():
    engine = EnginePolicy(seed=1)

    results = run_market(engine, 300)

    first, last = sum(results[:100]), sum(results[-100:])
    assert first < last
    assert last >= 70  # the oracle gets about 90 of 100, asking at random about 37; exploring the funnel costs
    for profile_id, product in WANTS.items():
        decision = engine.decide(
            deal(1000, products=frozenset({product})), [partner(i) for i in WANTS], 1, frozenset(), now(), Random(0)
        )
        assert decision.ranked[0].profile_id == profile_id
