"""The compact copy of the embeddings bounds every cosine from below and above, whatever the vectors, and tightly
however they spread."""

from __future__ import annotations

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


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1e-6, 1e-3, 1.0, 7.0]))
def test_the_bounds_hold_for_rows_of_any_length_and_for_rows_with_one_large_number(seed, length):
    generator = np.random.default_rng(seed)
    vectors = unit_rows(generator, 50, 512, 0) * np.float32(length)
    vectors[1] = 0.0
    vectors[2, 3] = 1000.0 * length  # its scale is set by one number: the others round to a few steps
    query = unit_rows(generator, 1, 512, 0)[0]

    found = compact.build(vectors)
    exact = cosines(vectors, query)

    assert (found.bound(query, upper=False) <= exact).all()
    assert (exact <= found.bound(query, upper=True)).all()


def test_vectors_that_spread_over_every_direction_are_bounded_within_a_twentieth():
    generator = np.random.default_rng(1)
    vectors = unit_rows(generator, 2000, 512, 0)
    query = unit_rows(generator, 1, 512, 0)[0]

    found = compact.build(vectors)
    width = found.bound(query, upper=True) - found.bound(query, upper=False)

    assert width.max() < 0.05
    assert cosines(vectors, query).std() > 0.04  # the cosines themselves spread about as much


def test_a_row_that_is_its_own_query_rounds_to_itself():
    vectors = unit_rows(np.random.default_rng(5), 3, 512, 0)

    found = compact.build(vectors)

    assert abs(found.bound(vectors[1], upper=False)[1] - 1.0) < 0.05
    assert found.bound(vectors[1], upper=True)[1] >= 1.0


def test_the_copy_keeps_one_byte_a_number_and_three_numbers_a_row():
    vectors = unit_rows(np.random.default_rng(1), 10, 512, 0)

    found = compact.build(vectors)

    assert found.codes.shape == (10, 512)
    assert found.codes.dtype == np.int8
    assert np.abs(found.codes).max() == compact.LEVELS
    assert found.scale.shape == found.rest.shape == found.norm.shape == (10,)


def test_only_vectors_of_more_than_128_numbers_get_a_copy():
    assert compact.worthwhile(129)
    assert not compact.worthwhile(128)
    assert not compact.worthwhile(4)
