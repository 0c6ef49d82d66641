"""The multilingual embeddings routing compares (matching.embeddings): a request's need, and a profile's
keywords, tags and description.

A profile is embedded once per change of that text: the vector is stored (`ProfileVector`) with the digest of
the text it came from, and the first process to read a profile whose digest moved embeds it again and stores
it; the others read it. A need is embedded when its request is decided on, and kept per process for the
requests decided on again (the cascade, the customer's note).

Without the model's package, or for an empty text, there is no vector: the engine then scores without one
(its `vector_missing` feature), as it always could.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from functools import lru_cache

from matching import embeddings
from matching.embeddings import EmbeddingsUnavailable, Vector
from matching.models import ProfileVector
from partners.models import BusinessProfile

logger = logging.getLogger(__name__)

# Changing what is embedded, or the model, changes every digest: each profile is embedded again when next read.
MODEL = f"usem3-{embeddings.DIMENSIONS}"
NEEDS_KEPT = 4096  # needs kept per process


def profile_text(profile: BusinessProfile) -> str:
    """What a profile is embedded from (its tags prefetched): keywords first, then its tags' names, then its
    description, the way a customer would describe the partner."""
    tags = [t.name_en for field in ("industries", "products", "services") for t in getattr(profile, field).all()]
    parts = [*(str(k) for k in profile.keywords or []), *tags, profile.description.strip()]
    return ". ".join(part for part in parts if part)


def digest(text: str) -> str:
    return hashlib.sha256(f"{MODEL}\n{text}".encode()).hexdigest()


def of_profiles(profiles: Sequence[BusinessProfile]) -> dict[int, Vector | None]:
    """Each profile's vector (tags prefetched): the stored one while its text is unchanged, else embedded now
    and stored. One query when every vector is current."""
    texts = {p.pk: profile_text(p) for p in profiles}
    digests = {pk: digest(text) for pk, text in texts.items() if text}
    found: dict[int, Vector | None] = dict.fromkeys(texts)
    stored = ProfileVector.objects.filter(profile_id__in=list(digests)) if digests else ProfileVector.objects.none()
    for pk, stored_digest, data in stored.values_list("profile_id", "digest", "vector"):
        if digests.get(pk) == stored_digest:
            found[pk] = Vector.from_bytes(bytes(data))
    stale = [pk for pk in digests if found[pk] is None]
    if stale:
        rows = _embed([texts[pk] for pk in stale])
        if rows is not None:
            for pk, row in zip(stale, rows, strict=True):
                found[pk] = Vector(row)
            _store({pk: (digests[pk], found[pk]) for pk in stale})
    return found


def _store(vectors: dict[int, tuple[str, Vector | None]]) -> None:
    # Two processes may embed the same change at once: the second write is the same vector.
    ProfileVector.objects.bulk_create(
        [ProfileVector(profile_id=pk, digest=d, vector=v.to_bytes()) for pk, (d, v) in vectors.items() if v],
        update_conflicts=True,
        unique_fields=["profile_id"],
        update_fields=["digest", "vector"],
    )


def of_need(need: str) -> Vector | None:
    """The vector of a request's need, or None (empty, or no model)."""
    return _need(need.strip())


@lru_cache(maxsize=NEEDS_KEPT)
def _need(need: str) -> Vector | None:
    if not need:
        return None
    rows = _embed([need])
    return Vector(rows[0]) if rows is not None else None


def of_needs(needs: Sequence[str]) -> list[Vector | None]:
    """The vectors of many needs, embedded together (training reads a history's requests at once)."""
    texts = sorted({n.strip() for n in needs if n.strip()})
    rows = _embed(texts) if texts else None
    vectors = dict(zip(texts, (Vector(r) for r in rows), strict=True)) if rows is not None else {}
    return [vectors.get(n.strip()) for n in needs]


_warned = False


def _embed(texts: list[str]) -> list[object] | None:
    global _warned
    try:
        return list(embeddings.embed(texts))
    except EmbeddingsUnavailable as error:
        if not _warned:
            logger.warning("Routing compares requests and profiles without embeddings: %s", error)
            _warned = True
        return None
