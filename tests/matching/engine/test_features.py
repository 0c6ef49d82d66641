"""The index's shortcuts answer as their owners do: the hard rules as `eligibility.exclusion`, distances as
`eligibility.distance_km`; and each answer teaches the stage it belongs to."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from random import Random

import pytest

from matching.engine import eligibility, features
from matching.engine.index import ELIGIBLE, PartnerIndex
from matching.engine.learner import ACCEPT, INTEREST, WIN, Learner
from matching.engine.types import SIZES, Observation, Outcome, Place
from tests.matching.engine.builders import deal, now, partner


def random_partner(rng: Random, profile_id: int):
    return partner(
        profile_id,
        country=rng.choice(["DE", "AT"]),
        serves_countries=frozenset(rng.sample(["DE", "AT", "PL"], rng.randint(0, 2))),
        places=tuple(Place(rng.uniform(45, 55), rng.uniform(5, 20)) for _ in range(rng.randint(0, 3))),
        sizes=frozenset(rng.sample(SIZES, rng.randint(0, 2))),
        only_target_sizes=rng.random() < 0.5,
        languages=frozenset(rng.sample(["de", "en", "pl"], rng.randint(1, 2))),
        accepting=rng.random() < 0.8,
        capacity=rng.choice([None, 1, 3]),
        open_referrals=rng.randint(0, 3),
    )


def random_deal(rng: Random, request_id: int):
    return deal(
        request_id,
        size=rng.choice(["", *SIZES]),
        language=rng.choice(["de", "en", "pl"]),
        country=rng.choice(["DE", "AT", "PL"]),
        lat=rng.uniform(45, 55),
        lon=rng.uniform(5, 20),
    )


def test_the_remembered_hard_rules_answer_as_eligibility_exclusion_through_changes():
    rng = Random(3)
    index = PartnerIndex()
    partners = [random_partner(rng, i) for i in range(60)]
    for step in range(40):
        index.sync(partners)
        request = random_deal(rng, step)
        asked = frozenset(rng.sample(range(60), 3))
        codes = index.exclusions(request, asked)
        plain = [eligibility.exclusion(request, p, asked) for p in partners]
        assert index.reasons(codes) == plain
        assert [code == ELIGIBLE for code in codes.tolist()] == [reason == "" for reason in plain]
        changed = rng.randrange(60)  # a partner changes between two decisions, as capacity fills
        partners = list(partners)
        partners[changed] = random_partner(rng, changed)


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


def answers_of(*outcomes: Outcome) -> Learner:
    learner = Learner()
    request = deal(1)
    learner.remember(request, 7, features.pair_features(request, partner(7)))
    for i, outcome in enumerate(outcomes):
        learner.observe(Observation(1, 7, outcome, now() + timedelta(hours=i), value_eur=None))
    return learner


@pytest.mark.parametrize(
    ("outcomes", "labels"),
    [
        ((Outcome.OFFERED,), []),  # an offer with no answer is not yet a miss
        ((Outcome.OFFERED, Outcome.MISSED), [(INTEREST, 0)]),
        ((Outcome.SKIPPED,), [(INTEREST, 0)]),
        ((Outcome.INTERESTED, Outcome.ACCEPTED), [(INTEREST, 1), (ACCEPT, 1)]),  # an open deal is no loss
        ((Outcome.INTERESTED, Outcome.EXPIRED), [(INTEREST, 1), (ACCEPT, 0)]),
        ((Outcome.INTERESTED, Outcome.ACCEPTED, Outcome.LOST), [(INTEREST, 1), (ACCEPT, 1), (WIN, 0)]),
        ((Outcome.WON, Outcome.WON), [(INTEREST, 1), (ACCEPT, 1), (WIN, 1)]),  # implied once, counted once
    ],
)
def test_each_answer_teaches_its_stage_once(outcomes, labels):
    learner = answers_of(*outcomes)

    assert [(label.stage, label.y) for label in learner.labels] == labels
    assert learner.offer_count(7) == 1


def test_the_expected_value_moves_from_the_prior_toward_the_values_seen():
    learner = Learner()
    request = deal(1, budget_eur=None)
    before, _ = learner.expected_value(request)
    for request_id in range(1, 11):
        this = replace(request, request_id=request_id)
        learner.remember(this, 7, features.pair_features(this, partner(7)))
        learner.observe(Observation(request_id, 7, Outcome.WON, now(), value_eur=100_000.0))

    after, _ = learner.expected_value(request)

    assert before == pytest.approx(10_000 * 2.718281828**0.5, rel=1e-6)  # exp(mu + sigma^2 / 2)
    assert 50_000 < after < 100_000
