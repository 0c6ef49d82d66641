"""Each answer teaches the stage it belongs to, once; the expected value moves from its prior to what is seen."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from matching.engine import features, membership
from matching.engine import learner as learner_module
from matching.engine.learner import ACCEPT, INTEREST, PRIOR_VARIANCE, WIN, Learner
from matching.engine.membership import PRIOR_GAP
from matching.engine.types import Observation, Outcome
from tests.matching.engine.builders import deal, now, partner


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
        ((Outcome.OFFERED, Outcome.MISSED), []),  # not answering is the answering habit's (learner.answering)
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


def test_a_miss_teaches_the_answering_habit_and_an_answer_either_way_counts_as_answered():
    learned = Learner()
    for request_id in range(1, 5):
        learned.observe(Observation(request_id, 1, Outcome.MISSED, now()))
        learned.observe(Observation(request_id, 2, Outcome.SKIPPED, now(), None, timedelta(hours=30)))

    missing, _ = learned.answering.of(learned.slot(1), now().timestamp())
    answering, _ = learned.answering.of(learned.slot(2), now().timestamp())

    assert learned.answering.overall() == (4 + 17) / (8 + 20)
    assert missing == pytest.approx(4 * learned.answering.overall() / 8)
    assert answering == pytest.approx((4 + 4 * learned.answering.overall()) / 8)


def test_a_loss_after_another_partner_won_the_request_says_nothing_of_the_loser():
    learner = Learner()
    request = deal(1)
    for profile_id in (7, 8):
        learner.remember(request, profile_id, features.pair_features(request, partner(profile_id)))
    learner.observe(Observation(1, 7, Outcome.WON, now(), value_eur=20_000.0))
    learner.observe(Observation(1, 8, Outcome.LOST, now() + timedelta(days=3)))

    assert [(label.profile_id, label.stage, label.y) for label in learner.labels] == [
        (7, INTEREST, 1),
        (7, ACCEPT, 1),
        (7, WIN, 1),
        (8, INTEREST, 1),
        (8, ACCEPT, 1),
    ]


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


def test_timely_answers_are_shrunk_toward_everyones_rate_and_last_month_counts_more_than_last_year():
    learned = Learner()
    year_ago, month_ago = now() - timedelta(days=365), now() - timedelta(days=30)
    for request_id in range(1, 5):  # partner 1: late a year ago, in time last month
        learned.observe(Observation(request_id, 1, Outcome.SKIPPED, year_ago, None, timedelta(hours=40)))
        learned.observe(Observation(10 + request_id, 1, Outcome.INTERESTED, month_ago, None, timedelta(hours=3)))
    learned.observe(Observation(20, 2, Outcome.MISSED, month_ago))

    overall = learned.timely.overall()
    fast, fast_weight = learned.timely.of(learned.slot(1), now().timestamp())
    missed, _ = learned.timely.of(learned.slot(2), now().timestamp())
    unknown, unknown_weight = learned.timely.of(learned.slot(3), now().timestamp())

    assert missed < unknown == overall < fast < 1.0
    assert (round(fast_weight, 3), unknown_weight) == (round(4 * (2 ** (-365 / 90) + 2 ** (-30 / 90)), 3), 0.0)


def liking_market(*, accepts_what_it_likes: bool) -> Learner:
    """Ten partners each offered 12 CRM deals over 24 days, partner p interested in the first 2 + p of them
    (some like CRM, some do not); every interest decided: accepted when the partner is one of the keen half
    (or, when `accepts_what_it_likes` is false, every other one), else declined."""
    learned = Learner()
    start = now() - timedelta(days=30)
    for p in range(10):
        keen = p >= 5 if accepts_what_it_likes else p % 2 == 0
        for n in range(12):
            request = deal(100 * p + n, at=start + timedelta(days=2 * n))
            learned.remember(request, p, features.pair_features(request, partner(p)))
            at = request.at + timedelta(hours=p)
            if n >= 2 + p:
                learned.observe(Observation(request.request_id, p, Outcome.SKIPPED, at, None, timedelta(hours=3)))
                continue
            learned.observe(Observation(request.request_id, p, Outcome.INTERESTED, at, None, timedelta(hours=3)))
            outcome = Outcome.ACCEPTED if keen else Outcome.DECLINED
            learned.observe(Observation(request.request_id, p, outcome, at + timedelta(days=1), value_eur=None))
    learned.fit(learned.observations)
    return learned


def test_the_accept_stage_learns_to_read_the_interest_stages_liking_when_acceptance_follows_it():
    follows, ignores = liking_market(accepts_what_it_likes=True), liking_market(accepts_what_it_likes=False)

    assert follows.stacking[ACCEPT] > 0.5
    assert abs(ignores.stacking[ACCEPT]) < follows.stacking[ACCEPT] / 3
    assert follows.stacking[INTEREST] == follows.stacking[WIN] == 0.0  # no stage of its own; no win labels yet


def test_what_the_interest_stage_learned_of_a_kind_of_deal_moves_the_accept_and_win_stages_for_that_kind_only():
    learned = Learner()
    crm, erp = deal(1), deal(2, industry="finance", products=frozenset({"erp"}), budget_eur=None)
    for request_id in range(10, 16):  # partner 7 keeps asking for CRM deals of retail
        this = replace(crm, request_id=request_id)
        learned.remember(this, 7, features.pair_features(this, partner(7)))
        learned.observe(Observation(request_id, 7, Outcome.INTERESTED, now(), None, timedelta(hours=1)))
    learned.stacking[ACCEPT], learned.stacking[WIN] = 0.5, 0.4
    keen, stranger = learned.slot(7), learned.slot(8)
    positions = np.array([0, 1])
    flat = np.zeros((2, 3))

    for_crm = learned.predict_from_logits(crm, flat, positions[[keen, stranger]], now()).cell_mean
    for_erp = learned.predict_from_logits(erp, flat, positions[[keen, stranger]], now()).cell_mean

    liking = for_crm[0, INTEREST] - learned.cells[INTEREST]["*"].get(keen, now().timestamp())[0]
    assert liking > 0.5
    assert for_crm[0, ACCEPT] == pytest.approx(0.5 * liking)
    assert for_crm[0, WIN] == pytest.approx(0.4 * liking)
    assert for_crm[1].tolist() == [0.0, 0.0, 0.0]
    assert for_erp[0, ACCEPT] == for_erp[0, WIN] == 0.0  # another industry, product and budget: nothing carried over


def test_an_engine_stored_before_the_stacking_loads_and_carries_nothing_over_until_its_next_refit():
    learned = answers_of(Outcome.INTERESTED, Outcome.ACCEPTED)
    state = dict(learned.__dict__)
    del state["stacking"], state["_liking"]
    old = Learner.__new__(Learner)

    old.__setstate__(state)

    assert old.stacking.tolist() == [0.0, 0.0, 0.0]
    assert old._liking == {}


def interest_market(rates: list[int]) -> Learner:
    """Partner p offered 12 retail CRM deals, interested in the first rates[p] of them, skipping the others."""
    learned = Learner()
    for p, rate in enumerate(rates):
        for n in range(12):
            request = deal(100 * p + n, at=now() - timedelta(days=12 - n))
            learned.remember(request, p, features.pair_features(request, partner(p)))
            outcome = Outcome.INTERESTED if n < rate else Outcome.SKIPPED
            learned.observe(Observation(request.request_id, p, outcome, request.at, None, timedelta(hours=3)))
    learned.fit(learned.observations)
    return learned


def test_the_cells_prior_variances_and_the_beliefs_gap_follow_how_much_partners_differ(monkeypatch):
    monkeypatch.setattr(membership, "MIN_GAP_LABELS", 50)  # a market of 120 answers

    alike, unlike = interest_market([6] * 10), interest_market([1, 11] * 5)

    assert alike.memberships.gaps["i"] < PRIOR_GAP["i"] < unlike.memberships.gaps["i"]
    assert alike.prior_variances[INTEREST]["*"] < PRIOR_VARIANCE["*"] < unlike.prior_variances[INTEREST]["*"]
    assert alike.prior_variances[ACCEPT] == unlike.prior_variances[ACCEPT] == PRIOR_VARIANCE  # nothing learned


def test_without_stacking_the_accept_stage_still_learns_its_global_model(monkeypatch):
    monkeypatch.setattr(learner_module, "STACKED", ())

    learned = liking_market(accepts_what_it_likes=True)

    assert learned.stacking.tolist() == [0.0, 0.0, 0.0]
    assert learned.intercepts[ACCEPT] != learner_module.PRIOR_INTERCEPT[ACCEPT]
