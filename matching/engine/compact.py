"""A cheap, exact bound of the cosine of a need with every profile's embedding (docs/decisions.md).

The exact cosine reads every vector (100,000 x 512 float32: 200 MB, memory-bound). Here the unit vectors are
rotated into the principal axes of their second moment and only the first DIMENSIONS coordinates kept (25 MB),
with each row's norm outside them. For a unit query q and a row x, split along the kept axes (q_k, x_k) and
the rest (q_r, x_r): q.x = q_k.x_k + q_r.x_r, and |q_r.x_r| <= |q_r| |x_r| (Cauchy-Schwarz), so
q_k.x_k - |q_r| |x_r| <= q.x <= q_k.x_k + |q_r| |x_r| for any orthonormal axes: the principal ones only make
it tight where the vectors share directions. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DIMENSIONS = 64  # kept coordinates: 100,000 rows of them are 25 MB, which the last-level cache can hold
SAMPLE = 4096  # rows the axes are found from (their spread is what matters, not every row's)
CHUNK = 4096  # rows projected at once, in float64
# Rounding room, in cosine: a float32 product of two unit vectors of 512 numbers is off by at most
# 512 * 2**-24 (3e-5), the bound's float32 product of the kept coordinates by less.
SLACK = 1e-4


@dataclass(frozen=True)
class Compact:
    """`basis` (d x DIMENSIONS float64, orthonormal columns), each row's `coordinates` along it (float32) and
    the norm of what is left of it (`residual`, float64)."""

    basis: np.ndarray
    coordinates: np.ndarray
    residual: np.ndarray

    def bound(self, query: np.ndarray, upper: bool) -> np.ndarray:
        """An `upper` (else lower) bound of each row's cosine with the unit `query`, SLACK wider than needed."""
        exact = query.astype(np.float64)
        kept = self.basis.T @ exact
        rest = float(np.sqrt(max(0.0, float(exact @ exact) - float(kept @ kept))))
        centre = self.coordinates @ kept.astype(np.float32)
        spread = rest * self.residual + SLACK
        return np.asarray(centre + spread if upper else centre - spread)


def worthwhile(dimensions: int) -> bool:
    """Whether vectors of `dimensions` are worth a compact copy (below it is the whole of them)."""
    return dimensions > 2 * DIMENSIONS


def build(vectors: np.ndarray) -> Compact:
    """The compact copy of `vectors` (rows x d unit float32 vectors, d > DIMENSIONS)."""
    sample = vectors[:: max(1, len(vectors) // SAMPLE)].astype(np.float64)
    _, axes = np.linalg.eigh(sample.T @ sample)  # ascending eigenvalues: the principal axes are the last
    basis = np.ascontiguousarray(axes[:, ::-1][:, :DIMENSIONS])
    coordinates = np.empty((len(vectors), DIMENSIONS), dtype=np.float32)
    residual = np.empty(len(vectors), dtype=np.float64)
    for start in range(0, len(vectors), CHUNK):
        rows = vectors[start : start + CHUNK].astype(np.float64)
        kept = rows @ basis
        coordinates[start : start + CHUNK] = kept
        left = np.einsum("ij,ij->i", rows, rows) - np.einsum("ij,ij->i", kept, kept)
        residual[start : start + CHUNK] = np.sqrt(np.maximum(left, 0.0))
    return Compact(basis, coordinates, residual)
