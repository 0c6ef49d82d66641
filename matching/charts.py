"""Server-rendered SVG charts, without Django or a JavaScript library. Text comes in already translated."""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 40
COLOURS = {
    "won": "#2e7d32",
    "lost": "#c62828",
    "skipped": "#90a4ae",
    "declined": "#f9a825",
    "missed": "#6a1b9a",
    "expired": "#ef6c00",
}
ON_TIME, LATE = "#1e88e5", "#ef6c00"


def nice_ceiling(value: float) -> float:
    """A round axis top at or above value: 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 or 10 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _fmt(value: float) -> str:
    return f"{value:g}"


def _english_hours(value: float) -> str:
    return f"{value:g} h"


def _frame(title: str, top: float, tick: Callable[[float], str], labels: list[str]) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="ls-chart">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" fill="#57606a">'
            f"{escape(tick(value))}</text>"
        )
    slot = plot_w / max(len(labels), 1)
    for i, label in enumerate(labels):
        x = LEFT + slot * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" font-size="12" fill="#57606a">'
            f"{escape(label)}</text>"
        )
    return parts


def response_times(
    title: str,
    labels: list[str],
    medians: list[float | None],
    urged: float,
    no_data: str,
    hours: Callable[[float], str] = _english_hours,
) -> str:
    """Bars of the weekly median hours to the first answer, with a dashed line at the urged time. `hours` writes
    a number of hours in the reader's language (the axis, the bars, the line)."""
    top = nice_ceiling(max([m for m in medians if m is not None] + [urged * 1.25]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = _frame(title, top, hours, labels)
    slot = plot_w / max(len(labels), 1)
    for i, value in enumerate(medians):
        x = LEFT + slot * i + slot * 0.2
        if value is None:
            parts.append(
                f'<text x="{x + slot * 0.3:.1f}" y="{TOP + plot_h - 6}" text-anchor="middle" font-size="11" '
                f'fill="#8c959f">{escape(no_data)}</text>'
            )
            continue
        h = plot_h * value / top
        colour = ON_TIME if value <= urged else LATE
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}" '
            f'fill="{colour}" rx="2"><title>{escape(labels[i])}: {escape(hours(value))}</title></rect>'
        )
        parts.append(
            f'<text x="{x + slot * 0.3:.1f}" y="{TOP + plot_h - h - 4:.1f}" text-anchor="middle" font-size="11" '
            f'fill="#24292f">{escape(hours(value))}</text>'
        )
    y = TOP + plot_h - plot_h * urged / top
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#24292f" stroke-dasharray="6 4"/>'
    )
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{y - 5:.1f}" text-anchor="end" font-size="12" fill="#24292f">'
        f"{escape(hours(urged))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def stacked_outcomes(title: str, labels: list[str], series: dict[str, list[int]], names: dict[str, str]) -> str:
    """Stacked bars of the weekly counts of each outcome, with a legend under the weeks."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    # Counts: a top that is a multiple of 4, so that the five grid lines fall on whole numbers.
    top = max(4, math.ceil(max(totals, default=0) / 4) * 4)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = _frame(title, top, _fmt, labels)
    slot = plot_w / max(len(labels), 1)
    for i in range(len(labels)):
        x = LEFT + slot * i + slot * 0.2
        base: float = TOP + plot_h
        for name, values in series.items():
            if not values[i]:
                continue
            h = plot_h * values[i] / top
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS.get(name, "#999")}"><title>{escape(labels[i])}: '
                f"{escape(names.get(name, name))} {values[i]}</title></rect>"
            )
        if totals[i]:
            parts.append(
                f'<text x="{x + slot * 0.3:.1f}" y="{base - 4:.1f}" text-anchor="middle" font-size="11" '
                f'fill="#24292f">{totals[i]}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def legend(series: list[str], names: dict[str, str]) -> list[tuple[str, str]]:
    """(colour, name) pairs for an HTML legend."""
    return [(COLOURS.get(s, "#999"), names.get(s, s)) for s in series]
