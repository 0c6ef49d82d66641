"""The top k partners by a product of sigmoids (the expected value of sending), without scoring them all.

log sigmoid is concave, so its tangent at any point bounds it from above: a linear upper bound of each
partner's log score, cheap over all partners. The exact scores of the FIRST_CUT * k best bounds give a k-th
score that the final top k can only beat; a partner whose bound is below it cannot be among them, so only the
partners whose bound reaches it are scored exactly (held to scoring them all by property tests). Pure.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

FIRST_CUT = 4  # this many times k partners are scored exactly to find the bar
BOUND_SLACK = 1e-9  # rounding room between a log score and its bound (relative)
ANCHOR_SAMPLE = 1024  # partners sampled to place the tangents of given log-odds, and to find a threshold
ANCHOR_QUANTILE = 0.99
TANGENT_SAMPLE = 256  # partners scored one by one to place the tangents when log-odds cost to compute


def tangents(sample: np.ndarray) -> tuple[np.ndarray, float]:
    """(slope per stage, constant) of the tangents of log sigmoid where the best of a `sample` of log-odds
    (rows x stages) are: sum(log sigmoid(z)) <= z @ slope + constant for every z. Tight for the best partners,
    far above nobody who matters."""
    anchor = np.quantile(sample, ANCHOR_QUANTILE, axis=0)
    slope = 1.0 - sigmoid(anchor)
    return slope, float(np.sum(log_sigmoid(anchor) - slope * anchor))


def sample_of(m: int) -> np.ndarray:
    """The positions of about TANGENT_SAMPLE of m partners, evenly spread."""
    return np.arange(0, m, max(1, m // TANGENT_SAMPLE))


def top_by_bound(
    upper: np.ndarray,
    exact: Callable[[np.ndarray], np.ndarray],
    k: int,
    tighter: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Positions of the k largest `exact(positions)` scores, largest first, ties by position, given `upper`, an
    upper bound of each one's log score (-inf when it scores 0): `exact` is asked only of the partners whose
    bound can reach the k-th score. `tighter(positions)`, when given, is a tighter upper bound (still at or
    above the log score) that costs less than `exact`: asked of those first, and `exact` only where it too
    reaches the k-th score."""
    m = len(upper)
    if k <= 0 or m <= FIRST_CUT * k:
        return top(exact(np.arange(m)), k)
    first = some_of_the_best(upper, FIRST_CUT * k)
    scores = exact(first)
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]
    with np.errstate(divide="ignore"):
        bar = np.log(kth) - BOUND_SLACK * (1.0 + abs(np.log(kth)))
    candidates = np.flatnonzero(upper >= bar)
    if tighter is not None:
        candidates = candidates[tighter(candidates) >= bar]
    return candidates[top(exact(candidates), k)]


def some_of_the_best(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of at least k of the largest values (any more of them do no harm): above a threshold read off
    a sample, which is cheaper than a partition of all, else by the partition."""
    m = len(values)
    step = max(1, m // ANCHOR_SAMPLE)
    with np.errstate(invalid="ignore"):
        threshold = np.quantile(values[::step], max(0.0, 1.0 - 2.0 * k / m))
    found = np.flatnonzero(values >= threshold)
    if k <= len(found) <= 4 * k:
        return found
    return np.argpartition(-values, k - 1)[:k]


def top(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest values, largest first (ties by position, also at the k-th place: argpartition
    alone would keep any of the tied)."""
    if k <= 0:
        return np.empty(0, dtype=np.intp)
    if k < len(values):
        kth = np.partition(-values, k - 1)[k - 1]
        part = np.flatnonzero(-values <= kth)
    else:
        part = np.arange(len(values))
    return part[np.lexsort((part, -values[part]))][:k]


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(-np.logaddexp(0.0, -z))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))
