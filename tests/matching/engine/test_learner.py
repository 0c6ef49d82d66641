"""Each answer teaches the stage it belongs to, once; the expected value moves from its prior to what is seen."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from matching.engine import features
from matching.engine.learner import ACCEPT, INTEREST, WIN, Learner
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
