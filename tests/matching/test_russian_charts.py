"""The charts write hours in the reader's language: "30 ч" and "7,5 ч" on a Russian page, not "30 h"."""

from __future__ import annotations

from django.utils import translation

from matching import charts
from matching.scorecard import chart_hours


def test_hours_on_a_chart_read_in_russian_whole_ones_without_decimals():
    with translation.override("ru"):
        assert (chart_hours(30.0), chart_hours(7.53), chart_hours(0)) == ("30 ч", "7,5 ч", "0 ч")
    with translation.override("en"):
        assert (chart_hours(30.0), chart_hours(7.53)) == ("30 h", "7.5 h")


def test_the_response_chart_writes_its_axis_bars_and_line_with_the_given_hours():
    with translation.override("ru"):
        svg = charts.response_times("Медиана", ["1", "2"], [7.53, None], 24.0, "нет", chart_hours)
    assert ">30 ч</text>" in svg  # the axis top, 24 h x 1.25
    assert "<title>1: 7,5 ч</title>" in svg and ">7,5 ч</text>" in svg
    assert ">24 ч</text>" in svg
    assert " h<" not in svg and " h</" not in svg
