"""Compare policies on the same markets (docs/matching.md). Pure, except `plot` which writes a PNG.

Common random numbers: for each seed one market is drawn (partners, truth, requests) and every policy
plays it, meeting the same requests and the same answers from the same partners (matching/simulator/
exchange.py); only what the policy chooses differs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from matching.simulator import metrics, policies
from matching.simulator.config import SimulationConfig
from matching.simulator.exchange import run_market
from matching.simulator.market import build_market

WEEK_HOURS = 7 * 24.0
SMOOTHING_WEEKS = 4


@dataclass
class Result:
    config: SimulationConfig
    figures: dict[str, dict[str, list[float]]]  # policy -> metric -> one value per seed
    seconds: dict[str, float]  # policy -> seconds over all seeds
    weekly_won: dict[str, np.ndarray]  # policy -> won deals per request by week of arrival, mean over seeds
    warmup_week: float
    skipped: dict[str, str] = field(default_factory=dict)  # policy -> why it did not run

    def as_json(self) -> dict[str, Any]:
        return {
            "config": self.config.as_dict(),
            "policies": {
                name: {metric: metrics.summary(values[metric]) for metric in metrics.METRICS}
                for name, values in self.figures.items()
            },
            "seconds": {name: round(s, 2) for name, s in self.seconds.items()},
            "skipped": self.skipped,
        }

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")


def runnable(names: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The policies that can run here, and why each other one cannot (the engine before it lands)."""
    ok: list[str] = []
    skipped: dict[str, str] = {}
    for name in names:
        try:
            policies.check(name)
        except policies.PolicyUnavailable as error:
            skipped[name] = str(error)
        else:
            ok.append(name)
    return ok, skipped


def run(
    config: SimulationConfig,
    names: Sequence[str],
    start: datetime,
    *,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Every runnable policy in `names` on seeds 0 .. config.seeds-1, all from `start`."""
    ready, skipped = runnable(names)
    seeds = range(config.seeds)
    jobs = [(config, seed, start, ready) for seed in seeds]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(_one_seed, jobs))
    else:
        outcomes = [_one_seed(job) for job in jobs]
    figures: dict[str, dict[str, list[float]]] = {n: {k: [] for k in metrics.METRICS} for n in ready}
    seconds = dict.fromkeys(ready, 0.0)
    weekly: dict[str, list[np.ndarray]] = {n: [] for n in ready}
    warmup_weeks: list[float] = []
    for seed, (per_policy, warmup_week) in zip(seeds, outcomes, strict=True):
        warmup_weeks.append(warmup_week)
        for name, (values, spent, series) in per_policy.items():
            for metric, value in values.items():
                figures[name][metric].append(value)
            seconds[name] += spent
            weekly[name].append(series)
        if progress:
            progress(
                f"seed {seed}: "
                + ", ".join(f"{n} {v[0]['won_per_request_after_warmup']:.3f}" for n, v in per_policy.items())
            )
    return Result(
        config=config,
        figures=figures,
        seconds=seconds,
        weekly_won={name: _mean_series(series) for name, series in weekly.items()},
        warmup_week=float(np.mean(warmup_weeks)) if warmup_weeks else 0.0,
        skipped=skipped,
    )


_Outcome = tuple[dict[str, tuple[dict[str, float], float, np.ndarray]], float]


def _one_seed(job: tuple[SimulationConfig, int, datetime, list[str]]) -> _Outcome:
    config, seed, start, names = job
    market = build_market(config, seed, start)
    week = (market.arrival_hours // WEEK_HOURS).astype(int)
    requests_per_week = np.bincount(week)
    per_policy: dict[str, tuple[dict[str, float], float, np.ndarray]] = {}
    for name in names:
        began = time.perf_counter()
        trace = run_market(market, policies.make(name, market))
        won_per_week = np.bincount(week, weights=trace.won, minlength=len(requests_per_week))
        series = np.divide(
            won_per_week, requests_per_week, out=np.zeros(len(requests_per_week)), where=requests_per_week > 0
        )
        per_policy[name] = (metrics.of_run(trace, market), time.perf_counter() - began, series)
    warmup = min(config.warmup_requests, len(market.arrival_hours) - 1)
    return per_policy, float(market.arrival_hours[warmup] / WEEK_HOURS) if warmup >= 0 else 0.0


def _mean_series(series: list[np.ndarray]) -> np.ndarray:
    weeks = min(len(s) for s in series)
    return np.mean([s[:weeks] for s in series], axis=0)


def plot(result: Result, path: str | Path) -> None:
    """Each policy's won deals per request by week of the request's arrival (mean over seeds), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 5), dpi=100)
    for name, series in result.weekly_won.items():
        axes.plot(np.arange(len(series)), _smoothed(series), label=name, linewidth=1.5)
    axes.axvline(result.warmup_week, color="grey", linestyle=":", linewidth=1, label="end of warm-up")
    if result.config.preference_shift_day:
        axes.axvline(
            result.config.preference_shift_day / 7,
            color="black",
            linestyle="--",
            linewidth=1,
            label="preferences shift",
        )
    axes.set_xlabel("week of the simulated run")
    axes.set_ylabel("won deals per request")
    axes.set_title(f"Won deals per request (4-week moving mean), mean of {result.config.seeds} seeds")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _smoothed(series: np.ndarray, weeks: int = SMOOTHING_WEEKS) -> np.ndarray:
    """A trailing moving mean: weekly figures of a few dozen requests are too noisy to read."""
    sums = np.cumsum(np.insert(series, 0, 0.0))
    counts = np.minimum(np.arange(1, len(series) + 1), weeks)
    return (sums[1:] - sums[np.maximum(0, np.arange(1, len(series) + 1) - weeks)]) / counts
