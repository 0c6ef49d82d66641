"""A decision scores exactly only the partners whose bound can reach the top, and finds the same top partners, in
the same order, as scoring every eligible partner: with the embeddings' cosine bounded, with the learner's
record of some partners, and with the optimism of the probe's candidates."""

from __future__ import annotations

from datetime import timedelta
from random import Random
from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine import cut, features
from matching.engine import scores as scores_module
from matching.engine.index import ELIGIBLE
from matching.engine.learner import F
from matching.engine.policy import PROBE_OPTIMISM, PROBE_STAGES, EnginePolicy, capacity_discount, habits
from matching.engine.scores import Scores
from matching.engine.types import Deal, Outcome, Partner, Place
from tests.matching.engine.builders import answer, deal, now, partner

INDUSTRIES = ["retail", "manufacturing", "health", "logistics"]
PRODUCTS = ["crm", "erp", "mail", "cloud", "pos", "bi"]
WORDS = ["crm", "cloud", "mail", "sales", "stock", "audit", "shop", "data"]


def market(rng: Random, m: int, dimensions: int) -> list[Partner]:
    def vector() -> tuple[float, ...] | None:
        return tuple(rng.gauss(0, 1) for _ in range(dimensions)) if rng.random() < 0.8 else None

    return [
        partner(
            i,
            places=tuple(Place(rng.uniform(47, 55), rng.uniform(6, 15)) for _ in range(rng.randint(0, 3))),
            industries=frozenset(rng.sample(INDUSTRIES, rng.randint(0, 2))),
            products=frozenset(rng.sample(PRODUCTS, rng.randint(0, 3))),
            keywords=frozenset(rng.sample(WORDS, rng.randint(0, 4))),
            sizes=frozenset(rng.sample(["1-9", "10-49", "50-249"], rng.randint(0, 2))),
            serves_countries=frozenset(rng.sample(["DE", "AT"], rng.randint(0, 2))),
            languages=frozenset(rng.sample(["de", "en"], rng.randint(1, 2))),
            capacity=rng.choice([None, 2, 5]),
            open_referrals=rng.randint(0, 2),
            accepting=rng.random() < 0.9,
            vector=vector(),
        )
        for i in range(1, m + 1)
    ]


def request(rng: Random, request_id: int, dimensions: int) -> Deal:
    return deal(
        request_id,
        industry=rng.choice(["", *INDUSTRIES]),
        products=frozenset(rng.sample(PRODUCTS, rng.randint(0, 2))),
        size=rng.choice(["", "1-9", "10-49"]),
        lat=rng.uniform(47, 55),
        lon=rng.uniform(6, 15),
        language=rng.choice(["de", "en"]),
        words=frozenset(rng.sample(WORDS, rng.randint(0, 3))),
        vector=tuple(rng.gauss(0, 1) for _ in range(dimensions)) if rng.random() < 0.8 else None,
    )


def engine_with_a_record(rng: Random, partners: list[Partner], random_weights: bool = True) -> EnginePolicy:
    """An engine that has answers from some partners, so its cells and their variances differ between partners,
    and whose global models weigh every feature (the embeddings' cosine too) and the stacked liking at random, or
    as before it learns."""
    engine = EnginePolicy()
    for request_id in range(1, 6):
        at = now() - timedelta(days=10 * request_id)
        decision = engine.decide(request(rng, request_id, 4), partners, 3, frozenset(), at, rng)
        for profile_id in decision.chosen:
            answer(engine, request_id, profile_id, [rng.choice([Outcome.INTERESTED, Outcome.SKIPPED])], at)
    if not random_weights:
        return engine
    engine.learner.weights = np.array([[rng.gauss(0, 1.5) for _ in range(F)] for _ in range(3)])
    engine.learner.intercepts = np.array([rng.gauss(0, 1) for _ in range(3)])
    # The accept and win stages read the interest cells' liking at a learned weight (decision 67).
    engine.learner.stacking = np.array([0.0, rng.gauss(0.5, 1), rng.gauss(0.5, 1)])
    return engine


def scores_of(engine: EnginePolicy, partners: list[Partner], request: Deal) -> Scores:
    index = engine.index
    index.sync(partners)
    rows = np.flatnonzero(index.exclusions(request, frozenset()) == ELIGIBLE)
    positions = engine._positions_of_slots(rows)
    speed = habits(engine.learner, positions, len(rows), now().timestamp())
    discount = capacity_discount(features.load(index)[rows])
    return Scores(request, index, engine.learner, rows, positions, discount * speed, now())


def every_score(engine: EnginePolicy, scores: Scores, optimism: float, taken: frozenset[int]) -> np.ndarray:
    """Every eligible partner scored, as a decision did before it bounded them: the global models' log-odds of
    all, the learner's prediction for all."""
    learner = engine.learner
    rows, km = scores.rows, scores.km
    global_logit = features.logits(
        scores.deal, scores.index, rows, learner.weights, learner.intercepts, km, learner.associations
    )
    prediction = learner.predict_from_logits(scores.deal, global_logit, engine._positions_of_slots(scores.rows), now())
    sd = np.array(PROBE_STAGES) * np.sqrt(prediction.cell_variance)
    logit = global_logit + prediction.cell_mean
    logit = logit + optimism * sd if optimism else logit
    factor = scores.factor.copy()
    factor[list(taken)] = 0.0
    return np.asarray(cut.sigmoid(logit).prod(axis=1) * factor)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(30, 160), st.integers(1, 8), st.sampled_from([0, 4]))
def test_the_bounded_decision_finds_the_same_top_partners_in_the_same_order_as_scoring_them_all(seed, m, k, dimensions):
    rng = Random(seed)
    partners = market(rng, m, dimensions)
    engine = engine_with_a_record(rng, partners)
    need = request(rng, 99, dimensions)
    scores = scores_of(engine, partners, need)
    k = min(k, scores.m)

    expected = cut.top(every_score(engine, scores, 0.0, frozenset()), k)
    with patch.object(scores_module, "EXACT_BELOW", 0):  # bound however few they are
        found = scores.top(k)

    assert found.tolist() == expected.tolist()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(30, 160), st.integers(1, 8))
def test_the_probes_optimistic_candidates_are_the_same_as_scoring_them_all_with_their_interest_sd(seed, m, k):
    rng = Random(seed)
    partners = market(rng, m, 4)
    engine = engine_with_a_record(rng, partners)
    scores = scores_of(engine, partners, request(rng, 99, 4))
    taken = frozenset(rng.sample(range(scores.m), min(2, scores.m)))
    k = min(k, scores.m - len(taken))

    expected = cut.top(every_score(engine, scores, PROBE_OPTIMISM, taken), k)
    with patch.object(scores_module, "EXACT_BELOW", 0):
        found = scores.top(k, PROBE_OPTIMISM, np.array(PROBE_STAGES), taken)

    assert found.tolist() == expected.tolist()


def test_a_decision_over_many_partners_scores_few_of_them_one_by_one():
    rng = Random(7)
    partners = market(rng, 6000, 4)
    engine = engine_with_a_record(rng, partners, random_weights=False)
    scores = scores_of(engine, partners, request(rng, 99, 4))

    scores.top(5)

    assert 0 < scores._done.sum() < scores.m / 4
