"""What a need means, across languages: "миграция почты в облако" finds a partner tagged only "cloud email
migration", and the other way round (matching.embeddings, a multilingual sentence encoder).

A profile's keyword phrases are embedded when the profile is indexed (`store`, from finder.indexing), once per
distinct phrase (finder.models.PhraseVector); the snapshot (finder.snapshot) holds each phrase's vector and
the rows having it, and a search embeds its need once (`need_vector`) and compares it with every phrase of the
snapshot: far fewer phrases than profiles, so a search over 100,000 profiles stays a few milliseconds. A
profile means what its closest phrase means: its similarity to the need is that phrase's cosine, counted only
from THRESHOLD up, so that an unrelated partner is not "found".

The taxonomy's labels are not embedded: they are indexed in both languages already (finder.indexing).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from finder import text
from finder.models import PhraseVector, SearchEntry
from matching import embeddings

logger = logging.getLogger(__name__)
Vector = npt.NDArray[np.float32]

# The cosine from which a phrase means what the need says. Translations score 0.79-0.92 ("cloud email migration"
# and "миграция почты в облако" 0.83, "backup" and "резервное копирование" 0.79, "бухгалтерия" and "accounting"
# 0.81); phrases sharing a word but not the meaning 0.6-0.66 ("email migration" and "email hosting" 0.66,
# "migration" and "email migration" 0.63); unrelated ones below 0.45 (docs/decisions.md).
THRESHOLD = 0.7
EMBED_BATCH = 64
_SPACES = re.compile(r"\s+")


def phrase(keyword: str) -> str:
    """A keyword as it is embedded and looked up: case-folded (finder.text.normalise), spaces collapsed."""
    return _SPACES.sub(" ", text.normalise(keyword)).strip()


def digest(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()


def store(keywords: Iterable[str]) -> int:
    """Embed the phrases of these keywords that have no stored vector yet, and store them; how many. Without
    the encoder's package, nothing (the finder then matches words only, and says so in the log)."""
    wanted = {digest(p): p for p in map(phrase, keywords) if p}
    stored = _stored_digests(list(wanted))
    missing = [wanted[d] for d in sorted(wanted) if d not in stored]
    if not missing:
        return 0
    try:
        vectors = np.concatenate(
            [embeddings.embed(missing[i : i + EMBED_BATCH]) for i in range(0, len(missing), EMBED_BATCH)]
        )
    except embeddings.EmbeddingsUnavailable as error:
        logger.warning("Keyword phrases were indexed without their meaning: %s", error)
        return 0
    rows = [
        PhraseVector(digest=digest(p), phrase=p, vector=np.asarray(v, dtype="<f4").tobytes())
        for p, v in zip(missing, vectors, strict=True)
    ]
    PhraseVector.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)  # another writer's are the same
    return len(rows)


def _stored_digests(digests: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(digests), 900):  # under SQLite's parameter limit
        chunk = digests[start : start + 900]
        found.update(PhraseVector.objects.filter(digest__in=chunk).values_list("digest", flat=True))
    return found


def vectors(phrases: Iterable[str], using: str = "default") -> dict[str, Vector]:
    """The stored vectors of these (normalised) phrases; a phrase without one is left out."""
    by_digest = {digest(p): p for p in phrases}
    keys = list(by_digest)
    found: dict[str, Vector] = {}
    for start in range(0, len(keys), 900):
        rows = PhraseVector.objects.using(using).filter(digest__in=keys[start : start + 900])
        for key, blob in rows.values_list("digest", "vector"):
            found[by_digest[key]] = np.frombuffer(bytes(blob), dtype="<f4").astype(np.float32)
    return found


@lru_cache(maxsize=256)
def need_vector(need: str) -> Vector | None:
    """The need's embedding, once per search (and kept for the next pages of it); None when the need is empty
    or the encoder's package is missing."""
    if not need.strip():
        return None
    try:
        found: Vector = embeddings.embed([need])[0]
    except embeddings.EmbeddingsUnavailable:
        return None
    found.setflags(write=False)
    return found


def warm() -> None:
    """Load the encoder now (gunicorn's master, before the fork: the workers share it instead of each loading
    its own ~150 MB on its first search)."""
    need_vector("warm")
    need_vector.cache_clear()


def closest(keywords: Sequence[str], need: Vector, known: dict[str, Vector]) -> tuple[str, float] | None:
    """The keyword whose phrase is closest in meaning to the need, and its cosine, if at least THRESHOLD; `known`
    holds the phrases' vectors (the snapshot's: the same the search ranked with)."""
    best = max(
        ((keyword, float(known[phrase(keyword)] @ need)) for keyword in keywords if phrase(keyword) in known),
        key=lambda pair: pair[1],
        default=None,
    )
    return best if best is not None and best[1] >= THRESHOLD else None


def profile_vectors(profile_ids: Iterable[int]) -> dict[int, Vector]:
    """Each indexed profile's meaning as one unit vector: the mean of its keyword phrases' vectors (profiles
    without a stored phrase are left out). For the routing engine's `Partner.vector` (matching.learning)."""
    keywords = dict(SearchEntry.objects.filter(profile_id__in=list(profile_ids)).values_list("profile_id", "keywords"))
    known = vectors({phrase(k) for words in keywords.values() for k in words})
    found: dict[int, Vector] = {}
    for profile_id, words in keywords.items():
        rows = [known[p] for p in map(phrase, words) if p in known]
        if rows:
            mean = np.mean(rows, axis=0)
            found[profile_id] = (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)
    return found
