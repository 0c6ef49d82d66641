"""The marketplace simulator's figures: `python -m bench.matching` (a step of `make bench`).

Runs every policy on the default market (matching/simulator/default.toml, 10 seeds) and on the stress
market (stress.toml), BENCH_MATCHING_WORKERS (2) seeds side by side, and prints a table per market: won
deals per request after the warm-up (mean and 95% interval over seeds), as a share of the oracle's, the
lift over keyword-only, interested within 24 h, the share of qualified newcomers starved, and the seconds
each policy took. Under stress it adds each policy's won deals per request 60 to 120 days after the
preference shift, as a share of the oracle's (has it recovered?). The JSON and the plots go to
BENCH_TMP (or a temporary folder); progress goes to stderr. BENCH_MATCHING_SEEDS overrides the seeds.

The issue's targets (docs/matching.md) are printed beside the figures, never asserted: a simulation is
evidence to read, not a test to pass.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.children import print_table
from matching.simulator import config as simulator_config
from matching.simulator import policies, run

SIMULATOR = Path(simulator_config.__file__).parent
RECOVERY_WINDOWS = ((-60, 0), (0, 60), (60, 120))  # days from the preference shift
RECOVERED_WITHIN = 0.05  # back within this share of the oracle of where it was before the shift
DEFAULT_SHARE, STRESS_SHARE = 0.95, 0.90


def say(message: str) -> None:
    print(f"[bench.matching {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    out = Path(os.environ.get("BENCH_TMP") or tempfile.mkdtemp(prefix="leadshare-matching-"))
    out.mkdir(parents=True, exist_ok=True)  # before the runs: a folder that cannot be made fails in a second
    workers = int(os.environ.get("BENCH_MATCHING_WORKERS", "2"))
    # The simulated year starts at a fixed instant so the bench's figures do not depend on the day it runs.
    start = datetime(2026, 1, 5, tzinfo=UTC)
    verdicts: list[tuple[str, bool | None, str]] = []
    for market in ("default", "stress"):
        config = simulator_config.load(SIMULATOR / f"{market}.toml")
        if os.environ.get("BENCH_MATCHING_SEEDS"):
            config = config.replace(seeds=int(os.environ["BENCH_MATCHING_SEEDS"]))
        say(f"{market}: {config.seeds} seeds, {workers} workers")
        began = time.perf_counter()
        result = run.run(config, policies.NAMES, start, workers=workers, progress=say)
        wall = time.perf_counter() - began
        result.write_json(out / f"matching-{market}.json")
        run.plot(result, out / f"matching-{market}.png")
        print(
            f"\nMatching simulator, {market} market ({config.seeds} seeds, {wall:.0f} s wall clock, {workers} workers)"
        )
        print_table(*_table(result))
        for name, reason in result.skipped.items():
            print(f"{name}: skipped. {reason}")
        shares = recovery(result)
        if shares:
            print("\nShare of the oracle's won deals per request around the preference shift (mean over seeds):")
            print_table(
                ["policy", *(f"days {low} to {high}" for low, high in RECOVERY_WINDOWS)],
                [[name, *(f"{100 * share:.0f}%" for share in row)] for name, row in shares.items()],
            )
        verdicts += targets(market, result, shares, wall)
        say(f"{market}: {wall:.0f} s; JSON and plot in {out}")
    print("\nThe issue's targets (docs/matching.md), read from the figures above, never asserted:")
    for target, met, figure in verdicts:
        print(f"  {'MET    ' if met else 'NOT MET' if met is not None else 'N/A    '}  {target}: {figure}")


def _table(result: run.Result) -> tuple[list[str], list[Sequence[str]]]:
    summary = result.as_json()["policies"]
    oracle = _mean(summary, "oracle", "won_per_request_after_warmup")
    keyword = _mean(summary, "keyword", "won_per_request_after_warmup")
    header = [
        "policy",
        "won/request after warm-up",
        "% of oracle",
        "lift over keyword",
        "interested <24 h",
        "starved",
        "seconds",
    ]
    rows: list[Sequence[str]] = []
    for name, figures in summary.items():
        won = figures["won_per_request_after_warmup"]
        low, high = won["ci95"]
        rows.append(
            [
                name,
                f"{won['mean']:.3f} ({low:.3f}-{high:.3f})",
                f"{100 * won['mean'] / oracle:.0f}%",
                f"{100 * (won['mean'] / keyword - 1):+.0f}%",
                f"{100 * _mean(summary, name, 'interested_within_24h'):.1f}%",
                f"{100 * _mean(summary, name, 'starved_qualified_share'):.0f}%",
                f"{result.seconds[name]:.0f}",
            ]
        )
    return header, rows


def _mean(summary: dict[str, Any], name: str, metric: str) -> float:
    value = summary.get(name, {}).get(metric, {}).get("mean")
    return float("nan") if value is None else float(value)


def recovery(result: run.Result) -> dict[str, list[float]]:
    """Each policy's won deals per request as a share of the oracle's in each of RECOVERY_WINDOWS (days from
    the preference shift), from the weekly series; empty when the market has no shift or no oracle ran."""
    oracle = result.weekly_won.get("oracle")
    shift = result.config.preference_shift_day
    if oracle is None or not shift:
        return {}
    weeks = [slice(max(0, round((shift + low) / 7)), round((shift + high) / 7)) for low, high in RECOVERY_WINDOWS]
    return {
        name: [float(np.mean(series[window]) / np.mean(oracle[window])) for window in weeks]
        for name, series in result.weekly_won.items()
    }


def targets(
    market: str, result: run.Result, shares: dict[str, list[float]], wall: float
) -> list[tuple[str, bool | None, str]]:
    """(target, met or None when it cannot be read, the figure) for the issue's targets on `market`."""
    summary = result.as_json()["policies"]
    if "engine" not in summary or "oracle" not in summary:
        return [(f"{market}: the engine against the oracle", None, "the engine or the oracle did not run")]

    def won(name: str) -> float:
        return _mean(summary, name, "won_per_request_after_warmup")

    def quick(name: str) -> float:
        return _mean(summary, name, "interested_within_24h")

    engine, oracle = won("engine"), won("oracle")
    share = engine / oracle
    if market == "stress":
        verdicts: list[tuple[str, bool | None, str]] = [
            (f"stress: engine >= {STRESS_SHARE:.0%} of the oracle", share >= STRESS_SHARE, f"{share:.1%}")
        ]
        if "engine" in shares:
            before, first, second = shares["engine"]
            back = second >= before - RECOVERED_WITHIN
            verdicts.append(
                (
                    f"stress: recovered within 60 days of the shift (days 60-120 within {RECOVERED_WITHIN:.0%} of the"
                    " share before it)",
                    back,
                    f"{before:.0%} before, {first:.0%} in days 0-60, {second:.0%} in days 60-120",
                )
            )
        return verdicts
    keyword, odoo = won("keyword"), won("odoo")
    gap = (engine - keyword) / (oracle - keyword) if oracle > keyword else float("nan")
    starved = _mean(summary, "engine", "starved_qualified_share")
    starved_keyword = _mean(summary, "keyword", "starved_qualified_share")
    lift = engine / keyword - 1
    return [
        ("default: engine >= 95% of the oracle", share >= DEFAULT_SHARE, f"{share:.1%}"),
        ("default: closes at least half of the keyword-oracle gap", gap >= 0.5, f"{gap:.0%} of it"),
        ("default: engine >= 20% above odoo", engine >= 1.2 * odoo, f"{engine / odoo - 1:+.0%}"),
        (
            "default: interested within 24 h at most 2 points below the oracle",
            quick("oracle") - quick("engine") <= 0.02,
            f"{100 * (quick('engine') - quick('oracle')):+.1f} points",
        ),
        (
            "default: starved qualified at most keyword's",
            starved <= starved_keyword,
            f"{starved:.0%} vs {starved_keyword:.0%}",
        ),
        ("default: lift over keyword at most +50% (else the market is rigged)", lift <= 0.5, f"{lift:+.0%}"),
        (f"default: {result.config.seeds} seeds of all five policies under 10 minutes", wall < 600, f"{wall:.0f} s"),
    ]


if __name__ == "__main__":
    main()
