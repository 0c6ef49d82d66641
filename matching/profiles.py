"""What routing reads of business profiles, as plain values: a few value queries per chunk of profiles rather
than model instances with prefetched relations (Django's prefetch costs ~1 ms per profile; this ~0.1 ms), so
that making the engine's roster anew over a large table takes seconds, not minutes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from partners.models import BusinessProfile, Location

CHUNK = 2000  # profiles per query (as finder.indexing reads them)
TAGS = ("industries", "products", "services")


@dataclass(frozen=True)
class Facts:
    """One business profile's fields routing reads."""

    profile_id: int
    partner_id: int
    created_at: datetime
    country: str
    description: str
    keywords: tuple[str, ...]
    languages: tuple[str, ...]
    only_target_sizes: bool
    capacity: int | None
    places: tuple[tuple[float, float], ...] = ()  # (lat, lon) of its locations, in their order
    codes: dict[str, frozenset[str]] = field(default_factory=dict)  # "industries", ..., "target_sizes" -> codes
    tag_names: tuple[str, ...] = ()  # its industries', products' and services' English names


def read(profile_ids: Sequence[int], using: str = "default") -> dict[int, Facts]:
    """These profiles' facts by id, in id order; a profile gone is missing. Six queries per CHUNK profiles."""
    found: dict[int, Facts] = {}
    for start in range(0, len(profile_ids), CHUNK):
        found.update(_read_chunk(profile_ids[start : start + CHUNK], using))
    return found


def all_ids(using: str = "default") -> list[int]:
    return list(BusinessProfile.objects.using(using).order_by("pk").values_list("pk", flat=True))


def _read_chunk(chunk: Sequence[int], using: str) -> dict[int, Facts]:
    places: dict[int, list[tuple[float, float]]] = defaultdict(list)
    located = Location.objects.using(using).filter(profile_id__in=chunk).order_by("id")
    for pid, lat, lon in located.values_list("profile_id", "lat", "lon"):
        places[pid].append((lat, lon))
    codes: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    names: dict[int, list[str]] = defaultdict(list)
    for relation in (*TAGS, "target_sizes"):
        for pid, code, name in _tags(relation, chunk, using):
            codes[pid][relation].add(code)
            if relation in TAGS:
                names[pid].append(name)
    rows = (
        BusinessProfile.objects.using(using)
        .filter(pk__in=chunk)
        .order_by("pk")
        .values_list(
            "pk",
            "partner_id",
            "created_at",
            "country",
            "description",
            "keywords",
            "languages",
            "only_target_sizes",
            "capacity",
        )
    )
    return {
        pk: Facts(
            profile_id=pk,
            partner_id=partner_id,
            created_at=created_at,
            country=country,
            description=description,
            keywords=tuple(str(k) for k in keywords or []),
            languages=tuple(str(x) for x in languages or []),
            only_target_sizes=only_target_sizes,
            capacity=capacity,
            places=tuple(places.get(pk, ())),
            codes={relation: frozenset(found) for relation, found in codes[pk].items()},
            tag_names=tuple(names.get(pk, ())),
        )
        for pk, partner_id, created_at, country, description, keywords, languages, only_target_sizes, capacity in rows
    }


def _tags(relation: str, chunk: Sequence[int], using: str) -> Iterator[tuple[int, str, str]]:
    """(profile id, term code, term's English name) of one many-to-many relation, in a stable order."""
    through = getattr(BusinessProfile, relation).through
    term = getattr(BusinessProfile, relation).field.m2m_reverse_field_name()
    rows = (
        through.objects.using(using)
        .filter(businessprofile_id__in=chunk)
        .order_by("businessprofile_id", term)
        .values_list("businessprofile_id", term, f"{term}__name_en")
    )
    return iter(rows)
