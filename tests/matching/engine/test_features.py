"""A pair's features read the request against the declared profile; distances are `eligibility.distance_km`'s."""

from __future__ import annotations

from dataclasses import replace
from random import Random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine import eligibility, features
from matching.engine.index import PartnerIndex
from matching.engine.types import Place
from tests.matching.engine.builders import deal, partner
from tests.matching.engine.builders_random import random_deal, random_partner


def test_the_distances_are_eligibility_distance_km():
    rng = Random(5)
    index = PartnerIndex()
    partners = [random_partner(rng, i) for i in range(40)]
    index.sync(partners)
    request = random_deal(rng, 1)

    km = features.distances(request, index)

    for i, p in enumerate(partners):
        expected = eligibility.distance_km(request, p)
        assert (km[i] == pytest.approx(expected, abs=1e-6)) if expected is not None else km[i] != km[i]


def test_the_features_of_a_pair_read_the_request_against_the_declared_profile():
    request = deal(1, size="10-49", words=frozenset({"crm", "cloud"}), source="advertising", budget_eur=30_000.0)
    someone = partner(1, sizes=frozenset({"10-49"}), keywords=frozenset({"crm", "sales", "cloud", "mail"}))

    x = dict(zip(features.FEATURES, features.pair_features(request, someone).tolist(), strict=True))

    assert x["industry_match"] == x["product_overlap"] == x["size_in_target"] == x["local"] == 1.0
    assert x["words_cosine"] == pytest.approx(2 / (2 * 4) ** 0.5)
    assert x["source_advertising"] == x["budget_large"] == x["remote"] + 1.0 == 1.0


def test_the_distance_of_a_partner_serving_other_countries_is_a_feature_of_its_own():
    far = deal(1, lat=48.14, lon=11.58)  # Munich, about 500 km from the Berlin partners
    local_only = partner(1)
    wide = partner(2, serves_countries=frozenset({"DE", "AT", "FR"}))

    local_x = dict(zip(features.FEATURES, features.pair_features(far, local_only).tolist(), strict=True))
    wide_x = dict(zip(features.FEATURES, features.pair_features(far, wide).tolist(), strict=True))

    assert local_x["log_km_wide"] == 0.0
    assert wide_x["log_km_wide"] == wide_x["log_km"] == local_x["log_km"] > 0.8


def test_a_local_partners_distance_counts_in_km_too_and_a_busy_partners_load_is_a_feature():
    far = deal(1, lat=48.14, lon=11.58)
    local_only = partner(1, capacity=8, open_referrals=6)
    wide = partner(2, serves_countries=frozenset({"DE", "AT"}), capacity=None, open_referrals=6)

    local_x = dict(zip(features.FEATURES, features.pair_features(far, local_only).tolist(), strict=True))
    wide_x = dict(zip(features.FEATURES, features.pair_features(far, wide).tolist(), strict=True))

    assert local_x["km_near"] == pytest.approx(eligibility.distance_km(far, local_only) / 1000.0)
    assert (wide_x["km_near"], local_x["load"], wide_x["load"]) == (0.0, 0.75, 0.0)


def test_the_sparse_log_odds_are_the_feature_matrix_times_the_weights():
    rng = Random(8)
    index = PartnerIndex()
    tags = ["crm", "erp", "cloud", "mail", "retail", "manufacturing"]

    def some(k: int) -> frozenset[str]:
        return frozenset(rng.sample(tags, rng.randint(0, k)))

    index.sync(
        [
            replace(random_partner(rng, i), industries=some(2), products=some(3), services=some(2), keywords=some(4))
            for i in range(60)
        ]
    )
    weights = np.array([[rng.uniform(-2, 2) for _ in features.FEATURES] for _ in range(3)])
    intercepts = np.array([-0.5, 0.7, -0.2])
    rows = np.arange(0, 60, 2)

    for request_id in range(1, 20):
        request = replace(
            random_deal(rng, request_id),
            industry=rng.choice(["", *tags]),
            products=some(3),
            services=some(2),
            words=some(3),
            source=rng.choice(["finder", "agent", "advertising"]),
            budget_eur=rng.choice([None, 3_000.0, 60_000.0]),
        )
        km = features.distances(request, index)
        dense = features.matrix(request, index, rows) @ weights.T + intercepts

        assert features.logits(request, index, rows, weights, intercepts, km) == pytest.approx(dense, abs=1e-9)


def test_the_matched_terms_are_the_ones_behind_the_features_of_the_pair():
    rng = Random(11)
    tags = ["crm", "erp", "cloud", "mail", "retail"]

    def some(k: int) -> frozenset[str]:
        return frozenset(rng.sample(tags, rng.randint(0, k)))

    for i in range(200):
        someone = replace(
            random_partner(rng, i), industries=some(2), products=some(3), services=some(2), keywords=some(3)
        )
        request = replace(
            random_deal(rng, i),
            industry=rng.choice(["", *tags]),
            products=some(2),
            services=some(2),
            words=some(3),
        )
        x = dict(zip(features.FEATURES, features.pair_features(request, someone).tolist(), strict=True))
        matched = features.matched_terms(request, someone)

        def count(kind: str, terms: frozenset[tuple[str, str]] = matched) -> int:
            return sum(1 for k, _ in terms if k == kind)

        assert x["industry_match"] == count("industry")
        assert x["product_overlap"] * len(request.products) == pytest.approx(count("product"))
        assert x["service_overlap"] * len(request.services) == pytest.approx(count("service"))
        assert (x["words_cosine"] > 0) == (count("keyword") > 0)
        assert {t for k, t in matched if k == "keyword"} == request.words & someone.keywords


def test_a_request_matches_a_partner_term_by_term():
    request = deal(
        1, industry="retail", products=frozenset({"crm", "erp"}), words=frozenset({"cloud", "mail", "migrat"})
    )
    someone = partner(
        1, industries=frozenset({"retail"}), products=frozenset({"crm"}), keywords=frozenset({"cloud", "sap"})
    )

    expected = {("industry", "retail"), ("product", "crm"), ("keyword", "cloud")}
    assert features.matched_terms(request, someone) == expected


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.lists(st.floats(-3.0, 3.0), min_size=5, max_size=5))
def test_the_distance_bound_is_at_or_above_what_the_distance_features_add_and_within_a_step_of_it(seed, weighs):
    rng = Random(seed)
    index = PartnerIndex()
    # Some partners without a place, some serving other countries, some within LOCAL_KM of the request.
    partners = [random_partner(rng, i) for i in range(60)]
    partners += [partner(100 + i, places=(Place(52.52 + rng.uniform(-0.6, 0.6), 13.40),)) for i in range(20)]
    index.sync(partners)
    request = replace(random_deal(rng, 1), lat=52.52, lon=13.40)
    weights = np.zeros((1, features.F))
    for name, weight in zip(features.DISTANCE_FEATURES, weighs, strict=True):
        weights[0, features.COLUMN[name]] = weight
    everyone = np.arange(len(partners))
    exact = features.logits(request, index, everyone, weights, np.zeros(1), features.distances(request, index))[:, 0]

    bound = features.distance_bound(features.nearest_dots(request, index), index.serves_wide, weights[0])

    assert np.all(bound >= exact - 1e-12)  # the same numbers summed in another order
    step_km = 2 * 6371.0088 / features.CHORD_STEPS  # a step of chord is at most this many km of arc, and the
    slack = sum(abs(w) for w in weighs) * (step_km / features.KM_SCALE + 1.0)  # log_km moves at most 1 per km
    placed = ~np.isnan(features.distances(request, index))
    near_edge = np.abs(features.distances(request, index) - features.LOCAL_KM) < step_km
    assert np.all((bound - exact)[placed & ~near_edge] <= slack)
    assert np.all(bound[~placed] == exact[~placed])
