"""A decision scores exactly only the partners whose bound can reach the top, and finds the same top partners, in
the same order, as scoring every eligible partner: with the embeddings' cosine bounded, with the learner's
record of some partners, and with the optimism of the probe's candidates."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import timedelta
from random import Random
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.embeddings import Vector
from matching.engine import compact, cut, features
from matching.engine import scores as scores_module
from matching.engine.index import ELIGIBLE
from matching.engine.learner import F
from matching.engine.policy import PROBE_OPTIMISM, PROBE_STAGES, EnginePolicy, capacity_discount, habits
from matching.engine.scores import COSINE, Scores
from matching.engine.types import Deal, Outcome, Partner, Place
from tests.matching.engine.builders import answer, deal, now, partner

INDUSTRIES = ["retail", "manufacturing", "health", "logistics"]
PRODUCTS = ["crm", "erp", "mail", "cloud", "pos", "bi"]
WORDS = ["crm", "cloud", "mail", "sales", "stock", "audit", "shop", "data"]


# Wide embeddings lie mostly along a few common directions, as a model's do: their cosines spread over [-1, 1].
COMMON = np.random.default_rng(0).standard_normal((4, 160))


def embedding(rng: Random, dimensions: int) -> tuple[float, ...]:
    noise = [rng.gauss(0, 1) for _ in range(dimensions)]
    if dimensions != COMMON.shape[1]:
        return tuple(noise)
    along = np.array([rng.gauss(0, 1) for _ in range(len(COMMON))]) @ COMMON
    return tuple((along + np.array(noise)).tolist())


def market(rng: Random, m: int, dimensions: int) -> list[Partner]:
    def vector() -> tuple[float, ...] | None:
        return embedding(rng, dimensions) if rng.random() < 0.8 else None

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
        vector=embedding(rng, dimensions) if rng.random() < 0.8 else None,
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
    # The beliefs in a partner's industries and products weigh in by learned gaps (membership.py).
    engine.learner.memberships.learned_gaps(rng.uniform(0.5, 5.0), rng.uniform(0.5, 5.0))
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
    rows, km = scores.rows, features.distances(scores.deal, scores.index)
    global_logit = features.logits(
        scores.deal, scores.index, rows, learner.weights, learner.intercepts, km, learner.associations
    )
    declares = np.isin(rows, scores.index.industries.of(scores.deal.industry))
    inferred = features.inferred(scores.deal, scores.index, learner.associations, rows)[0]
    positions = engine._positions_of_slots(rows)
    prediction = learner.predict_from_logits(scores.deal, global_logit, positions, now(), declares, inferred)
    sd = np.array(PROBE_STAGES) * np.sqrt(prediction.cell_variance)
    logit = global_logit + prediction.cell_mean
    logit = logit + optimism * sd if optimism else logit
    factor = scores.factor.copy()
    factor[list(taken)] = 0.0
    return np.asarray(cut.sigmoid(logit).prod(axis=1) * factor)


@settings(max_examples=40, deadline=None)
# 160 dimensions: the cosine is bounded from the compact copy of the vectors, and read only where that reaches
@given(st.integers(0, 2**32 - 1), st.integers(30, 160), st.integers(1, 8), st.sampled_from([0, 4, 160]))
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
@given(st.integers(0, 2**32 - 1), st.integers(30, 160), st.integers(1, 8), st.sampled_from([4, 160]))
def test_the_probes_optimistic_candidates_are_the_same_as_scoring_them_all_with_their_interest_sd(
    seed, m, k, dimensions
):
    rng = Random(seed)
    partners = market(rng, m, dimensions)
    engine = engine_with_a_record(rng, partners)
    scores = scores_of(engine, partners, request(rng, 99, dimensions))
    taken = frozenset(rng.sample(range(scores.m), min(2, scores.m)))
    k = min(k, scores.m - len(taken))

    expected = cut.top(every_score(engine, scores, PROBE_OPTIMISM, taken), k)
    with patch.object(scores_module, "EXACT_BELOW", 0):
        found = scores.top(k, PROBE_OPTIMISM, np.array(PROBE_STAGES), taken)

    assert found.tolist() == expected.tolist()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(30, 160), st.sampled_from([4, 160]))
def test_every_partners_bound_and_its_tightening_are_at_or_above_its_log_score(seed, m, dimensions):
    rng = Random(seed)
    partners = market(rng, m, dimensions)
    engine = engine_with_a_record(rng, partners)
    scores = scores_of(engine, partners, request(rng, 99, dimensions))
    everyone = np.arange(scores.m)
    log_score = np.log(cut.sigmoid(scores.logit(everyone)).prod(axis=1))
    room = cut.BOUND_SLACK * (1.0 + np.abs(log_score))

    bound, _ = scores._bound()

    assert (bound >= log_score - room).all()
    if scores._loose is not None:
        weight, loose = scores._loose
        assert (bound + scores._tightening(everyone, weight, loose) >= log_score - room).all()


def test_a_decision_over_many_partners_scores_few_of_them_one_by_one():
    rng = Random(7)
    partners = market(rng, 6000, 4)
    engine = engine_with_a_record(rng, partners, random_weights=False)
    scores = scores_of(engine, partners, request(rng, 99, 4))

    scores.top(5)

    assert 0 < scores._done.sum() < scores.m / 4


def test_a_decision_chooses_the_same_partners_in_the_same_order_with_the_compact_vectors_as_without():
    rng = Random(11)
    partners = market(rng, 1200, 160)  # more than EXACT_BELOW: bounded as over 100,000
    engine = engine_with_a_record(rng, partners)
    without = copy.deepcopy(engine)  # the index is not copied: each engine syncs its own

    for request_id in range(100, 106):
        need = request(rng, request_id, 160)
        seed = rng.getrandbits(32)
        compacted = engine.decide(need, partners, 3, frozenset(), now(), Random(seed))
        with patch.object(compact, "worthwhile", return_value=False):
            read = without.decide(need, partners, 3, frozenset(), now(), Random(seed))

        assert compacted.chosen == read.chosen
        assert [s.profile_id for s in compacted.ranked] == [s.profile_id for s in read.ranked]
    assert engine.index.compact_vectors() is not None
    assert without.index._compact is None


def within_few_directions(rng: Random, n: int) -> list[Vector]:
    """n unit vectors of 160 numbers in 8 common directions: the compact copy bounds their cosines tightly, so
    a stale one would cut the partner whose vector changed."""
    generator = np.random.default_rng(rng.getrandbits(32))
    rows = generator.standard_normal((n, 8)) @ generator.standard_normal((8, 160))
    return [Vector(row / np.linalg.norm(row)) for row in rows]


def test_a_partner_whose_vector_changed_after_the_compact_copy_was_built_is_scored_by_its_new_vector():
    rng = Random(5)
    vectors = within_few_directions(rng, 301)
    partners = [replace(p, vector=v) for p, v in zip(market(rng, 300, 0), vectors, strict=False)]
    engine = engine_with_a_record(rng, partners, random_weights=False)
    engine.learner.weights = np.zeros((3, F))
    engine.learner.weights[:, COSINE] = 8.0  # the cosine alone decides
    engine.learner.memberships.gaps = {"i": 0.0, "p": 0.0}  # ... not the beliefs the record moved
    engine.learner.intercepts = np.full(3, -10.0)  # ... nor the answering habits: no stage's chance is near 1
    need = replace(request(rng, 99, 0), vector=vectors[300])
    before = scores_of(engine, partners, need)
    with patch.object(scores_module, "EXACT_BELOW", 0):
        before.top(1)
    changed = int(before.rows[-1])  # an eligible partner, whose vector becomes the need's own
    partners[changed] = replace(partners[changed], vector=need.vector, capacity=None, open_referrals=0)

    after = scores_of(engine, partners, need)
    with patch.object(scores_module, "EXACT_BELOW", 0):
        found = after.top(1)

    assert after.rows[found].tolist() == [changed]
    assert found.tolist() == cut.top(every_score(engine, after, 0.0, frozenset()), 1).tolist()


def test_the_cosines_of_most_rows_come_from_one_pass_over_the_vectors_and_equal_those_gathered_in_chunks():
    rng = Random(8)
    partners = market(rng, 200, 160)
    index = EnginePolicy().index
    index.sync(partners)
    need = replace(request(rng, 99, 160), vector=embedding(rng, 160))
    with_vectors = sum(p.vector is not None for p in partners)
    few = np.arange(0, 200, 10)  # one row in ten: gathered
    most = np.arange(200)  # every row: one pass over the matrix
    assert len(few) * features.GATHERED_AT_MOST <= with_vectors < with_vectors * features.GATHERED_AT_MOST

    gathered = features.vector_cosines(need, index, few)
    with patch.object(features, "GATHER_CHUNK", 3):
        gathered_in_chunks = features.vector_cosines(need, index, few)
    in_one_pass = features.vector_cosines(need, index, most)

    assert gathered.tolist() == pytest.approx(in_one_pass[few].tolist(), abs=1e-6)
    assert gathered_in_chunks.tolist() == pytest.approx(gathered.tolist(), abs=1e-6)
    assert np.count_nonzero(in_one_pass) == with_vectors
