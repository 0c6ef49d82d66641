"""How the engine's evidence fades: it halves every HALF_LIFE_DAYS, so last month counts more than last year.

The one owner of that half-life: the partner cells and answering habits (learner.py) and the beliefs
(membership.py) all fade by it. Pure."""

from __future__ import annotations

import numpy as np

DAY = 86_400.0
HALF_LIFE_DAYS = 90.0


def fade(seconds: float) -> float:
    """What evidence `seconds` old still weighs (1 for evidence from the future: it never grows)."""
    return float(2.0 ** (-max(seconds, 0.0) / (HALF_LIFE_DAYS * DAY)))


def fades(now: float, at: np.ndarray) -> np.ndarray:
    """`fade` of evidence recorded at each of `at`, read at `now`."""
    return np.asarray(np.exp2(-np.maximum(now - at, 0.0) / (HALF_LIFE_DAYS * DAY)))
