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
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench.children import print_table
from matching.simulator import config as simulator_config
from matching.simulator import policies, run

SIMULATOR = Path(simulator_config.__file__).parent
RECOVERY_DAYS = (60, 120)  # after the shift: the window in which the engine should be back


def say(message: str) -> None:
    print(f"[bench.matching {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    out = Path(os.environ.get("BENCH_TMP") or tempfile.mkdtemp(prefix="leadshare-matching-"))
    workers = int(os.environ.get("BENCH_MATCHING_WORKERS", "2"))
    # The simulated year starts at a fixed instant so the bench's figures do not depend on the day it runs.
    start = datetime(2026, 1, 5, tzinfo=UTC)
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
        if config.preference_shift_day:
            print(_recovery(result))
        say(f"{market}: {wall:.0f} s; JSON and plot in {out}")
    print(
        "\nTargets (default market): engine >= 95% of oracle, >= half the keyword-oracle gap, >= 20% above odoo,"
        " interested within 24 h at most 2 points below oracle, starved at most keyword's; lift over keyword"
        " above +50% means the market is rigged. Stress: engine >= 90% of oracle, recovered within 60 days."
    )


def _table(result: run.Result) -> tuple[list[str], list[list[str]]]:
    summary = result.as_json()["policies"]

    def mean(name: str, metric: str) -> float:
        value = summary.get(name, {}).get(metric, {}).get("mean")
        return float("nan") if value is None else float(value)

    oracle = mean("oracle", "won_per_request_after_warmup")
    keyword = mean("keyword", "won_per_request_after_warmup")
    header = [
        "policy",
        "won/request after warm-up",
        "% of oracle",
        "lift over keyword",
        "interested <24 h",
        "starved",
        "seconds",
    ]
    rows = []
    for name, figures in summary.items():
        won = figures["won_per_request_after_warmup"]
        low, high = won["ci95"]
        rows.append(
            [
                name,
                f"{won['mean']:.3f} ({low:.3f}-{high:.3f})",
                f"{100 * won['mean'] / oracle:.0f}%",
                f"{100 * (won['mean'] / keyword - 1):+.0f}%",
                f"{100 * mean(name, 'interested_within_24h'):.1f}%",
                f"{100 * mean(name, 'starved_qualified_share'):.0f}%",
                f"{result.seconds[name]:.0f}",
            ]
        )
    return header, rows


def _recovery(result: run.Result) -> str:
    shift_week = result.config.preference_shift_day / 7
    weeks = slice(int(shift_week + RECOVERY_DAYS[0] / 7), int(shift_week + RECOVERY_DAYS[1] / 7))
    before = slice(max(0, int(shift_week - 60 / 7)), int(shift_week))
    oracle = result.weekly_won.get("oracle")
    if oracle is None:
        return "No oracle ran: no recovery figures."
    parts = []
    for name, series in result.weekly_won.items():
        ratio_after = float(np.mean(series[weeks]) / np.mean(oracle[weeks]))
        ratio_before = float(np.mean(series[before]) / np.mean(oracle[before]))
        parts.append(f"{name} {100 * ratio_before:.0f}% -> {100 * ratio_after:.0f}%")
    return (
        f"Share of the oracle's won deals per request, the 60 days before the shift -> days "
        f"{RECOVERY_DAYS[0]}-{RECOVERY_DAYS[1]} after it: " + ", ".join(parts)
    )


if __name__ == "__main__":
    main()
