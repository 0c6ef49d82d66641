"""SQLite: an FTS5 table over the stemmed text, rowid = profile id; bm25 weighs tags over the description."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

from matching import ranking

TABLE = "finder_search_fts"
# bm25 weights of the columns (tags, description): a tag hit counts three times a description hit.
WEIGHTS = (3.0, 1.0)
GREATEST = "MAX"
KM_FUNCTION = "finder_km"


def create(schema_editor: Any) -> None:
    # unicode61 splits on what finder.text splits on; the text is already lower-case and stemmed.
    schema_editor.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(tags, description, tokenize='unicode61')"
    )


def drop(schema_editor: Any) -> None:
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def write(cursor: Any, rows: Sequence[tuple[int, str, str]]) -> None:
    delete(cursor, [row[0] for row in rows])
    cursor.executemany(f"INSERT INTO {TABLE} (rowid, tags, description) VALUES (%s, %s, %s)", list(rows))


def delete(cursor: Any, profile_ids: Iterable[int]) -> None:
    ids = list(profile_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        cursor.execute(f"DELETE FROM {TABLE} WHERE rowid IN ({', '.join(['%s'] * len(chunk))})", chunk)


def clear(cursor: Any) -> None:
    cursor.execute(f"DELETE FROM {TABLE}")


def _expression(stems: Sequence[str]) -> str:
    # Every stem quoted: FTS5 query syntax in a user's words (AND, NEAR, quotes, *) is never interpreted.
    return " AND ".join('"' + s.replace('"', '""') + '"' for s in stems)


def match(stems: Sequence[str]) -> tuple[str, list[Any]]:
    """A subquery of the ids (profile_id) of the profiles having every stem."""
    return f"SELECT rowid AS profile_id FROM {TABLE} WHERE {TABLE} MATCH %s", [_expression(stems)]


def join(stems: Sequence[str], table: str) -> tuple[str, str, list[Any]]:
    """How the search table `table` joins the match: (JOIN clause, WHERE condition, params)."""
    sql, params = match(stems)
    return f" JOIN ({sql}) m ON m.profile_id = {table}.profile_id", "1 = 1", params


def bare(stems: Sequence[str], limit: int) -> tuple[str, list[Any]]:
    weights = ", ".join(str(w) for w in WEIGHTS)
    return (
        f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s ORDER BY bm25({TABLE}, {weights}) LIMIT %s",
        [_expression(stems), limit],
    )


def contains(haystack: str) -> str:
    """SQL true when the parameter (a ' code ' with its spaces) is part of `haystack`; case and wildcards exact."""
    return f"instr({haystack}, %s) > 0"


def km(lat: float, lon: float) -> tuple[str, list[Any]]:
    """Great-circle km from (lat, lon) to the place p: matching.ranking's own function, so SQL and Python agree
    to the last bit (Django would register SQLite's trigonometry as Python functions anyway)."""
    connection.ensure_connection()
    # Registered on each call (microseconds): the raw connection may have been replaced since the last one.
    connection.connection.create_function(KM_FUNCTION, 4, ranking.haversine_km, deterministic=True)
    return f"{KM_FUNCTION}(%s, %s, p.lat, p.lon)", [lat, lon]
