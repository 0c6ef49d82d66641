"""The finder's query: criteria checked into a plan, then two SQL statements and the page's rows.

The page: one statement scores every profile that the words (full-text index), the radius (a lat/lon box on
the places' index, then great-circle km) and every filter leave, with matching.ranking's sum written as SQL
over the stored columns (the prior, tag hits, proximity, size fit), orders by score, then relevance (bm25 /
ts_rank), then profile id, and returns just the page's ids. Only those rows are read in full and scored
again in Python, to explain each one ("why here").

The facets: one statement reads the codes of the rows that pass every filter or fail exactly one, and
Python counts them in C (joined, then split): a row passing every filter is a result and counts in every
facet; one that fails a single filter counts only in that filter's facet (how many results its values
would leave, the other filters kept). bench/finder.py measures it.
"""

from __future__ import annotations

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


# --- The SQL ---------------------------------------------------------------------------------------

# Columns of a facet row, as facet_rows() reads them: the filter it fails ('' for none), then the codes.
MISSED, COUNTRY, INDUSTRIES, PRODUCTS, SERVICES, LANGUAGES, SIZES = range(7)
COLUMN = {"country": COUNTRY, "industry": INDUSTRIES, "product": PRODUCTS, "service": SERVICES}
COLUMN |= {"language": LANGUAGES, "size": SIZES}
EVERY_SIZE = " * "
Record = tuple[Any, ...]
Sql = tuple[str, list[Any]]


def _box(origin: cities.City, radius_km: float) -> Sql:
    """A lat/lon box around the origin holding the whole circle (the index narrows on lat first)."""
    dlat = radius_km / KM_PER_DEGREE
    sql, params = "p.lat BETWEEN %s AND %s", [origin.lat - dlat, origin.lat + dlat]
    if abs(origin.lat) + dlat < 89.0:
        dlon = radius_km / (KM_PER_DEGREE * math.cos(math.radians(abs(origin.lat) + dlat)))
        if origin.lon - dlon >= -180.0 and origin.lon + dlon <= 180.0:  # else: across the antimeridian, lat only
            sql += " AND p.lon BETWEEN %s AND %s"
            params += [origin.lon - dlon, origin.lon + dlon]
    return sql, params


def _source(plan: Plan, ranked: bool) -> Sql:
    """FROM and WHERE of the profiles the words, the radius and the exclusions leave (filters aside).
    Columns: s.* of the search table, m.relevance with words, near.km with a city."""
    backend = backends.for_connection()
    sql, params = f"FROM {SearchEntry._meta.db_table} s", []
    where = ["1 = 1"]
    if plan.stems and ranked:
        match_sql, match_params = backend.match(plan.stems, ranked=True)
        sql += f" JOIN ({match_sql}) m ON m.profile_id = s.profile_id"
        params += match_params
    elif plan.stems:  # an IN list is read once, whichever side the planner starts from (not once per place)
        match_sql, match_params = backend.match(plan.stems, ranked=False)
        where.append(f"s.profile_id IN (SELECT profile_id FROM ({match_sql}) m)")
    if plan.origin is not None and plan.radius_km is not None:
        # Each profile's nearest place within the radius (the box lets the lat/lon index do the narrowing).
        km_sql, km_params = backend.km(plan.origin.lat, plan.origin.lon)
        box_sql, box_params = _box(plan.origin, plan.radius_km)
        sql += (
            f" JOIN (SELECT p.entry_id, MIN(p.km) AS km FROM (SELECT p.entry_id, {km_sql} AS km"
            f" FROM {SearchPlace._meta.db_table} p WHERE {box_sql}) p WHERE p.km <= %s GROUP BY p.entry_id) near"
            " ON near.entry_id = s.profile_id"
        )
        params += km_params + box_params + [plan.radius_km]
    if plan.stems and not ranked:
        params += match_params
    if plan.criteria.exclude_profiles:
        excluded = sorted(plan.criteria.exclude_profiles)
        where.append(f"s.profile_id NOT IN ({', '.join(['%s'] * len(excluded))})")
        params += excluded
    return f"{sql} WHERE {' AND '.join(where)}", params


def _fails(facet: str, code: str) -> Sql:
    """SQL true when a row fails the filter (codes are stored ' a b ', so ' code ' matches a whole one)."""
    backend = backends.for_connection()
    if facet == "country":
        return "s.country <> %s", [code]
    if facet == "size":  # " * ": shown for every size
        return f"NOT (s.sizes = '{EVERY_SIZE}' OR {backend.contains('s.sizes')})", [f" {code} "]
    return f"NOT {backend.contains(f's.{CODE_COLUMNS[facet]}')}", [f" {code} "]


def _score(plan: Plan) -> Sql:
    """matching.ranking.score as SQL over the stored columns, the same terms added in the same order (the
    prior's two signals, tags, text, proximity, size fit), so that SQL and Python give the same floats."""
    backend = backends.for_connection()
    weights = ranking.active_weights(plan.query)
    sql = "%s * s.responsiveness + %s * s.outcomes"
    params: list[Any] = [weights["responsiveness"], weights["outcomes"]]
    if plan.stems:
        # Words found in the tags and keywords; the others (every word matched) are in the description.
        # Words found in the tags and keywords; the others (every word matched) are in the description. Their
        # points by the number of tag hits, a CASE on it, so that the hits are counted once per row.
        padded = backend.contains("(' ' || s.tags_text || ' ')")
        tag_hits = " + ".join(f"CASE WHEN {padded} THEN 1 ELSE 0 END" for _ in plan.stems)
        params += [f" {s} " for s in plan.stems]
        words = len(plan.stems)
        tags, text_ = weights["tags"], weights["text"]
        points = [tags * (hits / words) + text_ * ((words - hits) / words) for hits in range(words)]
        sql += f" + CASE {tag_hits} " + " ".join(f"WHEN {hits} THEN %s" for hits in range(words)) + " ELSE %s END"
        params += [*points, tags * 1.0 + text_ * 0.0]
    if "proximity" in weights and plan.radius_km:
        sql += f" + %s * {backend.GREATEST}(0.0, 1.0 - near.km / %s)"
        params += [weights["proximity"], float(plan.radius_km)]
    if "size_fit" in weights:
        fit = backend.contains("s.target_sizes")
        sql += f" + CASE WHEN s.target_sizes = ' ' THEN %s WHEN {fit} THEN %s ELSE 0.0 END"
        params += [weights["size_fit"] * ranking.SIZE_UNKNOWN, f" {plan.query.size} ", weights["size_fit"] * 1.0]
    return sql, params


def page_ids(plan: Plan) -> list[int]:
    """The ids of the page's profiles, best first: ordered and cut in SQL. Ties: the stronger text match,
    then the older profile (a total order, so that pages continue each other)."""
    backend = backends.for_connection()
    score_sql, score_params = _score(plan)
    source_sql, params = _source(plan, ranked=True)
    relevance = "m.relevance" if plan.stems else "0"
    sql = f"SELECT s.profile_id, {backend.rounded(score_sql)} AS score, {relevance} AS relevance {source_sql}"
    params = score_params + params
    for facet, code in plan.filters.items():
        fails_sql, fails_params = _fails(facet, code)
        sql += f" AND NOT ({fails_sql})"
        params += fails_params
    sql += " ORDER BY score DESC, relevance DESC, s.profile_id LIMIT %s OFFSET %s"
    params += [plan.limit, plan.offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def facet_rows(plan: Plan) -> list[Record]:
    """The rows that pass every filter ('' first) or fail exactly one (its name first), with their codes:
    a row failing one filter counts only in that filter's facet (what choosing another value would leave)."""
    source_sql, params = _source(plan, ranked=False)
    fails = [(facet, *_fails(facet, code)) for facet, code in plan.filters.items()]
    missed_sql, missed_params = "''", []
    if fails:
        missed_sql = "CASE " + " ".join(f"WHEN {sql} THEN '{facet}'" for facet, sql, _ in fails) + " ELSE '' END"
        missed_params = [p for _, _, ps in fails for p in ps]
    columns = "s.country, s.industries, s.products, s.services, s.languages, s.sizes"
    sql = f"SELECT {missed_sql}, {columns} {source_sql}"
    params = missed_params + params
    if len(fails) > 1:  # with one filter, every row counts in its facet
        sql += " AND (" + " + ".join(f"CASE WHEN {fail} THEN 1 ELSE 0 END" for _, fail, _ in fails) + ") <= 1"
        params += [p for _, _, ps in fails for p in ps]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- Facets, the page ------------------------------------------------------------------------------


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


def tally(plan: Plan, rows: list[Record]) -> tuple[int, dict[str, Counter[str]]]:
    """How many rows pass every filter, and each facet's counts with the other filters kept: the passing
    rows, and those failing only it."""
    passing = [r for r in rows if not r[MISSED]] if plan.filters else rows
    failing: dict[str, list[Record]] = {}
    if len(passing) < len(rows):
        for record in rows:
            if record[MISSED]:
                failing.setdefault(record[MISSED], []).append(record)
    counts = {}
    for facet in FACETS:
        counts[facet] = _count(facet, passing)
        if facet in failing:
            counts[facet].update(_count(facet, failing[facet]))
    return len(passing), counts


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
    ids = page_ids(plan)
    total, counts = tally(plan, facet_rows(plan))
    more = plan.offset + plan.limit < total
    next_cursor = encode_cursor(plan.offset + plan.limit, fingerprint(plan.criteria)) if more else None
    return Results(
        hits=hits(plan, ids),
        facets=facet_values(plan, counts),
        total=total,
        next_cursor=next_cursor,
        criteria=plan.criteria,
    )


def _nearest(plan: Plan, places: list[SearchPlace]) -> tuple[SearchPlace | None, float | None]:
    """The place nearest the searched city within the radius (the first one without a city), and its km."""
    if plan.origin is None or plan.radius_km is None:
        return (places[0] if places else None), None
    best, distance = None, math.inf
    for place in places:
        km = ranking.haversine_km(plan.origin.lat, plan.origin.lon, place.lat, place.lon)
        if km <= plan.radius_km and km < distance:
            best, distance = place, km
    return (best or (places[0] if places else None)), (distance if best else None)


def _candidate(plan: Plan, entry: SearchEntry, distance: float | None) -> ranking.Candidate:
    tags = f" {entry.tags_text} "
    tag_hits = sum(1 for s in plan.stems if f" {s} " in tags)
    return ranking.Candidate(
        tag_hits=tag_hits,
        text_hits=len(plan.stems) - tag_hits,  # every word matched somewhere: the others are in the description
        distance_km=distance,
        target_sizes=frozenset(entry.target_sizes.split()),
        responsiveness=entry.responsiveness,
        outcomes=entry.outcomes,
    )


def hits(plan: Plan, ids: list[int]) -> list[Hit]:
    """The page's profiles in full, each with its score explained (the only rows ranking runs on in Python)."""
    entries = {e.profile_id: e for e in SearchEntry.objects.filter(profile_id__in=ids)}
    places: dict[int, list[SearchPlace]] = {}
    for place in SearchPlace.objects.filter(entry_id__in=ids).order_by("id"):
        places.setdefault(place.entry_id, []).append(place)
    result = []
    for pid in ids:
        entry = entries[pid]
        nearest, distance = _nearest(plan, places.get(pid, []))
        candidate = _candidate(plan, entry, distance)
        codes = [(facet, code) for facet in ("industry", "product", "service") for code in _codes(entry, facet)]
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


def _codes(entry: SearchEntry, facet: str) -> list[str]:
    value: str = getattr(entry, CODE_COLUMNS[facet])
    return value.split()


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
