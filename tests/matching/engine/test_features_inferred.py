"""Undeclared industries and products are inferred from what a partner declares, through the industries and
products that the requests the engine saw name together (never from answers, never from the truth)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from random import Random

import numpy as np
import pytest

from matching.engine import features
from matching.engine.features import Associations
from matching.engine.index import PartnerIndex
from matching.engine.learner import INTEREST, PRIOR_WEIGHTS, Learner
from matching.engine.policy import EnginePolicy
from matching.engine.types import Observation, Outcome
from tests.matching.engine.builders import deal, now, partner
from tests.matching.engine.builders_random import random_deal, random_partner

SMOOTHING = features.ASSOCIATION_SMOOTHING


def seen(*deals) -> Associations:
    associations = Associations()
    for each in deals:
        associations.add(each)
    return associations


def inferred_of(request, someone, associations) -> dict[str, float]:
    x = dict(zip(features.FEATURES, features.pair_features(request, someone, associations).tolist(), strict=True))
    return {"industry": x["industry_inferred"], "products": x["products_inferred"]}


def test_a_partner_declaring_products_typical_of_an_industry_is_inferred_to_work_in_it():
    associations = seen(
        deal(1, industry="retail", products=frozenset({"crm"})),
        deal(2, industry="retail", products=frozenset({"crm", "erp"})),
        deal(3, industry="banking", products=frozenset({"crm"})),
    )
    retail = deal(4, industry="retail", products=frozenset({"pos"}))
    declares_crm_only = partner(1, industries=frozenset({"banking"}), products=frozenset({"crm"}))
    declares_both = partner(2, industries=frozenset({"retail"}), products=frozenset({"crm", "erp"}))

    # crm: 2 retail requests of 3 naming it; erp: 1 of 1; the most of what the partner declares counts.
    assert inferred_of(retail, declares_crm_only, associations)["industry"] == pytest.approx(2 / (3 + SMOOTHING))
    assert inferred_of(retail, declares_both, associations)["industry"] == 0.0  # industry_match says it


def test_a_partner_declaring_an_industry_whose_requests_name_the_products_is_inferred_to_offer_them():
    associations = seen(
        deal(1, industry="retail", products=frozenset({"crm"})),
        deal(2, industry="retail", products=frozenset({"crm", "pos"})),
    )
    request = deal(3, industry="retail", products=frozenset({"crm", "pos"}))
    retail_without_products = partner(1, industries=frozenset({"retail"}), products=frozenset())
    offers_crm = partner(2, industries=frozenset({"retail"}), products=frozenset({"crm"}))

    with_none = inferred_of(request, retail_without_products, associations)["products"]
    with_crm = inferred_of(request, offers_crm, associations)["products"]

    assert with_none == pytest.approx((2 / (2 + SMOOTHING) + 1 / (2 + SMOOTHING)) / 2)
    assert with_crm == pytest.approx((1 / (2 + SMOOTHING)) / 2)  # crm is product_overlap's


def test_nothing_is_inferred_before_any_request_was_seen_nor_from_a_request_without_industry_or_products():
    associations = seen(deal(1, industry="", products=frozenset({"crm"})), deal(2, products=frozenset()))
    request = deal(3)
    someone = partner(1, industries=frozenset({"banking"}), products=frozenset({"crm"}))

    assert inferred_of(request, someone, associations) == {"industry": 0.0, "products": 0.0}
    assert inferred_of(request, someone, None) == {"industry": 0.0, "products": 0.0}
    assert (associations.seen, dict(associations.industries)) == (set(), {})


def test_a_request_seen_twice_counts_once():
    once = seen(deal(1, industry="retail", products=frozenset({"crm"})))
    twice = seen(*[deal(1, industry="retail", products=frozenset({"crm"}))] * 2)

    assert (twice.products_typical_of("retail"), twice.industries_naming("crm")) == (
        once.products_typical_of("retail"),
        once.industries_naming("crm"),
    )
    assert twice.products_typical_of("retail") == {"crm": pytest.approx(1 / (1 + SMOOTHING))}


def test_the_sparse_log_odds_weigh_the_inferred_features_as_the_feature_matrix_does():
    rng = Random(11)
    tags = ["crm", "erp", "cloud", "mail", "retail", "banking"]

    def some(k: int) -> frozenset[str]:
        return frozenset(rng.sample(tags, rng.randint(0, k)))

    index = PartnerIndex()
    index.sync([replace(random_partner(rng, i), industries=some(2), products=some(3)) for i in range(60)])
    associations = seen(*[replace(random_deal(rng, r), industry=rng.choice(tags), products=some(3)) for r in range(40)])
    weights = np.array([[rng.uniform(-2, 2) for _ in features.FEATURES] for _ in range(3)])
    intercepts = np.array([-0.5, 0.7, -0.2])
    rows = np.arange(0, 60, 3)

    for request_id in range(100, 115):
        request = replace(random_deal(rng, request_id), industry=rng.choice(["", *tags]), products=some(3))
        km = features.distances(request, index)
        dense = features.matrix(request, index, rows, km, associations) @ weights.T + intercepts

        found = features.logits(request, index, rows, weights, intercepts, km, associations)
        every = features.logits(request, index, None, weights, intercepts, km, associations)[rows]

        assert found == pytest.approx(dense, abs=1e-9)
        assert every == pytest.approx(dense, abs=1e-9)


def test_the_engine_learns_the_associations_from_the_requests_it_offered_and_a_refit_infers_the_same():
    partners = [
        partner(1, industries=frozenset({"banking"}), products=frozenset({"crm"})),
        partner(2, industries=frozenset({"retail"}), products=frozenset({"erp"})),
        partner(3, industries=frozenset({"retail"}), products=frozenset({"crm"})),
    ]
    live, observed = EnginePolicy(seed=3), []
    for request_id in range(1, 7):
        at = now() - timedelta(days=10 - request_id)
        request = deal(request_id, at=at, industry="retail", products=frozenset({"crm"}))
        decision = live.decide(request, partners, 2, frozenset(), at, Random(request_id))
        for profile_id in decision.chosen:
            offered = Observation(request_id, profile_id, Outcome.OFFERED, at, open_referrals=0)
            live.observe(offered)
            observed.append(offered)
    refit = EnginePolicy(seed=3)
    refit.know(live.learner.deals.values(), partners)

    refit.fit(observed)

    assert live.learner.associations.products_typical_of("retail") == {"crm": pytest.approx(6 / (6 + SMOOTHING))}
    assert refit.learner.associations.products_typical_of("retail") == live.learner.associations.products_typical_of(
        "retail"
    )
    for pair, x in live.learner.pair_features.items():
        assert refit.learner.pair_features[pair] == pytest.approx(x)
    assert {
        x[features.COLUMN["industry_inferred"]]
        for (request_id, _), x in refit.learner.pair_features.items()
        if request_id == 1
    } == {0.0}  # the first request's pairs: no other request was seen before it


def test_a_weak_association_infers_nothing():
    # crm named in 1 retail request of 10: 1 / 15 is below the floor.
    associations = seen(
        deal(1, industry="retail", products=frozenset({"crm"})),
        *[deal(r, industry="banking", products=frozenset({"crm"})) for r in range(2, 11)],
    )
    someone = partner(1, industries=frozenset({"banking"}), products=frozenset({"crm"}))

    assert associations.products_typical_of("retail") == {"crm": pytest.approx(1 / 15)}
    assert inferred_of(deal(20, industry="retail"), someone, associations)["industry"] == 0.0


def test_an_engine_stored_before_the_inferred_features_loads_with_them_at_their_prior_weights():
    old = Learner()
    old.weights = old.weights[:, : features.COLUMN["industry_inferred"]].copy()
    old.pair_features[(1, 1)] = np.ones(features.COLUMN["industry_inferred"])
    del old.__dict__["associations"]

    loaded = Learner.__new__(Learner)
    loaded.__setstate__(dict(old.__dict__))  # as unpickling the stored state does

    assert loaded.weights.shape == (3, features.F)
    assert (
        loaded.weights[INTEREST, features.COLUMN["industry_inferred"]] == PRIOR_WEIGHTS[INTEREST]["industry_inferred"]
    )
    assert loaded.pair_features[(1, 1)].tolist()[-2:] == [0.0, 0.0]
    assert loaded.associations.seen == set()
