"""A stage that carries the interest stage's liking over says so in its words."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from matching.engine import explain, features
from matching.engine import labels as words
from matching.engine.features import Associations
from matching.engine.learner import ACCEPT, Learner
from matching.engine.types import Deal, Label, Observation, Outcome, Partner
from tests.matching.engine.builders import deal, now, partner


def accepted_before(stacking: float) -> Label:
    """The "accepted before" words for a CRM deal to partner 7, interested in 4 of 5 CRM requests, none decided."""
    learned = Learner()
    for request_id in range(10, 15):
        this = deal(request_id)
        learned.remember(this, 7, features.pair_features(this, partner(7)))
        outcome = Outcome.INTERESTED if request_id < 14 else Outcome.SKIPPED
        learned.observe(Observation(request_id, 7, outcome, now(), None, timedelta(hours=1)))
    learned.stacking[ACCEPT] = stacking
    request = deal(20)
    candidate = explain.Candidate(
        partner=partner(7),
        features=features.pair_features(request, partner(7)),
        global_logit=np.zeros(3),
        cell_mean=np.zeros(3),
        value_eur=10_000.0,
        baseline_value_eur=10_000.0,
        discount=1.0,
    )
    (parts,) = explain.contributions(request, [candidate], learned)
    return next(part.label for part in parts if part.signal == "accepted before")


def test_with_no_acceptances_of_its_own_the_accept_stage_names_the_interest_record_it_carries_over():
    assert accepted_before(0.3) == Label(words.INTERESTED_SIMILAR, {"yes": 4, "total": 5, "kind": "crm"})


def test_a_stage_that_carries_nothing_over_says_nothing_was_accepted_yet():
    assert accepted_before(0.0) == Label(words.ACCEPTED_NONE)


def labels_of(request: Deal, someone: Partner, associations: Associations) -> dict[str, Label]:
    """Each feature signal's words for one candidate, its inferred features read with `associations`."""
    candidate = explain.Candidate(
        partner=someone,
        features=features.pair_features(request, someone, associations),
        global_logit=np.zeros(3),
        cell_mean=np.zeros(3),
        value_eur=10_000.0,
        baseline_value_eur=10_000.0,
        discount=1.0,
    )
    (parts,) = explain.contributions(request, [candidate], Learner())
    return {part.signal: part.label for part in parts}


def test_an_industry_and_products_inferred_from_the_requests_seen_say_so():
    associations = Associations()
    associations.add(deal(1, industry="retail", products=frozenset({"crm", "pos"})))
    request = deal(2, industry="retail", products=frozenset({"pos"}))
    banking_crm = partner(7, industries=frozenset({"banking"}), products=frozenset({"crm"}))
    retail_only = partner(8, industries=frozenset({"retail"}), products=frozenset())

    assert labels_of(request, banking_crm, associations)["industry"] == Label(
        words.INDUSTRY_INFERRED, {"industry": "retail"}
    )
    assert labels_of(request, retail_only, associations)["products"] == Label(
        words.PRODUCTS_INFERRED, {"products": "pos"}
    )
    assert labels_of(request, banking_crm, Associations())["industry"] == Label(
        words.INDUSTRY_OTHER, {"industry": "retail"}
    )
