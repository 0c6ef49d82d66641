"""The figures of a run, per seed and over seeds (docs/matching.md, "The metrics"). Pure.

Per seed and policy:

    won_per_request               deals won / requests, over the whole run
    won_per_request_after_warmup  the same over the requests after the first `warmup_requests`
    won_value_per_request         EUR won / requests, after the warm-up
    interested_within_24h         share of requests with an interested partner within 24 h, after the warm-up
    exposure_gini                 Gini coefficient of referrals per day on the platform, over all partners
    starved_qualified_share       share of the qualified partners that joined during the run and got fewer
                                  than STARVED_BELOW referrals in their first 30 days

A partner is qualified when its true chance of winning the requests it may receive (from the hidden truth,
unloaded, before any preference shift) is at least the median partner's.
"""

from __future__ import annotations

import math

import numpy as np

from matching.simulator import market as m
from matching.simulator.exchange import Trace
from matching.simulator.policies import eligible

METRICS = (
    "won_per_request",
    "won_per_request_after_warmup",
    "won_value_per_request",
    "interested_within_24h",
    "exposure_gini",
    "starved_qualified_share",
)
STARVED_BELOW = 5  # referrals in a new partner's first 30 days (the engine's exposure floor)
FIRST_DAYS = 30
QUALITY_SAMPLE = 300  # requests sampled to judge who is qualified

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom; the normal's beyond.
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
    2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def of_run(trace: Trace, market: m.Market) -> dict[str, float]:
    """The figures of one policy on one seed."""
    after = slice(market.config.warmup_requests, None)
    return {
        "won_per_request": _mean(trace.won),
        "won_per_request_after_warmup": _mean(trace.won[after]),
        "won_value_per_request": _mean(trace.won_value[after]),
        "interested_within_24h": _mean(trace.interested_within_24h[after]),
        "exposure_gini": gini(trace.offers / _days_on_platform(market)),
        "starved_qualified_share": starved_share(trace, market),
    }


def summary(values: list[float]) -> dict[str, float | list[float] | None]:
    """Mean over seeds and its 95% confidence interval [low, high] (Student's t)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return {"mean": None, "ci95": None}
    mean = float(np.mean(finite))
    if len(finite) < 2:
        return {"mean": mean, "ci95": [mean, mean]}
    half = _t95(len(finite) - 1) * float(np.std(finite, ddof=1)) / math.sqrt(len(finite))
    return {"mean": mean, "ci95": [mean - half, mean + half]}


def gini(values: np.ndarray) -> float:
    """0 when everyone gets the same, towards 1 when one gets everything."""
    x = np.sort(np.asarray(values, dtype=float))
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    ranks = np.arange(1, len(x) + 1)
    return float((2 * ranks - len(x) - 1) @ x / (len(x) * x.sum()))


def starved_share(trace: Trace, market: m.Market) -> float:
    """Share of qualified newcomers (a full first 30 days inside the run) below the exposure floor."""
    config = market.config
    joined = market.joins_day
    newcomer = (joined > 0) & (joined + FIRST_DAYS <= np.minimum(market.leaves_day, config.days))
    judged = newcomer & qualified(market)
    if not judged.any():
        return 0.0
    return float(np.mean(trace.offers_first_30_days[judged] < STARVED_BELOW))


def qualified(market: m.Market) -> np.ndarray:
    """(P,) bool: partners at least as likely as the median partner to win the requests they may receive."""
    sample = np.linspace(0, len(market.deals) - 1, min(QUALITY_SAMPLE, len(market.deals))).astype(int)
    everyone = np.arange(len(market.profiles))
    total = np.zeros(len(everyone))
    seen = np.zeros(len(everyone))
    for r in sample:
        allowed, _ = eligible(market.deals[r], market.profiles, frozenset())
        index = np.array([p.profile_id - 1 for p in allowed], dtype=int)
        if len(index):
            total[index] += m.chances(market, int(r), index, np.zeros(len(index)), 0.0).prod(axis=0)
            seen[index] += 1
    quality = np.divide(total, seen, out=np.zeros_like(total), where=seen > 0)
    return quality >= np.median(quality)


def _days_on_platform(market: m.Market) -> np.ndarray:
    days = market.config.days
    return np.maximum(np.minimum(market.leaves_day, days) - np.minimum(market.joins_day, days), 1.0)


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def _t95(freedom: int) -> float:
    return _T95[freedom - 1] if freedom <= len(_T95) else 1.96
