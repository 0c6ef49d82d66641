"""The finder's query: criteria checked into a plan, the facet index's bitsets, then the page in SQL.

The results and facets: the rows the words (the full-text index's plain match, ids only) and the radius (a
lat/lon box on the places' index, then great-circle km) leave become a bitset over the facet index's rows
(finder.facet_index); each filter is the bitset of its value. The results are their AND; a facet's counts
are the popcounts of each value's bitset AND the rows passing the other filters (how many results choosing
it would leave). No row is read for them.

The page: one statement scores the profiles that the words, the radius and every filter leave, with
matching.ranking's sum written as SQL over the stored columns (the prior, tag hits, proximity, size fit),
orders by score, then relevance (bm25 / ts_rank), then profile id, and returns just the page's ids; when
the results are FEW, their ids (from the bitset) are given to it, so it reads them by primary key instead
of scanning. Only the page's rows are read in full and scored again in Python, to explain each one ("why
here"). bench/finder.py measures it.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.db import connection
from django.utils.translation import get_language, get_language_info, ngettext
from django.utils.translation import gettext as _

from finder import backends, facet_index, text
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

EVERY_SIZE = " * "
# At most this many results: the page query reads them by id (from the facet index) rather than by the filters.
FEW = 20_000
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


def _source(plan: Plan, only: list[int] | None = None) -> tuple[str, list[Any], str]:
    """FROM and WHERE of the profiles the words, the radius and the exclusions leave (filters aside), their
    parameters, and the text relevance's expression. Columns: s.* of the search table, near.km with a city.
    `only`: these ids and no others (the places and the table are read by them)."""
    backend = backends.for_connection()
    sql, params = f"FROM {SearchEntry._meta.db_table} s", []
    where, relevance = ["1 = 1"], "0"
    if plan.stems:
        join_sql, match_where, relevance, params = backend.ranked_join(plan.stems, "s")
        sql += join_sql
        where.append(match_where)
    if plan.origin is not None and plan.radius_km is not None:
        # Each profile's nearest place within the radius (the box lets the lat/lon index do the narrowing).
        km_sql, km_params = backend.km(plan.origin.lat, plan.origin.lon)
        box_sql, box_params = _box(plan.origin, plan.radius_km)
        if only is not None:
            box_sql += f" AND p.entry_id IN ({_listed(only)})"
        sql += (
            f" JOIN (SELECT p.entry_id, MIN(p.km) AS km FROM (SELECT p.entry_id, {km_sql} AS km"
            f" FROM {SearchPlace._meta.db_table} p WHERE {box_sql}) p WHERE p.km <= %s GROUP BY p.entry_id) near"
            " ON near.entry_id = s.profile_id"
        )
        params += km_params + box_params + [plan.radius_km]
    if only is not None:
        where.append(f"s.profile_id IN ({_listed(only)})")
    if plan.criteria.exclude_profiles:
        excluded = sorted(plan.criteria.exclude_profiles)
        where.append(f"s.profile_id NOT IN ({', '.join(['%s'] * len(excluded))})")
        params += excluded
    return f"{sql} WHERE {' AND '.join(where)}", params, relevance


def _listed(ids: list[int]) -> str:
    """Our own ids (from the facet index) written into the SQL: no parameter limit, nothing to bind."""
    return ", ".join(str(int(pid)) for pid in ids) or "NULL"


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


def page_ids(plan: Plan, only: list[int] | None = None) -> list[int]:
    """The ids of the page's profiles, best first: ordered and cut in SQL. Ties: the stronger text match,
    then the older profile (a total order, so that pages continue each other). `only`: the ids known (from
    the facet index) to pass every filter, when they are few: the rows are then found by primary key."""
    backend = backends.for_connection()
    score_sql, score_params = _score(plan)
    source_sql, params, relevance = _source(plan, only=only)
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


def matching_rows(plan: Plan, index: facet_index.FacetIndex) -> int:
    """The facet index's rows that the words, the radius and the exclusions leave (the filters aside): the
    full-text index's ids (its plain match, unranked) and the places within the radius, as bitsets."""
    backend = backends.for_connection()
    rows = index.everything
    sql, params = "", []
    if plan.stems:
        match_sql, params = backend.match(plan.stems, ranked=False)
        sql = f"SELECT profile_id FROM ({match_sql}) m"
    if plan.origin is not None and plan.radius_km is not None:
        # Within the radius, and (an IN list, read once) having the words: few rows come back.
        km_sql, km_params = backend.km(plan.origin.lat, plan.origin.lon)
        box_sql, box_params = _box(plan.origin, plan.radius_km)
        words = f" AND p.entry_id IN ({sql})" if sql else ""
        sql = f"SELECT DISTINCT p.entry_id FROM {SearchPlace._meta.db_table} p WHERE {box_sql} AND {km_sql} <= %s"
        sql, params = sql + words, box_params + km_params + [plan.radius_km] + params
    if sql:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows &= index.rows(map(itemgetter(0), cursor.fetchall()))
    if plan.criteria.exclude_profiles:
        rows &= ~index.rows(plan.criteria.exclude_profiles)
    return rows


def tally(plan: Plan, index: facet_index.FacetIndex, rows: int) -> tuple[int, dict[str, Counter[str]]]:
    """The results (the rows passing every filter, a bitset), and each facet's counts: how many of the
    rows passing the other filters have each of its values."""
    passing = {facet: index.passing(facet, code) for facet, code in plan.filters.items()}
    results = rows
    for bits in passing.values():
        results &= bits
    counts = {}
    for facet in FACETS:
        kept = rows
        for other, bits in passing.items():
            if other != facet:
                kept &= bits
        counted: Counter[str] = Counter()
        for code, bits in sorted(index.bits[facet].items()):
            if found := (kept & bits).bit_count():
                counted[code] = found
        if facet == "size" and (every := (kept & index.every_size).bit_count()):
            for code in terms().get("size", {}):  # shown for every size: counts in each
                counted[code] += every
        counts[facet] = counted
    return results, counts


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
    index = facet_index.current()
    results, counts = tally(plan, index, matching_rows(plan, index))
    total = results.bit_count()
    if plan.offset >= total:
        ids = []
    elif total <= FEW and (plan.filters or plan.origin or plan.criteria.exclude_profiles):
        ids = page_ids(plan, only=index.profile_ids(results))
    else:
        ids = page_ids(plan)
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
