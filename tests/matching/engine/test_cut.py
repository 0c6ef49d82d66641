"""The cut finds the top k by their exact scores, asking for exact scores only where the bound reaches the bar."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine import cut


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 600), st.integers(1, 30), st.booleans())
def test_any_upper_bound_finds_the_same_top_k_in_the_same_order_as_scoring_them_all(seed, m, k, ties):
    generator = np.random.default_rng(seed)
    scores = generator.exponential(1.0, m)
    if ties:  # whole groups of partners with equal scores, as partners with the same profile have
        scores = np.round(scores, 1)
    scores[generator.random(m) < 0.1] = 0.0  # over capacity, or taken: a score of 0
    with np.errstate(divide="ignore"):
        upper = np.log(scores) + generator.exponential(0.5, m) * (generator.random(m) < 0.7)
    asked: list[int] = []

    def exact(at: np.ndarray) -> np.ndarray:
        asked.extend(at.tolist())
        return np.asarray(scores[at])

    found = cut.top_by_bound(upper, exact, min(k, m))

    assert found.tolist() == cut.top(scores, min(k, m)).tolist()
    assert set(asked) <= set(range(m))


def test_partners_whose_bound_is_below_the_bar_are_never_scored_one_by_one():
    scores = np.concatenate((np.full(20, 5.0), np.full(980, 0.1)))
    asked: list[int] = []

    def exact(at: np.ndarray) -> np.ndarray:
        asked.extend(at.tolist())
        return np.asarray(scores[at])

    found = cut.top_by_bound(np.log(scores), exact, 3)

    assert found.tolist() == [0, 1, 2]
    assert set(asked) == set(range(20))
