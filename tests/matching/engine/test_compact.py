"""The compact copy of the embeddings bounds every cosine from below and above, whatever the vectors, and tightly
where they share the kept directions."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine import compact


def unit_rows(generator: np.random.Generator, n: int, d: int, shared: int) -> np.ndarray:
    """n unit float32 vectors of d numbers: spread over every direction, or (`shared` > 0) mostly along
    `shared` common ones, as a model's embeddings are."""
    rows = generator.standard_normal((n, d))
    if shared:
        common = generator.standard_normal((shared, d))
        rows = generator.standard_normal((n, shared)) @ common + 0.05 * rows
    rows = rows.astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def cosines(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """As the engine computes them (features._vector_cosines): float32 products of unit vectors."""
    return np.asarray(vectors @ query, dtype=np.float64)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 300),
    st.sampled_from([129, 200, 512]),
    st.sampled_from([0, 8, 64, 100]),
    st.booleans(),
)
def test_the_bounds_hold_every_cosine_between_them(seed, n, d, shared, query_is_a_row):
    generator = np.random.default_rng(seed)
    vectors = unit_rows(generator, n, d, shared)
    query = vectors[0] if query_is_a_row else unit_rows(generator, 1, d, 0)[0]

    found = compact.build(vectors)
    exact = cosines(vectors, query)

    assert (found.bound(query, upper=False) <= exact).all()
    assert (exact <= found.bound(query, upper=True)).all()


def test_the_bounds_hold_for_vectors_the_axes_were_not_found_from():
    generator = np.random.default_rng(3)
    vectors = unit_rows(generator, 1000, 512, 8)
    query = unit_rows(generator, 1, 512, 0)[0]

    with patch.object(compact, "SAMPLE", 50):  # the axes come from every 20th row
        found = compact.build(vectors)
    exact = cosines(vectors, query)

    assert (found.bound(query, upper=False) <= exact).all()
    assert (exact <= found.bound(query, upper=True)).all()


def test_vectors_within_the_kept_directions_are_bounded_to_the_rounding_room():
    generator = np.random.default_rng(5)
    directions = generator.standard_normal((compact.DIMENSIONS, 512))
    within = generator.standard_normal((400, compact.DIMENSIONS)) @ directions
    vectors = (within / np.linalg.norm(within, axis=1, keepdims=True)).astype(np.float32)
    query = vectors[7]

    found = compact.build(vectors)
    width = found.bound(query, upper=True) - found.bound(query, upper=False)

    assert width.max() < 4 * compact.SLACK


def test_the_copy_keeps_the_kept_dimensions_of_every_row():
    vectors = unit_rows(np.random.default_rng(1), 10, 512, 0)

    found = compact.build(vectors)

    assert found.basis.shape == (512, compact.DIMENSIONS)
    assert found.coordinates.shape == (10, compact.DIMENSIONS)
    assert found.coordinates.dtype == np.float32
    assert found.residual.shape == (10,)


def test_only_vectors_of_more_than_twice_the_kept_dimensions_get_a_copy():
    assert compact.worthwhile(2 * compact.DIMENSIONS + 1)
    assert not compact.worthwhile(2 * compact.DIMENSIONS)
    assert not compact.worthwhile(4)
