"""console.analytics: the arithmetic of the programme analytics, table-driven with exact values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from console import analytics
from console.analytics import Counts, Period


@pytest.mark.parametrize(
    ("histogram", "q", "expected"),
    [
        ([], 0.5, None),
        ([(7, 0)], 0.5, None),
        ([(10, 1)], 0.5, 10),
        ([(10, 1)], 0.9, 10),
        ([(1, 1), (2, 1), (3, 1), (4, 1)], 0.5, 2.5),
        ([(4, 1), (2, 1), (3, 1), (1, 1)], 0.5, 2.5),  # order does not matter
        ([(1, 1), (2, 1), (3, 1), (4, 1)], 0.9, 3.7),
        ([(60, 1), (120, 1)], 0.9, 114),
        ([(5, 3), (9, 1)], 0.5, 5),  # 5, 5, 5, 9
        ([(5, 3), (9, 1)], 0.9, 7.8),  # rank 2.7: between the third 5 and the 9
        ([(5, 2), (9, 2)], 0.5, 7),
        ([(0, 9), (100, 1)], 0.9, 10),
        ([(1, 10)], 0.0, 1),
        ([(1, 1), (3, 1)], 1.0, 3),
    ],
)
def test_quantile_interpolates_between_neighbouring_values(histogram, q, expected):
    result = analytics.quantile(histogram, q)
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_quantile_refuses_a_q_outside_zero_to_one():
    with pytest.raises(ValueError, match="between 0 and 1"):
        analytics.quantile([(1, 1)], 1.5)


@pytest.mark.parametrize(("part", "whole", "expected"), [(1, 2, 0.5), (0, 3, 0.0), (3, 0, None), (0, 0, None)])
def test_ratio_is_none_when_there_is_nothing_to_divide_by(part, whole, expected):
    assert analytics.ratio(part, whole) == expected


def _counts(key: tuple[str, ...], answered: int = 0, interested: int = 0, accepted: int = 0, **states: int) -> Counts:
    return Counts(key=key, by_state=states, answered=answered, interested=interested, accepted=accepted)


def test_rows_merge_counts_answer_times_and_pipeline_by_group():
    rows = analytics.rows(
        [
            _counts(("1", "Alpha"), answered=2, interested=2, accepted=1, negotiating=1, declined=1),
            _counts(("2", "Beta"), answered=1, skipped=1, new=1, won=0),
            _counts(("3", "Gamma"), answered=3, interested=3, accepted=3, won=2, lost=1),
        ],
        [(("1", "Alpha"), 120, 1), (("1", "Alpha"), 60, 1), (("2", "Beta"), 1800, 1), (("3", "Gamma"), 30, 3)],
        [
            (("1", "Alpha"), "EUR", Decimal("1000.00"), 1),
            (("1", "Alpha"), "USD", None, 0),
            (("3", "Gamma"), "USD", Decimal("5.50"), 1),
            (("3", "Gamma"), "EUR", Decimal("2.25"), 1),
        ],
    )
    assert [r.key for r in rows] == [("3", "Gamma"), ("1", "Alpha"), ("2", "Beta")]
    gamma, alpha, beta = rows
    assert (alpha.received, alpha.answered, alpha.median_hours, alpha.p90_hours) == (2, 2, 1.5, 1.9)
    assert (alpha.interested, alpha.accepted, alpha.acceptance_rate) == (2, 1, 0.5)
    assert (alpha.won, alpha.lost, alpha.win_rate, alpha.negotiating) == (0, 0, None, 1)
    assert alpha.pipeline == {"EUR": Decimal("1000.00")}
    assert alpha.by_state == {
        "new": 0, "evaluating": 0, "negotiating": 1, "won": 0, "lost": 0,
        "skipped": 0, "missed": 0, "declined": 1, "expired": 0,
    }  # fmt: skip
    assert (beta.received, beta.median_hours, beta.p90_hours, beta.acceptance_rate) == (2, 30.0, 30.0, None)
    assert beta.pipeline == {}
    assert (gamma.win_rate, gamma.acceptance_rate, gamma.median_hours) == (pytest.approx(2 / 3), 1.0, 0.5)
    assert list(gamma.pipeline.items()) == [("EUR", Decimal("2.25")), ("USD", Decimal("5.50"))]


def test_a_group_with_no_answers_has_no_answer_times():
    (row,) = analytics.rows([_counts(("x",), new=4)], [], [])
    assert (row.received, row.answered, row.median_hours, row.p90_hours) == (4, 0, None, None)


def test_the_total_adds_the_groups_and_takes_quantiles_over_all_answers():
    rows = analytics.rows(
        [
            _counts(("a",), answered=2, interested=1, accepted=1, negotiating=1, skipped=1),
            _counts(("b",), won=1, lost=3),
        ],
        [],
        [(("a",), "EUR", Decimal("10"), 1)],
    )
    total = analytics.total(rows, [(60, 1), (120, 1), (60, 1)])
    assert (total.received, total.answered, total.won, total.lost) == (6, 2, 1, 3)
    assert (total.win_rate, total.acceptance_rate) == (0.25, 1.0)
    assert (total.median_hours, total.p90_hours) == (1.0, 1.8)
    assert total.pipeline == {"EUR": Decimal("10")}
    assert total.by_state["negotiating"] == 1 and total.by_state["skipped"] == 1


@pytest.mark.parametrize(
    ("first", "last", "today", "expected", "errors"),
    [
        ("", "", date(2026, 12, 1), Period(date(2026, 9, 3), date(2026, 12, 1)), {}),
        ("2026-11-01", "2026-11-30", date(2026, 12, 1), Period(date(2026, 11, 1), date(2026, 11, 30)), {}),
        ("2026-11-01", "", date(2026, 12, 1), Period(date(2026, 11, 1), date(2026, 12, 1)), {}),
        ("", "2026-06-30", date(2026, 12, 1), Period(date(2026, 4, 2), date(2026, 6, 30)), {}),
        ("2026-11-05", "2026-11-05", date(2026, 12, 1), Period(date(2026, 11, 5), date(2026, 11, 5)), {}),
        (
            "2026-11-30",
            "2026-11-01",
            date(2026, 12, 1),
            Period(date(2026, 9, 3), date(2026, 12, 1)),
            {"to": "The end must be on or after the start."},
        ),
        (
            "1.11.2026",
            "",
            date(2026, 12, 1),
            Period(date(2026, 9, 3), date(2026, 12, 1)),
            {"from": "Enter a date as YYYY-MM-DD."},
        ),
        (
            "2020-01-01",
            "2026-01-01",
            date(2026, 12, 1),
            Period(date(2026, 9, 3), date(2026, 12, 1)),
            {"from": "Choose a period of at most 1098 days."},
        ),
    ],
)
def test_the_period_defaults_to_the_last_90_days_and_names_each_bad_field(first, last, today, expected, errors):
    assert analytics.parse_period(first, last, today) == (expected, errors)


def test_the_default_period_is_90_days_including_today():
    period = analytics.default_period(date(2026, 12, 1))
    assert (period.first, period.last, period.days) == (date(2026, 9, 3), date(2026, 12, 1), 90)


def test_a_period_runs_from_the_first_midnight_to_the_midnight_after_the_last_day_in_the_zone():
    period = Period(date(2026, 11, 1), date(2026, 11, 30))
    start, end = period.bounds(ZoneInfo("Europe/Moscow"))
    assert start.astimezone(UTC) == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
