"""A partner's industries and products are learned as beliefs that it works in them: two answers move them far,
for that industry only, a refit replays them exactly, they fade back to the base rate, and old engines load."""

from __future__ import annotations

from datetime import timedelta
from random import Random

import numpy as np
import pytest

from matching.engine import labels as words
from matching.engine import learner as learner_module
from matching.engine import membership as membership_module
from matching.engine.features import ASSOCIATION_SMOOTHING, COLUMN
from matching.engine.learner import INTEREST, Learner
from matching.engine.membership import INFERRED_LIFT, PRIOR_BASE_RATE, Memberships
from matching.engine.policy import EnginePolicy
from matching.engine.types import Decision, Label, Outcome, Partner
from tests.matching.engine.builders import answer, deal, now, partner

KEEN, OTHER = 1, 2


def finance(request_id: int, at=None):  # type: ignore[no-untyped-def]
    """A request of an industry and a product neither builders.partner declares."""
    return deal(request_id, at, industry="finance", products=frozenset({"ledger"}))


def logistics(request_id: int, at=None):  # type: ignore[no-untyped-def]
    return deal(request_id, at, industry="logistics", products=frozenset({"fleet"}))


def engine_after(answers: list[tuple[int, object, Outcome]]) -> tuple[EnginePolicy, list[Partner]]:
    """Partners KEEN and OTHER, equal; each (profile, request maker, outcome) is one request sent to that one
    partner alone and its first answer, a day apart, ending a week before now."""
    engine = EnginePolicy()
    partners = [partner(KEEN), partner(OTHER)]
    for n, (profile_id, make, outcome) in enumerate(answers):
        at = now() - timedelta(days=7 + len(answers) - n)
        request = make(100 + n, at)  # type: ignore[operator]
        engine.decide(request, [p for p in partners if p.profile_id == profile_id], 1, frozenset(), at, Random(n))
        answer(engine, request.request_id, profile_id, [outcome], at)
    return engine, partners


def order(decision: Decision) -> list[int]:
    return [scored.profile_id for scored in decision.ranked]


def test_a_partner_interested_in_two_of_two_requests_of_an_undeclared_industry_ranks_first_for_the_next_one():
    engine, partners = engine_after([(KEEN, finance, Outcome.INTERESTED)] * 2)

    decision = engine.decide(finance(1), partners, 1, frozenset(), now(), Random(0))

    assert order(decision) == [KEEN, OTHER]
    keen, other = decision.ranked
    assert keen.p_interested > other.p_interested + 0.2


def test_what_two_answers_teach_of_one_undeclared_industry_is_of_that_industry_not_of_another():
    engine, partners = engine_after(
        [(KEEN, finance, Outcome.INTERESTED)] * 2 + [(OTHER, logistics, Outcome.INTERESTED)] * 2
    )

    for_finance = engine.decide(finance(1), partners, 1, frozenset(), now(), Random(0))
    for_logistics = engine.decide(logistics(2), partners, 1, frozenset(), now(), Random(0))

    assert order(for_finance) == [KEEN, OTHER]
    assert order(for_logistics) == [OTHER, KEEN]


def test_a_partner_that_skipped_its_declared_industry_twice_ranks_below_one_that_did_not():
    engine, partners = engine_after([(KEEN, deal, Outcome.SKIPPED)] * 2 + [(OTHER, deal, Outcome.INTERESTED)] * 2)
    fresh = partner(3)

    decision = engine.decide(deal(1), [*partners, fresh], 2, frozenset(), now(), Random(0))

    assert order(decision) == [OTHER, 3, KEEN]


def test_the_partner_reads_its_interest_in_the_requests_industry():
    engine, partners = engine_after([(KEEN, finance, Outcome.INTERESTED)] * 2)

    decision = engine.decide(finance(1), partners, 2, frozenset(), now(), Random(0))

    said = {s.profile_id: {c.signal: c.label for c in s.contributions} for s in decision.ranked}
    assert said[KEEN]["responsiveness"] == Label(words.INTERESTED_SIMILAR, {"yes": 2, "total": 2, "kind": "finance"})
    assert said[OTHER]["responsiveness"] == Label(words.NO_ANSWERS)


def test_a_decisions_contributions_add_up_to_its_score_with_beliefs():
    engine, partners = engine_after([(KEEN, finance, Outcome.INTERESTED), (OTHER, finance, Outcome.SKIPPED)])

    decision = engine.decide(finance(1), partners, 2, frozenset(), now(), Random(0))

    for scored in decision.ranked:
        assert sum(c.points for c in scored.contributions) == pytest.approx(scored.score, rel=1e-12)


def test_a_full_refit_replays_the_beliefs_the_answers_taught():
    engine, _ = engine_after([(KEEN, finance, Outcome.INTERESTED), (KEEN, deal, Outcome.SKIPPED)] * 3)
    refitted, _ = engine_after([(KEEN, finance, Outcome.INTERESTED), (KEEN, deal, Outcome.SKIPPED)] * 3)
    refitted.fit(list(reversed(refitted.learner.observations)))
    slot, at = engine.learner.slot(KEEN), now().timestamp()

    for key in ("i:finance", "p:ledger", "i:retail", "p:crm"):
        assert refitted.learner.memberships.tables[key].get(slot, at) == engine.learner.memberships.tables[key].get(
            slot, at
        )
    assert refitted.learner.memberships.tables["i:finance"].counts(slot) == (3, 3)


def belief(memberships: Memberships, key: str, at: float) -> float:
    ((_, _, p, _),) = [t for t in memberships.terms("finance", ["ledger"], 0, frozenset(), at) if t[0] == key]
    return p


def test_two_interested_answers_make_an_undeclared_industry_likely_and_three_skips_undo_it():
    memberships, at, base_rate = Memberships(), now().timestamp(), PRIOR_BASE_RATE["i"][0]
    for _ in range(2):
        memberships.learn("finance", ["ledger"], 0, frozenset(), -0.6, True, at)
    believed = belief(memberships, "i:finance", at)
    for _ in range(3):
        now_believed = belief(memberships, "i:finance", at)
        memberships.learn("finance", ["ledger"], 0, frozenset(), -0.6 + 2.0 * (now_believed - base_rate), False, at)

    assert believed > 0.6
    assert belief(memberships, "i:finance", at) < base_rate


def answered(memberships: Memberships, interested: bool, times: int, at: float) -> None:
    """`times` answers to finance requests from slot 0, each read at the belief as it then stands."""
    base_rate = PRIOR_BASE_RATE["i"][0]
    for _ in range(times):
        p = belief(memberships, "i:finance", at)
        memberships.learn("finance", ["ledger"], 0, frozenset(), -0.6 + 2.0 * (p - base_rate), interested, at)


def test_twenty_interested_answers_are_undone_by_five_skips_once_the_partner_moved_on():
    memberships, at = Memberships(), now().timestamp()
    answered(memberships, True, 20, at)
    surest = belief(memberships, "i:finance", at)

    answered(memberships, False, 5, at)

    assert memberships.tables["i:finance"].get(0, at) == (pytest.approx(0.0, abs=1e-9), False, 0.0)
    assert round(surest, 4) == 0.9738
    assert belief(memberships, "i:finance", at) == pytest.approx(PRIOR_BASE_RATE["i"][0])


def test_without_the_cap_twenty_interested_answers_outweigh_five_skips(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(membership_module, "EVIDENCE_CAP", float("inf"))
    memberships, at = Memberships(), now().timestamp()
    answered(memberships, True, 20, at)

    answered(memberships, False, 5, at)

    assert belief(memberships, "i:finance", at) > 0.99999


def test_a_belief_fades_back_toward_its_base_rate_with_time():
    memberships, at = Memberships(), now().timestamp()
    memberships.learn("finance", ["ledger"], 0, frozenset(), -0.6, True, at)
    then = belief(memberships, "i:finance", at)

    years_later = belief(memberships, "i:finance", at + 2 * 365 * 86_400.0)

    base_rate = PRIOR_BASE_RATE["i"][0]
    assert base_rate < years_later < base_rate + (then - base_rate) / 4


def test_an_answer_that_says_nothing_of_interest_moves_no_belief():
    engine, _ = engine_after([(KEEN, finance, Outcome.MISSED)])

    assert engine.learner.memberships.tables == {}


def test_an_engine_stored_before_the_beliefs_loads_and_replays_them_from_its_answers():
    engine, _ = engine_after([(KEEN, finance, Outcome.INTERESTED)] * 2)
    state = dict(engine.learner.__dict__)
    del state["memberships"], state["declared"], state["_beliefs_at"]
    old = Learner.__new__(Learner)

    old.__setstate__(state)

    slot = old.slot(KEEN)
    assert old.memberships.tables["i:finance"].counts(slot) == (2, 2)
    assert old.counts(INTEREST, "i:finance", KEEN) == (2, 2)
    evidence, declared, _ = old.memberships.tables["i:finance"].get(slot, now().timestamp())
    assert evidence > 1.0  # read against the cells it holds now, not those of each answer's time: near, not equal
    assert declared is False


def test_without_beliefs_the_interest_stage_learns_industries_as_gaussian_cells(monkeypatch):
    monkeypatch.setattr(learner_module, "MEMBERSHIP", False)

    engine, _ = engine_after([(KEEN, finance, Outcome.INTERESTED)] * 2)

    assert engine.learner.memberships.tables == {}
    assert engine.learner.cells[INTEREST]["i:finance"].counts(engine.learner.slot(KEEN)) == (2, 2)


COUPLING = 0.15  # a strength measured (docs/matching-history.md), not the one the engine keeps


@pytest.fixture
def coupled(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(membership_module, "COUPLING", COUPLING)


def skipped_retail_twice() -> Memberships:
    """Slot 0 skipped two requests of retail, an industry it declared."""
    memberships, at = Memberships(), now().timestamp()
    for _ in range(2):
        term = memberships.term("retail", ["crm"], 0, frozenset({"i:retail", "p:crm"}), at)
        memberships.learn("retail", ["crm"], 0, frozenset({"i:retail", "p:crm"}), -0.6 + term, False, at)
    return memberships


def test_a_partner_that_skipped_its_declared_industry_twice_is_believed_likelier_in_an_undeclared_one(coupled):
    memberships, at = skipped_retail_twice(), now().timestamp()
    declared_rate, undeclared_rate = PRIOR_BASE_RATE["i"][1], PRIOR_BASE_RATE["i"][0]
    (retail,) = [p for key, _, p, _ in memberships.terms("retail", [], 0, frozenset({"i:retail"}), at)]

    finance = belief(memberships, "i:finance", at)

    assert retail < declared_rate - 0.2
    assert finance == pytest.approx(undeclared_rate + COUPLING * (declared_rate - retail), rel=1e-12)
    assert belief(Memberships(), "i:finance", at) == undeclared_rate


def test_a_confirmed_undeclared_industry_lowers_the_partners_other_undeclared_ones(coupled):
    memberships, at = Memberships(), now().timestamp()
    for _ in range(2):
        term = memberships.term("finance", ["ledger"], 0, frozenset(), at)
        memberships.learn("finance", ["ledger"], 0, frozenset(), -0.6 + term, True, at)
    confirmed = belief(memberships, "i:finance", at)

    (logistics,) = [p for key, _, p, _ in memberships.terms("logistics", [], 0, frozenset(), at) if key[0] == "i"]

    undeclared_rate = PRIOR_BASE_RATE["i"][0]
    assert confirmed > 0.6
    assert logistics == pytest.approx(undeclared_rate - COUPLING * (confirmed - undeclared_rate), rel=1e-12)
    assert belief(memberships, "i:finance", at) == confirmed  # its own belief is not moved by itself


def test_the_decisions_coupled_beliefs_are_the_ones_each_partner_reads(coupled):
    memberships, at = skipped_retail_twice(), now().timestamp()
    memberships.learn("logistics", [], 1, frozenset(), -0.6, True, at)
    position = np.array([0, 1])  # slot -> row
    mean, variance = np.zeros(2), np.zeros(2)

    memberships.add("finance", ["ledger"], position, at, mean, variance, np.array([False, False]))

    for slot in (0, 1):
        assert mean[slot] == pytest.approx(memberships.term("finance", ["ledger"], slot, frozenset(), at), rel=1e-12)
    assert mean[0] > 0.0 > mean[1]


def test_with_no_coupling_an_industrys_belief_hears_only_its_own_answers(monkeypatch):
    monkeypatch.setattr(membership_module, "COUPLING", 0.0)
    memberships, at = skipped_retail_twice(), now().timestamp()

    assert belief(memberships, "i:finance", at) == PRIOR_BASE_RATE["i"][0]


def test_an_undeclared_industrys_base_rate_rises_with_its_association_to_the_products_the_partner_declares():
    memberships = Memberships()
    undeclared_rate, declared_rate = PRIOR_BASE_RATE["i"]

    assert memberships.base_rate("i:finance", False, 0.5) == pytest.approx(undeclared_rate + INFERRED_LIFT * 0.5)
    assert memberships.base_rate("i:finance", False, 0.0) == undeclared_rate
    assert memberships.base_rate("i:finance", True, 0.5) == declared_rate
    assert memberships.base_rate("p:ledger", False, 0.5) == PRIOR_BASE_RATE["p"][0]


def test_one_interested_answer_moves_an_associated_industry_further_than_one_without_a_reason():
    at = now().timestamp()
    believed = {}
    for inferred in (0.0, 0.6):
        memberships = Memberships()
        before = memberships.term("finance", [], 0, frozenset(), at, inferred)
        memberships.learn("finance", [], 0, frozenset(), -0.6 + before, True, at, inferred)
        ((_, _, p, prior),) = memberships.terms("finance", [], 0, frozenset(), at)
        believed[inferred] = (before, prior, p)

    assert believed[0.0][:2] == (0.0, PRIOR_BASE_RATE["i"][0])
    assert believed[0.6][:2] == (0.0, pytest.approx(PRIOR_BASE_RATE["i"][0] + INFERRED_LIFT * 0.6))
    assert believed[0.6][2] > believed[0.0][2] + 0.1  # the record keeps the association it was first read with


def test_a_decision_reads_a_partners_association_in_its_spread_not_in_its_mean():
    memberships, at = Memberships(), now().timestamp()
    memberships.learn("logistics", [], 2, frozenset(), -0.6, True, at)  # a record, so the slots exist
    position = np.array([0, 1, 2])
    mean, variance = np.zeros(3), np.zeros(3)

    memberships.add("finance", [], position, at, mean, variance, np.zeros(3, dtype=bool), np.array([0.6, 0.0, 0.0]))

    rate, undeclared_rate = PRIOR_BASE_RATE["i"][0] + INFERRED_LIFT * 0.6, PRIOR_BASE_RATE["i"][0]
    gap = memberships.gaps["i"]
    assert mean[:2] == pytest.approx([0.0, 0.0], abs=1e-12)
    assert variance[0] == pytest.approx(gap * gap * (rate * (1 - rate) - undeclared_rate * (1 - undeclared_rate)))
    assert variance[1] == 0.0


def finance_crm(request_id: int, at=None):  # type: ignore[no-untyped-def]
    """A request of an industry neither partner declares, naming a product both do."""
    return deal(request_id, at, industry="finance", products=frozenset({"crm"}))


def test_a_pairs_association_is_the_one_its_features_recorded_and_a_refit_replays_it():
    """Once the engine saw two finance requests name crm, finance is inferred for KEEN, which declares crm."""
    answers = [(OTHER, finance_crm, Outcome.SKIPPED)] * 2 + [(KEEN, finance_crm, Outcome.SKIPPED)] * 2
    engine, _ = engine_after(answers)
    refitted, _ = engine_after(answers)
    refitted.fit(list(reversed(refitted.learner.observations)))
    slot, at = engine.learner.slot(KEEN), now().timestamp()
    first = engine.learner.pair_features[(102, KEEN)]

    record = engine.learner.memberships.tables["i:finance"].get(slot, at)

    assert first[COLUMN["industry_inferred"]] == pytest.approx(2 / (2 + ASSOCIATION_SMOOTHING))
    assert record is not None and record[2] == first[COLUMN["industry_inferred"]]
    assert refitted.learner.memberships.tables["i:finance"].get(slot, at) == record
