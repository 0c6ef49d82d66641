"""The engine routes by the expected value of sending, applies the hard rules first, gives qualified new
partners their floor, never asks anyone twice, and its stored contributions add up to each score."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from random import Random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine import eligibility, explain, features, policy
from matching.engine.policy import NEW_PARTNER_OFFERS, EnginePolicy, timeliness_factor
from matching.engine.types import TURNED_DOWN, Decision, Observation, Outcome, Partner
from tests.matching.engine.builders import answer, deal, now, partner

ACCEPTS, DECLINES = 1, 2


def engine_after_five_crm_deals() -> tuple[EnginePolicy, list[Partner]]:
    """Partner 1 accepted five retail CRM deals, partner 2 declined five; otherwise they are the same."""
    engine = EnginePolicy()
    partners = [partner(ACCEPTS), partner(DECLINES)]
    for request_id in range(1, 6):
        at = now() - timedelta(days=40 - request_id)
        engine.decide(deal(request_id, at), partners, 2, frozenset(), at, Random(request_id))
        answer(engine, request_id, ACCEPTS, [Outcome.INTERESTED, Outcome.ACCEPTED], at)
        answer(engine, request_id, DECLINES, [Outcome.INTERESTED, Outcome.DECLINED], at)
    return engine, partners


def order(decision: Decision) -> list[int]:
    return [scored.profile_id for scored in decision.ranked]


def test_a_partner_that_declined_five_crm_deals_ranks_below_one_that_accepted_them_for_the_next_crm_deal():
    engine, partners = engine_after_five_crm_deals()

    decision = engine.decide(deal(6), partners, 1, frozenset(), now(), Random(0))

    assert order(decision) == [ACCEPTS, DECLINES]
    assert decision.ranked[0].p_accept > decision.ranked[1].p_accept


def test_declining_crm_deals_says_nothing_about_an_erp_deal_of_another_industry_and_budget():
    engine, partners = engine_after_five_crm_deals()

    erp = deal(6, industry="manufacturing", products=frozenset({"erp"}), budget_eur=200_000.0)
    decision = engine.decide(erp, partners, 1, frozenset(), now(), Random(0))

    accepts, declines = sorted(decision.ranked, key=lambda scored: scored.profile_id)
    assert declines.p_accept == accepts.p_accept
    assert declines.score == accepts.score


FULL, NOT_OUR_FIELD, UNASKED = 1, 2, 3


def engine_after_five_crm_deals_turned_down(outcomes: list[Outcome]) -> tuple[EnginePolicy, list[Partner]]:
    """Partners FULL and NOT_OUR_FIELD each gave `outcomes` to five retail CRM deals, the first saying it had no
    capacity, the second that it is not its field; UNASKED, otherwise the same, was never offered one."""
    engine = EnginePolicy()
    partners = [partner(FULL), partner(NOT_OUR_FIELD), partner(UNASKED)]
    for request_id in range(1, 6):
        at = now() - timedelta(days=40 - request_id)
        engine.decide(deal(request_id, at), partners[:2], 2, frozenset(), at, Random(request_id))
        for profile_id, reason in ((FULL, "no-capacity"), (NOT_OUR_FIELD, "not-our-field")):
            for i, outcome in enumerate(outcomes):
                waited = timedelta(hours=2) if outcome is Outcome.SKIPPED else None
                said = reason if outcome in TURNED_DOWN else ""
                answered = at + timedelta(hours=i)
                engine.observe(Observation(request_id, profile_id, outcome, answered, None, waited, reason=said))
    return engine, partners


def test_no_thanks_for_no_capacity_says_nothing_of_a_partners_interest_in_crm_deals_and_not_our_field_does():
    engine, partners = engine_after_five_crm_deals_turned_down([Outcome.SKIPPED])

    decision = engine.decide(deal(6), partners, 1, frozenset(), now(), Random(0))

    by_id = {scored.profile_id: scored for scored in decision.ranked}
    assert by_id[FULL].p_interested == by_id[UNASKED].p_interested
    assert by_id[NOT_OUR_FIELD].p_interested < by_id[FULL].p_interested
    assert order(decision).index(NOT_OUR_FIELD) > order(decision).index(FULL)


def test_a_decline_for_no_capacity_says_nothing_of_accepting_crm_deals_and_one_as_not_our_field_does():
    engine, partners = engine_after_five_crm_deals_turned_down([Outcome.INTERESTED, Outcome.DECLINED])

    decision = engine.decide(deal(6), partners, 1, frozenset(), now(), Random(0))

    by_id = {scored.profile_id: scored for scored in decision.ranked}
    assert by_id[FULL].p_accept == by_id[UNASKED].p_accept
    assert by_id[NOT_OUR_FIELD].p_accept < by_id[FULL].p_accept
    assert by_id[FULL].p_interested > by_id[UNASKED].p_interested  # it was interested, each time


BIG, SMALL = 1, 2


def engine_after_deals_of_two_sizes() -> tuple[EnginePolicy, list[Partner]]:
    """Of 30 retail CRM deals of 7,000 or 50,000 EUR, partner BIG wanted the larger ones and partner SMALL the
    smaller ones; otherwise they are the same."""
    engine = EnginePolicy()
    partners = [partner(BIG), partner(SMALL)]
    for request_id in range(1, 31):
        at = now() - timedelta(days=40 - request_id)
        large = request_id % 2 == 0
        engine.decide(
            deal(request_id, at, budget_eur=50_000.0 if large else 7_000.0), partners, 2, frozenset(), at, Random(0)
        )
        for profile_id, keen in ((BIG, large), (SMALL, not large)):
            answer(engine, request_id, profile_id, [Outcome.INTERESTED if keen else Outcome.SKIPPED], at)
    return engine, partners


@pytest.mark.parametrize(("budget", "first"), [(300_000.0, BIG), (1_500.0, SMALL)])
def test_a_partner_keen_on_larger_deals_ranks_first_for_a_deal_larger_than_any_it_answered_and_not_for_a_smaller(
    budget, first
):
    engine, partners = engine_after_deals_of_two_sizes()

    decision = engine.decide(deal(31, budget_eur=budget), partners, 1, frozenset(), now(), Random(0))

    assert order(decision)[0] == first
    assert decision.ranked[0].p_interested > decision.ranked[1].p_interested


def test_a_partner_that_answers_within_hours_ranks_above_one_as_interested_that_answers_after_two_days():
    fast, slow = 1, 2
    engine, partners = EnginePolicy(), [partner(fast), partner(slow)]
    for request_id in range(1, 6):
        at = now() - timedelta(days=40 - request_id)
        engine.decide(deal(request_id, at), partners, 2, frozenset(), at, Random(request_id))
        for profile_id, hours in ((fast, 3), (slow, 50)):
            answered = at + timedelta(hours=hours)
            engine.observe(
                Observation(request_id, profile_id, Outcome.INTERESTED, answered, None, timedelta(hours=hours))
            )

    decision = engine.decide(deal(6), partners, 1, frozenset(), now(), Random(0))

    assert order(decision) == [fast, slow]
    assert decision.ranked[0].p_interested == pytest.approx(decision.ranked[1].p_interested, rel=1e-3)
    speed = {s.profile_id: {c.signal: c for c in s.contributions}["speed"] for s in decision.ranked}
    assert (str(speed[fast].label), str(speed[slow].label)) == ("answers within 3 h", "answers within 50 h")
    assert speed[fast].points > 0 > speed[slow].points


def test_a_partner_at_capacity_gets_nothing():
    engine = EnginePolicy()
    full = partner(1, capacity=2, open_referrals=2)

    decision = engine.decide(deal(1), [full, partner(2)], 2, frozenset(), now(), Random(0))

    assert decision.chosen == (2,)
    assert decision.excluded == {1: eligibility.OVER_CAPACITY}
    assert order(decision) == [2]


def test_a_partner_nearing_capacity_is_discounted():
    engine = EnginePolicy()
    busy = partner(1, capacity=2, open_referrals=1)

    decision = engine.decide(deal(1), [busy, partner(2)], 2, frozenset(), now(), Random(0))

    free, half_full = decision.ranked
    assert order(decision) == [2, 1]
    assert half_full.p_interested < free.p_interested  # the load feature: a busier partner is less interested
    discount = 1 - policy.CAPACITY_PENALTY * (1 / 2) ** policy.CAPACITY_POWER
    interest = half_full.p_interested / free.p_interested
    assert half_full.score == pytest.approx(free.score * discount * interest, rel=1e-12)
    assert {c.signal: str(c.label) for c in decision.ranked[1].contributions}["capacity"] == "1 of 2 open referrals"


def test_a_qualified_new_partner_gets_its_floor_until_it_had_five_offers():
    engine = EnginePolicy()
    established = [partner(i) for i in range(1, 4)]
    for request_id in range(1, 11):  # the established partners win everything: they score far above a newcomer
        at = now() - timedelta(days=60)
        engine.decide(deal(request_id, at), established, 3, frozenset(), at, Random(request_id))
        for profile_id in range(1, 4):
            answer(engine, request_id, profile_id, [Outcome.INTERESTED, Outcome.ACCEPTED, Outcome.WON], at)
    newcomer = partner(9, joined_at=now() - timedelta(days=3), places=())
    everyone = [*established, newcomer]

    chosen = []
    for request_id in range(11, 11 + NEW_PARTNER_OFFERS + 1):
        decision = engine.decide(deal(request_id), everyone, 1, frozenset(), now(), Random(request_id))
        answer(engine, request_id, decision.chosen[0], [Outcome.OFFERED], now())
        chosen.append(decision.chosen[0])
        if decision.chosen == (9,):
            scored = next(s for s in decision.ranked if s.profile_id == 9)
            assert (scored.boost, scored.propensity) == ("new partner", 1.0)
            assert str(scored.contributions[-1].label) == "new partner: a fair chance"

    assert chosen[:NEW_PARTNER_OFFERS] == [9] * NEW_PARTNER_OFFERS
    assert chosen[NEW_PARTNER_OFFERS] != 9


def test_an_unqualified_new_partner_gets_no_floor():
    engine = EnginePolicy()
    stranger = partner(9, joined_at=now() - timedelta(days=3), industries=frozenset(), products=frozenset())

    decision = engine.decide(deal(1), [partner(1), stranger], 1, frozenset(), now(), Random(0))

    assert all(scored.boost != "new partner" for scored in decision.ranked)


def test_the_engine_never_asks_anyone_twice():
    engine = EnginePolicy()
    partners = [partner(i) for i in range(1, 5)]
    asked: frozenset[int] = frozenset({3})

    for step in range(4):
        decision = engine.decide(deal(1), partners, 1, asked, now() + timedelta(hours=step), Random(step))
        assert not set(decision.chosen) & asked
        assert all(decision.excluded[profile_id] == eligibility.ALREADY_ASKED for profile_id in asked)
        asked |= set(decision.chosen)

    assert asked == {1, 2, 3, 4}
    assert decision.chosen == ()
    assert decision.ranked == ()


def test_a_decisions_contributions_add_up_to_its_score():
    engine, partners = engine_after_five_crm_deals()
    partners.append(partner(3, joined_at=now() - timedelta(days=2), capacity=3, open_referrals=2, places=()))

    decision = engine.decide(deal(6, words=frozenset({"crm"})), partners, 2, frozenset(), now(), Random(0))

    for scored in decision.ranked:
        assert sum((c.points for c in scored.contributions), 0.0) == scored.score
        product = scored.p_interested * scored.p_accept * scored.p_win * scored.expected_value_eur
        # Capacity only lowers a score; answering in time raises it at most to a partner always in time.
        assert scored.score <= product * timeliness_factor(np.ones(1), engine.learner.timely.overall())[0] * (1 + 1e-9)
    labels = {c.signal: str(c.label) for c in decision.ranked[0].contributions}
    assert labels["accepted before"] == "you accepted 5 of 5 similar crm deals"
    assert labels["speed"] == "answers within 2 h"
    assert labels["distance"] == "2 km away"


def test_a_decision_is_the_same_for_the_same_seed_and_inputs():
    def run() -> Decision:
        engine, partners = engine_after_five_crm_deals()
        return engine.decide(deal(6), [*partners, partner(3)], 2, frozenset(), now(), Random(5))

    assert run() == run()


def test_a_full_refit_of_the_same_answers_decides_the_same():
    engine, partners = engine_after_five_crm_deals()
    refitted, _ = engine_after_five_crm_deals()
    refitted.fit(refitted.learner.observations)
    refitted.fit(list(reversed(refitted.learner.observations)))  # time orders them, not the caller

    assert refitted.model_version == engine.model_version
    first = engine.decide(deal(6), partners, 1, frozenset(), now(), Random(1))
    second = refitted.decide(deal(6), partners, 1, frozenset(), now(), Random(1))
    assert first == second


@settings(max_examples=25, deadline=None)
@given(
    answers=st.lists(
        st.tuples(
            st.integers(1, 3),
            st.sampled_from([[Outcome.SKIPPED], [Outcome.INTERESTED, Outcome.DECLINED], [Outcome.MISSED]]),
        ),
        max_size=12,
    ),
    unanswered=st.integers(0, 5),
)
def test_the_engine_learns_only_from_what_it_observes(answers, unanswered):
    """Two engines fed the same deals, partners and answers decide alike, however many decisions without an
    answer one of them made besides: deciding teaches nothing."""
    partners = [partner(i, products=frozenset({"crm"})) for i in range(1, 4)]

    def run(extra_decisions: int) -> Decision:
        engine = EnginePolicy(seed=3)
        for i in range(extra_decisions):
            engine.decide(deal(1000 + i), partners, 2, frozenset(), now(), Random(i))
        for request_id, (profile_id, outcomes) in enumerate(answers, start=1):
            engine.decide(deal(request_id), partners, 3, frozenset(), now(), Random(request_id))
            answer(engine, request_id, profile_id, outcomes, now())
        return engine.decide(deal(99), partners, 2, frozenset(), now() + timedelta(days=1), Random(7))

    assert run(unanswered) == run(0)


def test_the_engine_ranks_by_what_it_learned_not_by_the_order_of_the_partners():
    engine, partners = engine_after_five_crm_deals()

    forwards = engine.decide(deal(6), partners, 1, frozenset(), now(), Random(0))
    backwards = engine.decide(deal(6), list(reversed(partners)), 1, frozenset(), now(), Random(0))

    assert order(forwards) == order(backwards) == [ACCEPTS, DECLINES]
    assert [s.score for s in forwards.ranked] == [s.score for s in backwards.ranked]


def test_a_paused_partner_is_excluded_for_its_reason_and_nothing_is_chosen():
    engine = EnginePolicy()

    decision = engine.decide(deal(1), [replace(partner(1), accepting=False)], 1, frozenset(), now(), Random(0))

    assert decision.excluded == {1: eligibility.PAUSED}
    assert (decision.chosen, decision.ranked) == ((), ())


def test_exploration_rarely_overturns_a_clear_difference_in_declared_fit():
    engine = EnginePolicy()
    fits = partner(1)
    industry_only = partner(2, products=frozenset())

    chosen = [
        engine.decide(deal(request_id), [industry_only, fits], 1, frozenset(), now(), Random(request_id)).chosen
        for request_id in range(1, 41)
    ]

    assert chosen == [(1,)] * 40


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 400), st.integers(1, 30), st.booleans())
def test_the_first_cut_finds_the_same_top_partners_in_the_same_order_as_scoring_them_all(seed, m, k, ties):
    generator = np.random.default_rng(seed)
    logit = generator.normal(0.0, 2.0, (m, 3))
    if ties:  # whole groups of partners with equal scores, as partners with the same profile have
        logit = np.round(logit)
    factor = generator.choice([0.0, 0.5, 0.75, 1.0, 1.3], m)

    full = policy._top(policy._sigmoid(logit).prod(axis=1) * factor, min(k, m))

    assert policy.top_products(logit, factor, min(k, m)).tolist() == full.tolist()


def test_an_engine_told_of_a_request_it_did_not_route_learns_from_the_answers_to_it():
    partners = [partner(1), partner(2)]
    told, untold = EnginePolicy(), EnginePolicy()
    told.know([deal(1)], partners)

    for engine in (told, untold):
        answer(engine, 1, 2, [Outcome.INTERESTED, Outcome.DECLINED], now())

    assert [(label.profile_id, label.stage, label.y) for label in told.learner.labels] == [(2, 0, 1), (2, 1, 0)]
    assert untold.learner.labels == []
    assert len(told.index) == 2 and len(untold.index) == 0


def test_an_offer_another_copy_of_the_engine_made_is_learned_with_the_load_its_partner_had_when_offered():
    learning = EnginePolicy()  # the stored engine: another process's copy decided, this one reads the history
    learning.know([deal(1)], [partner(2, capacity=10, open_referrals=7)])  # the load now, offers later

    learning.observe(Observation(1, 2, Outcome.OFFERED, now(), open_referrals=3))

    x = learning.learner.pair_features[(1, 2)]
    assert x[features.COLUMN["load"]] == 0.3


def test_an_offer_that_does_not_say_its_load_is_learned_with_the_partners_load_now():
    learning = EnginePolicy()
    learning.know([deal(1)], [partner(2, capacity=10, open_referrals=7)])

    learning.observe(Observation(1, 2, Outcome.OFFERED, now()))

    assert learning.learner.pair_features[(1, 2)][features.COLUMN["load"]] == 0.7


def test_an_engine_without_explanations_chooses_the_same_partners_and_lists_only_them():
    engine, partners = engine_after_five_crm_deals()
    quiet, _ = engine_after_five_crm_deals()
    quiet.explained = False
    everyone = [*partners, *(partner(i, products=frozenset({"erp"})) for i in range(3, 9))]

    explained = engine.decide(deal(6), everyone, 3, frozenset(), now(), Random(2))
    unexplained = quiet.decide(deal(6), everyone, 3, frozenset(), now(), Random(2))

    assert unexplained.chosen == explained.chosen
    assert sorted(s.profile_id for s in unexplained.ranked) == sorted(explained.chosen)
    assert all(s.contributions == () for s in unexplained.ranked)
    by_id = {s.profile_id: s for s in explained.ranked}
    for scored in unexplained.ranked:
        assert scored.score == pytest.approx(by_id[scored.profile_id].score, rel=1e-9)
        assert scored.propensity == by_id[scored.profile_id].propensity


BEST, BUSY, UNTRIED, ALSO_UNTRIED = 1, 2, 3, 4


def probing_market() -> list[Partner]:
    """Two partners that declare retail CRM (one of them a quarter full), and two that declare CRM but not retail:
    the engine knows nothing yet of how much the last two like retail deals."""
    return [
        partner(BEST),
        partner(BUSY, capacity=4, open_referrals=1),
        partner(UNTRIED, industries=frozenset({"health"})),
        partner(ALSO_UNTRIED, industries=frozenset({"health"})),
    ]


def decisions(engine: EnginePolicy, partners: list[Partner], count: int, n: int = 200) -> list[Decision]:
    return [engine.decide(deal(1), partners, count, frozenset(), now(), Random(seed)) for seed in range(n)]


def chosen_scored(decision: Decision) -> list[tuple[int, str, float]]:
    by_id = {s.profile_id: s for s in decision.ranked}
    return [(p, by_id[p].boost, by_id[p].propensity) for p in decision.chosen]


def test_the_first_place_is_never_a_probe_and_a_decision_probes_at_most_one_place():
    made = decisions(EnginePolicy(), probing_market(), 3)

    assert {decision.chosen[0] for decision in made} == {BEST}
    probes = [decision for decision in made if any(s.boost for s in decision.ranked)]
    assert 0 < len(probes) < len(made)
    for decision in probes:
        (probe,) = [s for s in decision.ranked if s.boost]
        assert (probe.boost, decision.chosen[-1]) == (explain.EXPLORATION, probe.profile_id)
        assert probe.profile_id in (UNTRIED, ALSO_UNTRIED)
        assert str(probe.contributions[-1].label) == "exploring: few answers from you yet"
        assert probe.score < decision.ranked[1].score  # the greedy pick it displaced scores higher


def test_a_single_place_such_as_a_cascade_offer_is_never_a_probe():
    made = decisions(EnginePolicy(), probing_market(), 1)

    assert {tuple(chosen_scored(decision)) for decision in made} == {((BEST, "", 1.0),)}


def test_each_pick_of_the_last_place_says_exactly_how_likely_it_was():
    made = decisions(EnginePolicy(), probing_market(), 2, n=2000)

    assert {chosen_scored(decision)[0] for decision in made} == {(BEST, "", 1.0)}
    last = Counter(chosen_scored(decision)[1] for decision in made)
    assert {(profile_id, boost) for profile_id, boost, _ in last} == {
        (BUSY, ""),
        (UNTRIED, explain.EXPLORATION),
        (ALSO_UNTRIED, explain.EXPLORATION),
    }
    assert sum(propensity for _, _, propensity in last) == pytest.approx(1.0, abs=1e-12)
    (greedy,) = [propensity for profile_id, _, propensity in last if profile_id == BUSY]
    assert 1.0 - policy.PROBE_RATE_MOST <= greedy < 1.0  # 1 - the probe's rate
    for (_, _, propensity), times in last.items():
        assert times / len(made) == pytest.approx(propensity, abs=0.035)


def test_a_partner_that_said_no_thanks_to_five_retail_crm_deals_is_not_probed_for_the_next():
    engine, partners = EnginePolicy(), probing_market()
    for request_id in range(2, 7):
        at = now() - timedelta(days=10 - request_id)
        engine.decide(deal(request_id, at), partners, 3, frozenset(), at, Random(request_id))
        answer(engine, request_id, UNTRIED, [Outcome.OFFERED, Outcome.SKIPPED], at)

    made = decisions(engine, partners, 2)

    probed = {decision.chosen[-1] for decision in made if decision.ranked and any(s.boost for s in decision.ranked)}
    assert probed == {ALSO_UNTRIED}


def test_a_probe_prefers_a_partner_that_answers_within_hours_to_one_as_unknown_that_answers_after_two_days(
    monkeypatch: pytest.MonkeyPatch,
):
    fast, slow = UNTRIED, ALSO_UNTRIED
    engine, partners = EnginePolicy(), probing_market()
    for request_id in range(2, 7):  # both say No thanks to manufacturing ERP deals, one within hours, one in two days
        at = now() - timedelta(days=10 - request_id)
        erp = deal(request_id, at, industry="manufacturing", products=frozenset({"erp"}))
        engine.decide(erp, partners, 4, frozenset(), at, Random(request_id))
        for profile_id, hours in ((fast, 3), (slow, 50)):
            answered = at + timedelta(hours=hours)
            engine.observe(Observation(request_id, profile_id, Outcome.SKIPPED, answered, None, timedelta(hours=hours)))

    def chances_of_a_probe(power: float) -> dict[int, float]:
        monkeypatch.setattr(policy, "PROBE_FAST", power)
        last = {chosen_scored(decision)[1] for decision in decisions(engine, partners, 2, n=60)}
        return {profile_id: propensity for profile_id, boost, propensity in last if boost}

    def odds_of_the_fast_one(power: float) -> float:
        chance = chances_of_a_probe(power)
        return chance[fast] / chance[slow]

    # The score's own discount of a late first answer leaves the slow one without an upside to probe for...
    assert set(chances_of_a_probe(policy.PROBE_FAST)) == {fast}
    # ... and where that discount is mild enough for both to be worth a probe, the probe still prefers the fast one.
    monkeypatch.setattr(policy, "LATE_PENALTY", 0.25)
    assert odds_of_the_fast_one(policy.PROBE_FAST) > odds_of_the_fast_one(0.0) > 1.0


@pytest.mark.parametrize(
    ("share", "upside", "loss", "rate"),
    [
        ([1.0], [0.1], [0.1], 0.5),  # as likely to find as to cost: PROBE_RATE
        ([1.0], [0.1], [0.0], 0.9),  # costs nothing now: PROBE_RATE_MOST
        ([1.0], [0.1], [0.3], 0.25),  # costs three times what it may find
        ([0.75, 0.25], [0.2, 0.4], [0.1, 0.5], 0.25 / 0.45),  # expected over the draw: 0.25 to find, 0.2 to cost
    ],
)
def test_a_probe_is_made_more_often_the_less_it_costs_the_request_against_what_it_may_find(
    share: list[float], upside: list[float], loss: list[float], rate: float
):
    assert policy.probe_rate(np.array(share), np.array(upside), np.array(loss)) == pytest.approx(rate, abs=1e-12)
