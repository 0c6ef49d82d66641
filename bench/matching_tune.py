"""The engine alone on a few seeds of the default and the stress market: `python -m bench.matching_tune
[default:0,1 stress:0,1 ...]` (a tuning aid, docs/matching-history.md "The engine's tuning"; not part of `make bench`).

Prints, per market and seed, the engine's won deals per request after the warm-up and its share of requests
with an interested partner within 24 h, then their means. The other policies' figures do not change when only
the engine does; they are in docs/matching.md. BENCH_MATCHING_WORKERS (2) runs side by side.
BENCH_ENGINE_PATCH="learner.EMPIRICAL_PRIORS=False;policy.PROBE_RATE=0" sets the engine's module constants
(Python literals) for the run, so a variant is measured without editing the code.
"""

from __future__ import annotations

import ast
import importlib
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime

import numpy as np

from bench.matching import RECOVERY_WINDOWS, SIMULATOR
from matching.simulator import config as simulator_config
from matching.simulator import metrics, policies
from matching.simulator.exchange import run_market
from matching.simulator.market import build_market

START = datetime(2026, 1, 5, tzinfo=UTC)  # as bench.matching: figures independent of the day they run


def patch(spec: str) -> None:
    """Set `module.NAME=literal` (modules of matching.engine), `;`-separated."""
    for assignment in filter(None, (part.strip() for part in spec.split(";"))):
        target, literal = assignment.split("=", 1)
        module, name = target.strip().rsplit(".", 1)
        setattr(importlib.import_module(f"matching.engine.{module}"), name, ast.literal_eval(literal.strip()))


def one(job: tuple[str, int]) -> tuple[str, int, float, float, float, list[float]]:
    market_name, seed = job
    patch(os.environ.get("BENCH_ENGINE_PATCH", ""))
    config = simulator_config.load(SIMULATOR / f"{market_name}.toml")
    market = build_market(config, seed, START)
    began = time.perf_counter()
    trace = run_market(market, policies.make(os.environ.get("BENCH_TUNE_POLICY", "engine"), market))
    figures = metrics.of_run(trace, market)
    return (
        market_name,
        seed,
        figures["won_per_request_after_warmup"],
        figures["interested_within_24h"],
        time.perf_counter() - began,
        around_shift(trace.won, market.arrival_hours, config.preference_shift_day),
    )


def around_shift(won: np.ndarray, arrival_hours: np.ndarray, shift_day: int) -> list[float]:
    """Won deals per request of the requests arriving in each of bench.matching's RECOVERY_WINDOWS (days from
    the preference shift); empty without a shift."""
    if not shift_day:
        return []
    days = arrival_hours / 24.0 - shift_day
    return [float(np.mean(won[(days >= low) & (days < high)])) for low, high in RECOVERY_WINDOWS]


def jobs(arguments: list[str]) -> list[tuple[str, int]]:
    """`default:0,1` -> [("default", 0), ("default", 1)]."""
    found = []
    for argument in arguments or ["default:0,1", "stress:0,1"]:
        name, seeds = argument.split(":")
        found += [(name, int(seed)) for seed in seeds.split(",")]
    return found


def main() -> None:
    todo = jobs(sys.argv[1:])
    workers = int(os.environ.get("BENCH_MATCHING_WORKERS", "2"))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, todo))
    for name in dict.fromkeys(job[0] for job in todo):
        rows = [r for r in results if r[0] == name]
        for _, seed, won, quick, seconds, shift in rows:
            windows = "  around the shift " + " ".join(f"{w:.3f}" for w in shift) if shift else ""
            print(f"{name} seed {seed}: won {won:.3f}  interested<24h {100 * quick:.1f}%{windows}  ({seconds:.0f} s)")
        shifts = [r[5] for r in rows if r[5]]
        windows = "  around the shift " + " ".join(f"{w:.3f}" for w in np.mean(shifts, axis=0)) if shifts else ""
        print(
            f"{name} mean: won {np.mean([r[2] for r in rows]):.4f}"
            f"  interested<24h {100 * np.mean([r[3] for r in rows]):.2f}%{windows}"
        )


if __name__ == "__main__":
    main()
