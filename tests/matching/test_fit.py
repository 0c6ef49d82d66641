"""matching.fit: the engine's learned fit of profiles for a searched deal, from their own record on deals like it."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from matching import fit
from matching.engine.policy import EnginePolicy
from matching.engine.types import Deal
from matching.models import EngineState
from tests.factories import NOW
from tests.matching.learned import ACCEPTING, DECLINING, UNKNOWN, crm_deal, trained

ERP_DEAL = Deal(0, NOW, industry="manufacturing", products=frozenset({"erp"}), budget_eur=3e3)


IDS = np.array([ACCEPTING, DECLINING, UNKNOWN], dtype=np.int64)


def test_a_partner_that_accepted_crm_deals_fits_the_next_one_better_than_one_that_declined_them():
    accepting, declining, unknown = fit.of_learner(trained().learner, crm_deal(9), IDS, NOW)
    assert accepting > unknown == 0.5
    assert accepting - declining > 0.15  # both work in CRM (interested in 5 of 5): the declines tell them apart


def test_declining_crm_deals_says_nothing_of_an_erp_deal():
    accepting, declining, unknown = fit.of_learner(trained().learner, ERP_DEAL, IDS, NOW)
    assert accepting == pytest.approx(declining)
    assert unknown == 0.5


def test_an_engine_that_learned_nothing_fits_everyone_neutrally_and_profiles_come_back_in_the_order_asked():
    assert fit.of_learner(EnginePolicy().learner, crm_deal(9), IDS, NOW).tolist() == [0.5, 0.5, 0.5]
    reordered = np.array([UNKNOWN, DECLINING, ACCEPTING], dtype=np.int64)
    forward = fit.of_learner(trained().learner, crm_deal(9), IDS, NOW)
    assert fit.of_learner(trained().learner, crm_deal(9), reordered, NOW).tolist() == forward[::-1].tolist()
    assert fit.of_learner(trained().learner, crm_deal(9), np.zeros(0, dtype=np.int64), NOW).tolist() == []


def test_a_search_is_a_deal_without_budget_or_id():
    deal = fit.search_deal(NOW, need="CRM для розничной торговли", industry="retail", product="crm", size="10-49")
    assert (deal.request_id, deal.industry, deal.products, deal.size, deal.budget_eur) == (
        0,
        "retail",
        frozenset({"crm"}),
        "10-49",
        None,
    )
    assert (deal.source, deal.words) == ("finder", frozenset({"crm", "розничн", "торговл"}))


@pytest.mark.django_db
def test_the_stored_engine_answers_and_names_the_record_behind_each_fit():
    policy = trained()
    EngineState.objects.create(
        pk=1, version=policy.model_version, trained_at=NOW, updated_at=NOW, state=pickle.dumps(policy)
    )
    deal = fit.search_deal(NOW, need="crm", industry="retail", product="crm")
    assert fit.values(deal, IDS, NOW).tolist() == fit.of_learner(policy.learner, deal, IDS, NOW).tolist()
    assert fit.record(fit.learner(), deal, ACCEPTING, NOW) == fit.Record("interested", "product", "crm", 5, 5)
    # Interested in 5 of 5 CRM requests, it surely works in CRM (membership.py): that moves its fit more than its
    # declines, which its acceptance record says.
    assert fit.record(fit.learner(), deal, DECLINING, NOW) == fit.Record("interested", "product", "crm", 5, 5)
    assert fit._log_ratios(fit.learner(), fit._shifts(fit.learner(), deal, DECLINING, NOW))[1] < -0.5
    assert fit.record(fit.learner(), deal, UNKNOWN, NOW) is None


def test_fits_kept_for_a_kind_of_deal_are_never_another_learners_even_of_the_same_version():
    first = trained()
    swapped = trained(accepting=DECLINING, declining=ACCEPTING)
    assert first.model_version == swapped.model_version  # as many answers, the same prior weights
    before = fit.of_learner(first.learner, crm_deal(9), IDS, NOW).tolist()
    after = fit.of_learner(swapped.learner, crm_deal(9), IDS, NOW).tolist()
    assert after == [before[1], before[0], before[2]]
