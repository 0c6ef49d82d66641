"""The multilingual embeddings routing compares (matching.embeddings): a request's need, and a profile's
keywords, tags and description.

A profile is embedded once per change of that text: the vector is stored (`ProfileVector`) with the digest of
the text it came from, and the first process to read a profile whose digest moved embeds it again and stores
it; the others read it. A routing decision embeds a few at most (matching.roster's budget); the full refit
embeds every profile not stored yet first (`backfill`). A need is embedded when its request is decided on, and
kept per process for the requests decided on again (the cascade, the customer's note).

Without the model's package, or for an empty text, there is no vector: the engine then scores without one
(its `vector_missing` feature), as it always could.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from matching import embeddings, profiles
from matching.embeddings import EmbeddingsUnavailable, Vector
from matching.models import ProfileVector
from matching.profiles import Facts

logger = logging.getLogger(__name__)

# Changing what is embedded, or the model, changes every digest: each profile is embedded again when next read.
MODEL = f"usem3-{embeddings.DIMENSIONS}"
NEEDS_KEPT = 4096  # needs kept per process


def profile_text(facts: Facts) -> str:
    """What a profile is embedded from: keywords first, then its tags' names, then its description, the way a
    customer would describe the partner."""
    parts = [*facts.keywords, *facts.tag_names, facts.description.strip()]
    return ". ".join(part for part in parts if part)


def digest(text: str) -> str:
    return hashlib.sha256(f"{MODEL}\n{text}".encode()).hexdigest()


@dataclass(frozen=True)
class Pending:
    """A profile whose vector for its current text is not stored yet."""

    digest: str
    text: str


@dataclass(frozen=True)
class Settled:
    vectors: dict[int, Vector]
    pending: dict[int, Pending]  # left over by the budget
    embedded: int  # how many were embedded now


def of_profiles(profiles: Iterable[Facts], budget: int | None) -> tuple[dict[int, Vector | None], Settled]:
    """Each profile's vector: the stored one while its text is unchanged, else embedded now and
    stored, `budget` of them at most (None: all); the ones left over are pending (no vector yet). One query when
    every vector is current."""
    texts = {p.profile_id: profile_text(p) for p in profiles}
    found: dict[int, Vector | None] = dict.fromkeys(texts)
    settled = settle({pk: Pending(digest(text), text) for pk, text in texts.items() if text}, budget)
    found.update(settled.vectors)
    return found, settled


def settle(pending: Mapping[int, Pending], budget: int | None) -> Settled:
    """The vectors of these profiles stored meanwhile (by another process, or the full refit's backfill), and up
    to `budget` more embedded now and stored; and those still pending. Without the model nothing is pending."""
    found: dict[int, Vector] = {}
    if not pending:
        return Settled(found, {}, 0)
    stored = ProfileVector.objects.filter(profile_id__in=sorted(pending)).values_list("profile_id", "digest", "vector")
    for pk, stored_digest, data in stored:
        if pending[pk].digest == stored_digest:
            found[pk] = Vector.from_bytes(bytes(data))
    stale = [pk for pk in sorted(pending) if pk not in found]
    now = stale if budget is None else stale[:budget]
    rows = _embed([pending[pk].text for pk in now]) if now else []
    if rows is None:
        return Settled(found, {}, 0)
    embedded = {pk: Vector(row) for pk, row in zip(now, rows, strict=True)}
    if embedded:
        _store({pk: (pending[pk].digest, vector) for pk, vector in embedded.items()})
    found.update(embedded)
    return Settled(found, {pk: pending[pk] for pk in stale[len(now) :]}, len(embedded))


def backfill() -> int:
    """Embed every profile whose vector is not stored for its text (the full refit runs it first: a database
    that never had vectors, or a new model, must not leave that work to routing decisions); returns how many."""
    ids = profiles.all_ids()
    embedded = 0
    for start in range(0, len(ids), profiles.CHUNK):
        texts = {pk: profile_text(f) for pk, f in profiles.read(ids[start : start + profiles.CHUNK]).items()}
        before = {pk: Pending(digest(text), text) for pk, text in texts.items() if text}
        stored = ProfileVector.objects.filter(profile_id__in=sorted(before)).values_list("profile_id", "digest")
        current = {pk for pk, stored_digest in stored if before[pk].digest == stored_digest}
        embedded += settle({pk: p for pk, p in before.items() if pk not in current}, None).embedded
    return embedded


def _store(vectors: dict[int, tuple[str, Vector]]) -> None:
    # Two processes may embed the same change at once: the second write is the same vector.
    ProfileVector.objects.bulk_create(
        [ProfileVector(profile_id=pk, digest=d, vector=v.to_bytes()) for pk, (d, v) in vectors.items()],
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
