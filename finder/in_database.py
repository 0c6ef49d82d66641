"""A search run by the database, on its full-text index (FTS5 / a GIN-indexed tsvector) and the places'
(lat, lon) index: what a process serves while it builds its first snapshot (finder.freshness).

The rows the words and the radius leave come from the database (ids only); their filter columns are read
into a snapshot of those rows alone, whose bitsets count the facets as the whole snapshot's do. The page is
one statement that scores the results with matching.ranking's sum written as SQL over the stored columns
(the prior, tag hits, proximity, size fit), the same floats added in the same order as finder.in_memory,
and orders them the same way: score, then the fewer tag stems, then the profile id. When the results are
FEW, their ids are given to it, so that it reads them by primary key instead of scanning. A partner shows
once: a window keeps its nearest profile to the searched place, or its best-ranked one.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from django.db import connection

from finder import backends, snapshot
from finder.models import SearchEntry, SearchPlace
from finder.plans import Plan
from finder.search import CODE_COLUMNS, box
from matching import ranking

EVERY_SIZE = " * "
# At most this many results: the page query reads them by id rather than by the filters.
FEW = 20_000
Sql = tuple[str, list[Any]]


def matching_ids(plan: Plan) -> list[int] | None:
    """The profile ids that the words and the radius leave, ascending (None: every row), exclusions aside."""
    backend = backends.for_connection()
    sql, params = "", []
    if plan.stems:
        match_sql, params = backend.match(plan.stems)
        sql = f"SELECT profile_id FROM ({match_sql}) m"
    if plan.origin is not None and plan.radius_km is not None:
        # Within the radius, and (an IN list, read once) having the words: few rows come back.
        km_sql, km_params = backend.km(plan.origin.lat, plan.origin.lon)
        box_sql, box_params = _box(plan)
        words = f" AND p.entry_id IN ({sql})" if sql else ""
        sql = f"SELECT DISTINCT p.entry_id FROM {SearchPlace._meta.db_table} p WHERE {box_sql} AND {km_sql} <= %s"
        sql, params = sql + words, box_params + km_params + [plan.radius_km] + params
    if not sql:
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(map(itemgetter(0), cursor.fetchall()))


def candidates(plan: Plan) -> tuple[snapshot.Snapshot, int]:
    """A snapshot of the rows the words and the radius leave (their filter columns only), and its rows that
    the exclusions leave, as a bitset."""
    found = snapshot.build(0, only=matching_ids(plan), filters_only=True)
    rows = found.everything
    if plan.criteria.exclude_profiles:
        rows &= ~found.rows(plan.criteria.exclude_profiles)
    return found, rows


def _box(plan: Plan) -> Sql:
    assert plan.origin is not None and plan.radius_km is not None
    south, north, longitudes = box(plan.origin.lat, plan.origin.lon, plan.radius_km)
    sql, params = "p.lat BETWEEN %s AND %s", [south, north]
    if longitudes is not None:
        sql += " AND p.lon BETWEEN %s AND %s"
        params += list(longitudes)
    return sql, params


def _source(plan: Plan, only: list[int] | None = None) -> Sql:
    """FROM and WHERE of the profiles the words, the radius and the exclusions leave (filters aside), and their
    parameters. Columns: s.* of the search table, near.km with a city. `only`: these ids and no others."""
    backend = backends.for_connection()
    sql, params = f"FROM {SearchEntry._meta.db_table} s", []
    where = ["1 = 1"]
    if plan.stems:
        join_sql, match_where, params = backend.join(plan.stems, "s")
        sql += join_sql
        where.append(match_where)
    if plan.origin is not None and plan.radius_km is not None:
        # Each profile's nearest place within the radius (the box lets the lat/lon index do the narrowing).
        km_sql, km_params = backend.km(plan.origin.lat, plan.origin.lon)
        box_sql, box_params = _box(plan)
        if only is not None:
            box_sql += f" AND p.entry_id IN ({snapshot.listed(only)})"
        sql += (
            f" JOIN (SELECT p.entry_id, MIN(p.km) AS km FROM (SELECT p.entry_id, {km_sql} AS km"
            f" FROM {SearchPlace._meta.db_table} p WHERE {box_sql}) p WHERE p.km <= %s GROUP BY p.entry_id) near"
            " ON near.entry_id = s.profile_id"
        )
        params += km_params + box_params + [plan.radius_km]
    if only is not None:
        where.append(f"s.profile_id IN ({snapshot.listed(only)})")
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
    """matching.ranking.score as SQL over the stored columns, the same terms added in the same order as
    finder.in_memory (the prior's two signals, the words' points, proximity, size fit): the same floats."""
    backend = backends.for_connection()
    weights = ranking.active_weights(plan.query)
    sql = "%s * s.responsiveness + %s * s.outcomes"
    params: list[Any] = [weights["responsiveness"], weights["outcomes"]]
    if plan.stems:
        # The words' points by the number found in the tags and keywords, a CASE on it: counted once per row.
        padded = backend.contains("(' ' || s.tags_text || ' ')")
        tag_hits = " + ".join(f"CASE WHEN {padded} THEN 1 ELSE 0 END" for _ in plan.stems)
        params += [f" {s} " for s in plan.stems]
        points = ranking.word_points(len(plan.stems), weights)
        sql += f" + CASE {tag_hits} " + " ".join(f"WHEN {hits} THEN %s" for hits in range(len(points) - 1))
        sql += " ELSE %s END"
        params += points
    if "proximity" in weights and plan.radius_km:
        sql += f" + %s * {backend.GREATEST}(0.0, 1.0 - near.km / %s)"
        params += [weights["proximity"], float(plan.radius_km)]
    if "size_fit" in weights:
        fit = backend.contains("s.target_sizes")
        sql += f" + CASE WHEN s.target_sizes = ' ' THEN %s WHEN {fit} THEN %s ELSE 0.0 END"
        params += [weights["size_fit"] * ranking.SIZE_UNKNOWN, f" {plan.query.size} ", weights["size_fit"] * 1.0]
    return sql, params


def page_ids(plan: Plan, only: list[int] | None = None) -> list[int]:
    """The ids of the page's profiles, best first: ordered and cut in SQL. `only`: the ids known to pass every
    filter, when they are few: the rows are then found by primary key."""
    score_sql, score_params = _score(plan)
    source_sql, params = _source(plan, only=only)
    km = "near.km" if plan.origin is not None and plan.radius_km is not None else "0.0"
    sql = f"SELECT s.profile_id, s.partner_id, s.tag_terms, {km} AS km, {score_sql} AS score {source_sql}"
    params = score_params + params
    for facet, code in plan.filters.items():
        fails_sql, fails_params = _fails(facet, code)
        sql += f" AND NOT ({fails_sql})"
        params += fails_params
    # A partner shows once: its nearest profile to the searched place, else its best-ranked one (as in_memory).
    sql = (
        "SELECT profile_id, score, tag_terms, ROW_NUMBER() OVER (PARTITION BY partner_id"
        f" ORDER BY km, score DESC, tag_terms, profile_id) AS nth FROM ({sql}) found"
    )
    sql = f"SELECT profile_id FROM ({sql}) ranked WHERE nth = 1"
    sql += " ORDER BY score DESC, tag_terms, profile_id LIMIT %s OFFSET %s"
    params += [plan.limit, plan.offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
