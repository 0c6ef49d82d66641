"""A compact copy of the embeddings from which every row's cosine with a need is bounded, whatever the vectors.

A decision whose models weigh the embedding cosine needs it exactly only for the partners whose score can reach
the top (scores.py); for the others a bound does. Each row is kept as 8-bit integers with a scale of its own
(100,000 x 512 rows are 51 MB, a quarter of the float32 vectors) and the norm of what the rounding left; the
need is rounded the same way, and numkong sums the integer products exactly, with the processor's 8-bit dot
product instructions, in one pass over the copy. For a row p = s p' + e (s its scale, p' its integers, e the
rest) and the need q = t q' + f:

    q . p = s t (q' . p') + t q' . e + f . p,   and   |t q' . e + f . p| <= t |q'| |e| + |f| |p|

(Cauchy-Schwarz), so the bound is within about 0.02 of the cosine on any unit vectors of 512 numbers, however
they spread: a bound from a few principal axes (what this module kept until decision 84, from decision 71) is
exact too but says almost nothing on vectors that spread over every direction. Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numkong
import numpy as np

LEVELS = 127  # the integers run from -LEVELS to LEVELS: the products of two fit in 15 bits, their sums in 32
CHUNK = 4096  # rows rounded at once, in float64
# Rounding room, in cosine: the engine's float32 product of two unit vectors of 512 numbers is off by at most
# 512 * 2**-24 (3e-5); the integer sums here are exact, their scaling in float64 off by far less.
SLACK = 1e-4
# Below this many numbers a row is read whole (features._vector_cosines) rather than bounded: a pass over 100,000
# float32 rows of 128 numbers costs about what the copy's pass does.
WORTHWHILE_ABOVE = 128


@dataclass(frozen=True)
class Compact:
    """Each row's `codes` (int8), `scale` and the norms of what the rounding left (`rest`) and of the row
    (`norm`), all three float64."""

    codes: np.ndarray
    scale: np.ndarray
    rest: np.ndarray
    norm: np.ndarray

    def bound(self, query: np.ndarray, upper: bool) -> np.ndarray:
        """An `upper` (else lower) bound of each row's cosine with the unit `query`, SLACK wider than needed."""
        exact = query.astype(np.float64)
        step, codes, left = _rounded(exact[None, :])
        sums = np.asarray(numkong.cdist(codes, self.codes, metric="dot"), dtype=np.float64)[0]
        centre = sums * (self.scale * float(step[0]))
        spread = float(step[0]) * float(np.linalg.norm(codes[0].astype(np.float64))) * self.rest
        spread += float(left[0]) * self.norm + SLACK
        return np.asarray(centre + spread if upper else centre - spread)


def worthwhile(dimensions: int) -> bool:
    """Whether vectors of `dimensions` are worth a compact copy (below it they are read whole)."""
    return dimensions > WORTHWHILE_ABOVE


def build(vectors: np.ndarray) -> Compact:
    """The compact copy of `vectors` (rows x d float32)."""
    n, d = vectors.shape
    codes = np.empty((n, d), dtype=np.int8)
    scale, rest, norm = np.empty(n), np.empty(n), np.empty(n)
    for start in range(0, n, CHUNK):
        rows = vectors[start : start + CHUNK].astype(np.float64)
        at = slice(start, start + len(rows))
        norm[at] = np.sqrt(np.einsum("ij,ij->i", rows, rows))
        scale[at], codes[at], rest[at] = _rounded(rows)
    return Compact(codes, scale, rest, norm)


def _rounded(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(each row's scale, its integers, the norm of what rounding left) of float64 `rows`."""
    largest = np.abs(rows).max(axis=1) if rows.shape[1] else np.zeros(len(rows))
    scale = np.where(largest > 0, largest / LEVELS, 1.0)
    scaled = rows / scale[:, None]
    integers = np.rint(scaled)  # within -LEVELS..LEVELS: the largest number of a row is LEVELS steps
    scaled -= integers
    left = np.sqrt(np.einsum("ij,ij->i", scaled, scaled)) * scale
    return scale, integers.astype(np.int8), left
