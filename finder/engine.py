"""The finder's query: criteria checked into a plan, one SQL query for the candidates, facets and ranking.

One statement reads the candidates from the search table: those matching the words (full-text index),
near the city (a lat/lon box on the places' index), and failing at most one of the filters. A row that
passes every filter is a result and counts in every facet; one that fails a single filter counts only in
that filter's facet (how many results its values would leave, the other filters kept). The results
are scored in Python (matching.ranking, from values the row already holds) and only the page's rows
are read in full. bench/finder.py measures it.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils.translation import get_language, get_language_info, ngettext
from django.utils.translation import gettext as _

from finder import backends, text
from finder.models import SearchEntry, SearchPlace
from finder.search import (
    CODE_COLUMNS,
    DEFAULT_RADIUS_KM,
    FACETS,
    KM_PER_DEGREE,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    MAX_RADIUS_KM,
    Contribution,
    Criteria,
    FacetValue,
    Hit,
    InvalidCriteria,
    Results,
    decode_cursor,
    encode_cursor,
    fingerprint,
)
from matching import ranking
from partners import cities

# Taxonomy labels, read once a minute (the lists change in the admin, rarely).
TERMS_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class Plan:
    criteria: Criteria
    stems: list[str]
    filters: dict[str, str]  # facet -> the chosen code
    origin: cities.City | None
    radius_km: float | None
    offset: int
    limit: int
    query: ranking.Query = field(default_factory=ranking.Query)


# --- Reference lists -------------------------------------------------------------------------------

_terms_cache: dict[str, Any] = {"at": -math.inf, "terms": {}}


def terms(refresh: bool = False) -> dict[str, dict[str, tuple[str, str]]]:
    """facet -> code -> (English label, Russian label), in the lists' order."""
    if refresh or time.monotonic() - _terms_cache["at"] > TERMS_TTL_SECONDS:
        from taxonomy.models import CompanySize, Industry, Product, ServiceType

        models: dict[str, Any] = {"size": CompanySize, "industry": Industry, "product": Product, "service": ServiceType}
        _terms_cache["terms"] = {
            facet: {t.code: (t.name_en, t.name_ru) for t in model.objects.all()} for facet, model in models.items()
        }
        _terms_cache["at"] = time.monotonic()
    found: dict[str, dict[str, tuple[str, str]]] = _terms_cache["terms"]
    return found


def label(facet: str, code: str) -> str:
    if facet == "country":
        return cities.country_name(code)
    if facet == "language":
        try:
            return str(get_language_info(code)["name_translated"])
        except KeyError:
            return code
    names = terms().get(facet, {}).get(code)
    if names is None:
        return code
    return names[1] if (get_language() or "en")[:2] == "ru" else names[0]


# --- Checking the criteria -------------------------------------------------------------------------


def _find_city(country: str, name: str) -> cities.City | None:
    if country:
        return cities.lookup(country, name)
    found = [c for code, _n in cities.countries() if (c := cities.lookup(code, name)) is not None]
    return max(found, key=lambda c: c.population, default=None)


def plan(criteria: Criteria, cursor: str | None, limit: int) -> Plan:
    """The criteria checked and resolved; InvalidCriteria names every bad field."""
    errors: dict[str, str] = {}
    q = criteria.q.strip()
    if len(q) > MAX_QUERY_LENGTH:
        errors["q"] = f"Keep the search under {MAX_QUERY_LENGTH} characters."
    country = criteria.country.strip().upper()
    if country and (len(country) != 2 or not country.isascii() or not country.isalpha()):
        errors["country"] = "Use the two-letter country code, such as DE or RU."
    language = criteria.language.strip().lower()
    if language and (len(language) != 2 or not language.isascii() or not language.isalpha()):
        errors["language"] = "Use a two-letter language code, such as en or ru."
    filters = {"country": country, "language": language}
    for facet in ("size", "industry", "product", "service"):
        code = str(getattr(criteria, facet)).strip()
        if code and code not in terms().get(facet, {}) and code not in terms(refresh=True).get(facet, {}):
            errors[facet] = f"Unknown {facet}: {code}."
        filters[facet] = code
    radius = criteria.radius_km
    origin = None
    if radius is not None and (not math.isfinite(radius) or radius < 0 or radius > MAX_RADIUS_KM):
        errors["radius_km"] = f"The radius is a number of kilometres from 0 to {MAX_RADIUS_KM:g}."
    if criteria.city.strip():
        origin = _find_city(country if "country" not in errors else "", criteria.city)
        if origin is None:
            errors["city"] = "We do not know this city. Choose one from the list."
    elif radius is not None and "radius_km" not in errors:
        errors["radius_km"] = "Choose a city to search around."
    if not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = f"Ask for 1 to {MAX_LIMIT} results at a time."
    if errors:
        raise InvalidCriteria(errors)
    offset = decode_cursor(cursor, fingerprint(criteria)) if cursor else 0
    stems = text.query_stems(q)
    if origin is not None and radius is None:
        radius = DEFAULT_RADIUS_KM
    query = ranking.Query(words=len(stems), radius_km=radius if origin else None, size=filters["size"])
    active = {facet: code for facet, code in filters.items() if code}
    return Plan(criteria, stems, active, origin, radius if origin else None, offset, limit, query)


# --- The candidates -------------------------------------------------------------------------------


# Columns of a candidate row, as candidates() reads them.
ID, COUNTRY, INDUSTRIES, PRODUCTS, SERVICES, LANGUAGES, SIZES, TARGET_SIZES, RESPONSIVENESS, OUTCOMES = range(10)
RELEVANCE, TAGS_TEXT, LAT, LON, LOCATION = range(10, 15)
COLUMN = {"country": COUNTRY, "industry": INDUSTRIES, "product": PRODUCTS, "service": SERVICES}
COLUMN |= {"language": LANGUAGES, "size": SIZES}
EVERY_SIZE = " * "
Record = tuple[Any, ...]


@dataclass
class Found:
    """The rows that pass every filter, those that fail one (by filter), and where each place is."""

    passing: list[Record]
    failing: dict[str, list[Record]]
    distance: dict[int, float]  # profile id -> km to the searched city
    location: dict[int, int]  # profile id -> the nearest location's id


def _box(origin: cities.City, radius_km: float) -> tuple[str, list[Any]]:
    """A lat/lon box around the origin holding the whole circle (the index narrows on lat first)."""
    dlat = radius_km / KM_PER_DEGREE
    sql, params = "p.lat BETWEEN %s AND %s", [origin.lat - dlat, origin.lat + dlat]
    if abs(origin.lat) + dlat < 89.0:
        dlon = radius_km / (KM_PER_DEGREE * math.cos(math.radians(abs(origin.lat) + dlat)))
        if origin.lon - dlon >= -180.0 and origin.lon + dlon <= 180.0:  # else: across the antimeridian, lat only
            sql += " AND p.lon BETWEEN %s AND %s"
            params += [origin.lon - dlon, origin.lon + dlon]
    return sql, params


def _filter_misses(filters: dict[str, str]) -> tuple[str, list[Any]]:
    """SQL counting the filters a row fails (a superset test; Python decides exactly)."""
    parts, params = [], []
    for facet, code in filters.items():
        if facet == "country":
            parts.append("CASE WHEN s.country = %s THEN 0 ELSE 1 END")
            params.append(code)
        elif facet == "size":
            parts.append("CASE WHEN s.sizes = ' * ' OR s.sizes LIKE %s THEN 0 ELSE 1 END")
            params.append(f"% {code} %")
        else:
            parts.append(f"CASE WHEN s.{CODE_COLUMNS[facet]} LIKE %s THEN 0 ELSE 1 END")
            params.append(f"% {code} %")
    return " + ".join(parts), params


def candidates(plan: Plan) -> Found:
    """The rows that pass every filter or fail exactly one, with what ranking and facets need."""
    columns = "s.profile_id, s.country, s.industries, s.products, s.services, s.languages, s.sizes, "
    columns += "s.target_sizes, s.responsiveness, s.outcomes"
    joins, where, params = [], [], []
    if plan.stems:
        match_sql, match_params = backends.for_connection().match(plan.stems)
        joins.append(f"JOIN ({match_sql}) m ON m.profile_id = s.profile_id")
        params += match_params
        columns += ", m.relevance, s.tags_text"
    else:
        columns += ", 0, ''"
    if plan.origin is not None and plan.radius_km is not None:
        box_sql, box_params = _box(plan.origin, plan.radius_km)
        joins.append(f"JOIN {SearchPlace._meta.db_table} p ON p.entry_id = s.profile_id AND {box_sql}")
        params += box_params
        columns += ", p.lat, p.lon, p.location_id"
    if plan.criteria.exclude_profiles:
        excluded = sorted(plan.criteria.exclude_profiles)
        where.append(f"s.profile_id NOT IN ({', '.join(['%s'] * len(excluded))})")
        params += excluded
    if len(plan.filters) > 1:  # with one filter, every row counts in its facet
        misses_sql, misses_params = _filter_misses(plan.filters)
        where.append(f"({misses_sql}) <= 1")
        params += misses_params
    sql = f"SELECT {columns} FROM {SearchEntry._meta.db_table} s {' '.join(joins)}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    return split(plan, fetched)


def _nearest(plan: Plan, fetched: list[Record]) -> tuple[list[Record], dict[int, float], dict[int, int]]:
    """One row per profile, with its place nearest the city if that is within the radius."""
    assert plan.origin is not None and plan.radius_km is not None
    lat, lon, radius = plan.origin.lat, plan.origin.lon, plan.radius_km
    rows: dict[int, Record] = {}
    distance: dict[int, float] = {}
    location: dict[int, int] = {}
    for record in fetched:
        km = ranking.haversine_km(lat, lon, record[LAT], record[LON])
        pid = record[ID]
        if km <= radius and km < distance.get(pid, math.inf):
            rows[pid], distance[pid], location[pid] = record, km, record[LOCATION]
    return list(rows.values()), distance, location


def split(plan: Plan, fetched: list[Record]) -> Found:
    distance: dict[int, float] = {}
    location: dict[int, int] = {}
    if plan.origin is not None:
        fetched, distance, location = _nearest(plan, fetched)
    checks = [
        (facet, COLUMN[facet], code if facet == "country" else f" {code} ") for facet, code in plan.filters.items()
    ]
    if not checks:
        return Found(fetched, {}, distance, location)
    passing: list[Record] = []
    failing: dict[str, list[Record]] = {facet: [] for facet in plan.filters}
    for record in fetched:
        missed = None
        for facet, column, wanted in checks:
            value = record[column]
            # Country is one code; the others are " a b " lists, sizes " * " for every size.
            ok = value == wanted if column == COUNTRY else wanted in value or (column == SIZES and value == EVERY_SIZE)
            if not ok:
                if missed is not None:
                    break
                missed = facet
        else:
            (passing if missed is None else failing[missed]).append(record)
    return Found(passing, failing, distance, location)


# --- Facets, ranking, the page ---------------------------------------------------------------------


def _count(facet: str, rows: list[Record]) -> Counter[str]:
    """How many of the rows have each value of the facet (codes are counted in C: joined, then split)."""
    column = COLUMN[facet]
    if facet == "country":
        return Counter(r[COUNTRY] for r in rows)
    if facet != "size":
        return Counter(" ".join(r[column] for r in rows).split())
    counted = Counter(" ".join(r[SIZES] for r in rows if r[SIZES] != EVERY_SIZE).split())
    every = sum(1 for r in rows if r[SIZES] == EVERY_SIZE)
    if every:
        for code in terms().get("size", {}):
            counted[code] += every
    return counted


def tally(plan: Plan, found: Found) -> dict[str, Counter[str]]:
    """Each facet's counts with the other filters kept: the passing rows, and those failing only it."""
    counts = {}
    for facet in FACETS:
        counts[facet] = _count(facet, found.passing)
        if facet in found.failing:
            counts[facet].update(_count(facet, found.failing[facet]))
    return counts


def _candidate(plan: Plan, record: Record, found: Found) -> ranking.Candidate:
    tag_hits = 0
    if plan.stems:
        tags = f" {record[TAGS_TEXT]} "
        tag_hits = sum(1 for s in plan.stems if f" {s} " in tags)
    return ranking.Candidate(
        tag_hits=tag_hits,
        text_hits=len(plan.stems) - tag_hits,  # every word matched somewhere: the others are in the description
        distance_km=found.distance.get(record[ID]),
        target_sizes=frozenset(record[TARGET_SIZES].split()),
        responsiveness=record[RESPONSIVENESS],
        outcomes=record[OUTCOMES],
    )


def top(plan: Plan, found: Found, count: int) -> list[Record]:
    """The best `count` passing rows, best first. Ties: the stronger text match, then the older profile
    (a total order, so that pages continue each other)."""
    weights = ranking.active_weights(plan.query)
    keys = []
    by_id = {}
    for record in found.passing:
        score = ranking.score(_candidate(plan, record, found), plan.query, weights)
        keys.append((-round(score, 9), -(record[RELEVANCE] or 0), record[ID]))
        by_id[record[ID]] = record
    return [by_id[key[2]] for key in heapq.nsmallest(count, keys)]


def facet_values(plan: Plan, counts: dict[str, Counter[str]]) -> dict[str, list[FacetValue]]:
    facets = {}
    for facet in FACETS:
        found = counts[facet]
        chosen = plan.filters.get(facet)
        if chosen and chosen not in found:
            found[chosen] = 0
        if facet == "size":
            known = list(terms().get("size", {}))
            codes = [c for c in known if c in found] + [c for c in found if c not in known]
        else:
            codes = sorted(found, key=lambda c: (-found[c], label(facet, c)))
        facets[facet] = [FacetValue(code, label(facet, code), found[code]) for code in codes]
    return facets


def run(plan: Plan, now: datetime) -> Results:
    found = candidates(plan)
    best = top(plan, found, plan.offset + plan.limit)
    page = best[plan.offset :]
    total = len(found.passing)
    more = plan.offset + plan.limit < total
    next_cursor = encode_cursor(plan.offset + plan.limit, fingerprint(plan.criteria)) if more else None
    return Results(
        hits=hits(plan, found, page),
        facets=facet_values(plan, tally(plan, found)),
        total=total,
        next_cursor=next_cursor,
        criteria=plan.criteria,
    )


def hits(plan: Plan, found: Found, page: list[Record]) -> list[Hit]:
    ids = [record[ID] for record in page]
    entries = {e.profile_id: e for e in SearchEntry.objects.filter(profile_id__in=ids)}
    places: dict[int, list[SearchPlace]] = {}
    for place in SearchPlace.objects.filter(entry_id__in=ids).order_by("id"):
        places.setdefault(place.entry_id, []).append(place)
    result = []
    for record in page:
        pid = record[ID]
        entry, own = entries[pid], places.get(pid, [])
        nearest = next((p for p in own if p.location_id == found.location.get(pid)), own[0] if own else None)
        candidate = _candidate(plan, record, found)
        codes = [
            (facet, code) for facet in ("industry", "product", "service") for code in record[COLUMN[facet]].split()
        ]
        distance = found.distance.get(pid)
        result.append(
            Hit(
                profile_id=pid,
                partner_name=entry.partner_name,
                location_id=nearest.location_id if nearest else None,
                city=nearest.city if nearest else entry.city,
                country=entry.country,
                distance_km=round(distance, 1) if distance is not None else None,
                tags=[label(facet, code) for facet, code in codes] + list(entry.keywords),
                score=round(ranking.score(candidate, plan.query), 4),
                why=why(plan, candidate, entry),
            )
        )
    return result


def why(plan: Plan, candidate: ranking.Candidate, entry: SearchEntry) -> list[Contribution]:
    return [
        Contribution(s.signal, _explanation(plan, s.signal, candidate, entry), s.value, s.weight, s.points)
        for s in ranking.explain(candidate, plan.query)
    ]


def _explanation(plan: Plan, signal: str, candidate: ranking.Candidate, entry: SearchEntry) -> str:
    words = plan.query.words
    if signal == "tags":
        return ngettext(
            "Its tags and keywords match %(hits)d of %(words)d search word",
            "Its tags and keywords match %(hits)d of %(words)d search words",
            words,
        ) % {"hits": candidate.tag_hits, "words": words}
    if signal == "text":
        return ngettext(
            "Its description matches %(hits)d of %(words)d search word",
            "Its description matches %(hits)d of %(words)d search words",
            words,
        ) % {"hits": candidate.text_hits, "words": words}
    if signal == "proximity":
        assert plan.origin is not None
        return _("%(km)s km from %(city)s") % {"km": f"{candidate.distance_km or 0:.0f}", "city": plan.origin.name}
    if signal == "size_fit":
        if not candidate.target_sizes:
            return _("Lists no target company sizes")
        if plan.query.size in candidate.target_sizes:
            return _("Targets companies of this size")
        return _("Targets companies of other sizes")
    if signal == "responsiveness":
        settled = entry.answered + entry.unanswered
        if not settled:
            return _("New to referrals: a fair, neutral start")
        return _("Answered %(timely)d of %(settled)d referrals within 24 hours; %(unanswered)d not answered") % {
            "timely": entry.answered_timely,
            "settled": settled,
            "unanswered": entry.unanswered,
        }
    if signal == "outcomes":
        closed = entry.won + entry.lost
        if not closed:
            return _("No closed deals yet: neutral")
        return _("Won %(won)d of %(closed)d closed deals") % {"won": entry.won, "closed": closed}
    return signal
