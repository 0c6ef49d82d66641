"""The figures: equality, confidence intervals, and who counts as a starved qualified newcomer."""

from __future__ import annotations

import numpy as np
import pytest

from matching.simulator import metrics, policies
from matching.simulator.exchange import run_market


def test_gini_is_zero_when_everyone_gets_the_same_and_near_one_when_one_gets_everything():
    assert metrics.gini(np.array([3.0, 3.0, 3.0])) == 0.0
    assert metrics.gini(np.array([0.0, 0.0, 0.0, 9.0])) == 0.75
    assert metrics.gini(np.array([0.0, 0.0])) == 0.0


def test_the_summary_is_the_mean_and_a_students_t_interval():
    summary = metrics.summary([1.0, 2.0, 3.0])
    assert summary["mean"] == 2.0
    assert summary["ci95"] == pytest.approx([2.0 - 4.303 / np.sqrt(3), 2.0 + 4.303 / np.sqrt(3)])
    assert metrics.summary([0.5]) == {"mean": 0.5, "ci95": [0.5, 0.5]}


def test_half_the_partners_are_qualified(small_market):
    assert metrics.qualified(small_market).mean() == pytest.approx(0.5, abs=0.05)


def test_a_qualified_newcomer_is_starved_below_five_referrals_in_its_first_30_days(small_market):
    trace = run_market(small_market, policies.make("random", small_market))
    judged = (small_market.joins_day > 0) & (small_market.joins_day + 30 <= np.minimum(small_market.leaves_day, 40))
    judged &= metrics.qualified(small_market)
    assert judged.sum() >= 1
    trace.offers_first_30_days[judged] = 5
    assert metrics.starved_share(trace, small_market) == 0.0
    trace.offers_first_30_days[np.nonzero(judged)[0][0]] = 4
    assert metrics.starved_share(trace, small_market) == 1 / judged.sum()


def test_a_run_has_every_figure(small_market):
    figures = metrics.of_run(run_market(small_market, policies.make("keyword", small_market)), small_market)
    assert tuple(figures) == metrics.METRICS
    assert all(0 <= figures[k] <= 1 for k in metrics.METRICS if k != "won_value_per_request")
