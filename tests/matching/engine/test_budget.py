"""A request's place among the budgets seen: standard deviations of log budget from the mean of those before it,
its company size's mean without a budget, 0 until enough were seen, never beyond FURTHEST; placed once, never
by a search."""

from __future__ import annotations

from math import log

import pytest

from matching.engine.budget import FURTHEST, MIN_BUDGETS, MIN_OF_SIZE, BudgetScale
from tests.matching.engine.builders import deal


def scale_of(budgets: list[float], size: str = "10-49") -> BudgetScale:
    scale = BudgetScale()
    for request_id, budget in enumerate(budgets, start=1):
        scale.note(deal(request_id, budget_eur=budget, size=size))
    return scale


def test_every_request_is_at_0_until_enough_requests_gave_a_budget():
    scale = scale_of([10_000.0, 1_000_000.0] * ((MIN_BUDGETS - 1) // 2) + [10_000.0])

    assert scale.count == MIN_BUDGETS - 1
    assert scale.of(deal(100, budget_eur=1_000_000.0)) == 0.0


def test_a_request_is_placed_in_standard_deviations_of_log_budget_from_the_mean_of_those_seen():
    scale = scale_of([1_000.0, 100_000.0] * (MIN_BUDGETS // 2))  # logs of mean log(10,000), sd log(100)

    assert scale.of(deal(100, budget_eur=1_000_000.0)) == pytest.approx(2.0)
    assert scale.of(deal(101, budget_eur=10_000.0)) == pytest.approx(0.0)
    assert scale.of(deal(102, budget_eur=1_000.0)) == pytest.approx(-1.0)


def test_a_request_without_a_budget_is_placed_at_its_company_sizes_mean_once_enough_of_that_size_were_seen():
    scale = scale_of([1_000.0, 100_000.0] * (MIN_BUDGETS // 2))
    for request_id in range(50, 50 + MIN_OF_SIZE):
        scale.note(deal(request_id, budget_eur=100_000.0, size="250-999"))

    big = scale.of(deal(100, budget_eur=None, size="250-999"))
    unknown_size = scale.of(deal(101, budget_eur=None, size="1-9"))

    mean = (MIN_BUDGETS * log(10_000.0) + MIN_OF_SIZE * log(100_000.0)) / (MIN_BUDGETS + MIN_OF_SIZE)
    squares = (MIN_BUDGETS / 2 * (log(1_000.0) ** 2 + log(100_000.0) ** 2) + MIN_OF_SIZE * log(100_000.0) ** 2) / (
        MIN_BUDGETS + MIN_OF_SIZE
    )
    assert big == pytest.approx((log(100_000.0) - mean) / (squares - mean * mean) ** 0.5)
    assert unknown_size == 0.0


def test_a_request_keeps_the_place_it_was_noted_at_and_counts_once():
    scale = scale_of([1_000.0, 100_000.0] * (MIN_BUDGETS // 2))
    request = deal(100, budget_eur=1_000_000.0)
    scale.note(request)
    placed = scale.of(request)

    scale.note(request)
    for request_id in range(200, 240):
        scale.note(deal(request_id, budget_eur=1_000_000.0))

    assert scale.of(request) == placed == pytest.approx(2.0)
    assert scale.count == MIN_BUDGETS + 41


@pytest.mark.parametrize("request_id", [0, -1])
def test_a_search_or_a_preview_is_placed_but_never_noted(request_id):
    scale = scale_of([1_000.0, 100_000.0] * (MIN_BUDGETS // 2))
    search = deal(request_id, budget_eur=1_000_000.0)

    scale.note(search)

    assert scale.of(search) == pytest.approx(2.0)
    assert (scale.count, scale.placed.get(request_id)) == (MIN_BUDGETS, None)


def test_a_budget_far_beyond_those_seen_is_placed_no_further_than_the_furthest_place():
    scale = scale_of([1_000.0, 100_000.0] * (MIN_BUDGETS // 2))

    assert scale.of(deal(100, budget_eur=1e12)) == FURTHEST
    assert scale.of(deal(101, budget_eur=0.01)) == -FURTHEST
