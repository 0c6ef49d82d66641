"""The finder's search service: criteria in, ranked profiles with facets and a cursor out.

Used by the public pages, the public API and the operator console alike.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime

from kernel.errors import InvalidInput


@dataclass(frozen=True)
class Criteria:
    q: str = ""  # free text, Russian or English
    country: str = ""  # ISO 3166-1 alpha-2
    city: str = ""  # a city name as partners.cities knows it
    radius_km: float | None = None  # with `city`: great-circle distance from that city
    size: str = ""  # taxonomy.CompanySize code; profiles that opted out of it never appear
    industry: str = ""  # taxonomy codes
    product: str = ""
    service: str = ""
    language: str = ""  # ISO 639-1
    exclude_profiles: frozenset[int] = frozenset()  # e.g. the partners a customer already asked


@dataclass(frozen=True)
class Contribution:
    """One signal of a result's score: its value in [0, 1], its weight, and the points it gave."""

    signal: str  # machine name: ranking.SIGNALS ("tags", "text", "meaning", "proximity", "size_fit", ..., "fit")
    label: str  # human sentence, translated
    value: float
    weight: float
    points: float


@dataclass(frozen=True)
class Hit:
    profile_id: int
    partner_name: str
    location_id: int | None  # the location nearest the searched city, or the first one
    city: str
    country: str
    distance_km: float | None
    tags: list[str]  # labels of the profile's industries, products, services and keywords
    score: float
    why: list[Contribution]


@dataclass(frozen=True)
class FacetValue:
    code: str
    label: str
    count: int  # how many results this value would leave, with the other filters kept


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]  # "country", "size", "industry", "product", "service", "language"
    total: int
    next_cursor: str | None = None
    criteria: Criteria = field(default_factory=Criteria)


class InvalidCriteria(InvalidInput):
    """Bad search input (unknown city, negative radius, bad cursor...), with field errors."""


# The radius when a city is given without one.
DEFAULT_RADIUS_KM = 50.0
MAX_RADIUS_KM = 20_040.0  # half the equator: every place on Earth
MAX_LIMIT = 100
MAX_QUERY_LENGTH = 200
FACETS = ("country", "size", "industry", "product", "service", "language")
# Facet -> the search table's column of space-separated codes (country is a plain column).
CODE_COLUMNS = {"size": "sizes", "industry": "industries", "product": "products", "service": "services"}
CODE_COLUMNS["language"] = "languages"
KM_PER_DEGREE = 111.32


def box(lat: float, lon: float, radius_km: float) -> tuple[float, float, tuple[float, float] | None]:
    """A latitude band and, unless it reaches a pole or crosses the antimeridian, a longitude range around
    (lat, lon) that hold the whole circle of the radius: what a radius search narrows on before it measures."""
    dlat = radius_km / KM_PER_DEGREE
    longitudes = None
    if abs(lat) + dlat < 89.0:
        dlon = radius_km / (KM_PER_DEGREE * math.cos(math.radians(abs(lat) + dlat)))
        if lon - dlon >= -180.0 and lon + dlon <= 180.0:
            longitudes = (lon - dlon, lon + dlon)
    return lat - dlat, lat + dlat, longitudes


def search(criteria: Criteria, now: datetime, cursor: str | None = None, limit: int = 20) -> Results:
    """The ranked profiles matching `criteria`, `limit` at a time from `cursor`."""
    from finder import engine, plans

    return engine.run(plans.plan(criteria, cursor, limit), now)


def encode_cursor(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str) -> int:
    """The offset a cursor of this search points at; InvalidCriteria if it is not one of ours."""
    bad = InvalidCriteria({"cursor": "This cursor is not valid for this search. Start again without it."})
    try:
        raw = base64.urlsafe_b64decode(cursor.strip() + "=" * (-len(cursor.strip()) % 4))
        data = json.loads(raw)
        offset = data["o"]
    except (ValueError, TypeError, KeyError):
        raise bad from None
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 < offset <= 1_000_000:
        raise bad
    if data.get("f") != fingerprint:
        raise bad
    return offset


def fingerprint(criteria: Criteria) -> str:
    """A short digest of what was searched: a cursor only continues the search it came from."""
    fields = [criteria.q, criteria.country, criteria.city, str(criteria.radius_km), criteria.size]
    fields += [criteria.industry, criteria.product, criteria.service, criteria.language]
    fields += [",".join(str(i) for i in sorted(criteria.exclude_profiles))]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:12]
