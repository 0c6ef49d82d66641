"""The finder's snapshot of its search table, kept in each process as Lucene keeps its segments in memory: all a
search reads, by row, so that a search reads no table (finder.engine ranks from it).

Rows are numbered in profile id order as built (rows read again since follow). For each row it holds:

- the filters: for each filter value a bitset over the rows (a Python int; `&` and `int.bit_count()` run in C
  over 100,000 bits in microseconds), so that facets and results are counted without reading a row;
- the words: for each stem, the rows whose tags, keywords or description have it, and the rows whose tags
  and keywords have it (ascending numpy arrays: a posting list, as a full-text index keeps them);
- what the score reads: the prior's two signals, the target sizes, the count of tag stems (the tie-break);
- the places: each location's latitude and longitude and its row, sorted by latitude (a radius search
  narrows on it by bisection);
- the meanings: for each keyword phrase, the rows having it and its embedding (finder.semantic), so that a
  need is compared with each distinct phrase once.

It is built from the search table (finder.models, written by finder.indexing in the transaction of each
change); finder.freshness keeps one per process and brings it up to date (merged appends the rows read again).
"""

from __future__ import annotations

import json
import logging
import math
from collections import deque
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connections

from finder import semantic
from finder.models import SearchEntry, SearchPlace
from finder.search import box
from matching import ranking

logger = logging.getLogger(__name__)
Rows = npt.NDArray[np.int32]  # row numbers, ascending
Mask = npt.NDArray[np.bool_]  # a flag per row
Floats = npt.NDArray[np.float64]

# Facet -> the search table's column (country holds one code, the others space-separated codes).
COLUMNS = {
    "country": "country",
    "industry": "industries",
    "product": "products",
    "service": "services",
    "language": "languages",
    "size": "sizes",
}
# What the score and the words need of a row, read after the facets' columns.
SCORED = ("target_sizes", "tags_text", "description_text", "tag_terms", "responsiveness", "outcomes", "keywords")
EVERY_SIZE = "*"  # finder.indexing's mark of a profile shown for every size
NO_ROWS: Rows = np.zeros(0, dtype=np.int32)


@dataclass(frozen=True)
class Places:
    lat: Floats  # ascending
    lon: Floats
    row: Rows  # the row of the profile each place belongs to


@dataclass(frozen=True)
class Snapshot:
    epoch: str  # the index's (finder.models.IndexStamp)
    version: int  # the index's version it holds
    ids: npt.NDArray[np.int64]  # row -> profile id (ascending as built; rows added since follow)
    partners: npt.NDArray[np.int64]  # row -> its profile's partner id
    row_of: dict[int, int]  # profile id -> its current row
    everything: int  # the current rows' bits (the versions replaced since, and rows gone, are left out)
    bits: dict[str, dict[str, int]]  # facet -> code -> the rows having it (size: listed codes, without "*")
    every_size: int  # the rows shown for every size
    words: dict[str, Rows]  # stem -> the rows having it in their tags, keywords or description
    tag_words: dict[str, Rows]  # stem -> the rows having it in their tags or keywords
    tag_terms: npt.NDArray[np.int32]
    targets: dict[str, Mask]  # size code -> the rows that target it
    untargeted: Mask  # the rows listing no target size
    responsiveness: Floats
    outcomes: Floats
    places: Places
    phrases: dict[str, Rows]  # normalised keyword phrase -> the rows having it
    phrase_vectors: dict[str, semantic.Vector]  # phrase -> its embedding (phrases without one are left out)

    @property
    def size(self) -> int:
        return len(self.ids)

    @cached_property
    def shared(self) -> int:
        """The current rows whose partner has another current row (a profile in another country)."""
        numbers = self.numbers(self.everything)
        partners = self.partners[numbers]
        found, counts = np.unique(partners, return_counts=True)
        many = found[counts > 1]
        return self.bitset_of(numbers[np.isin(partners, many)]) if len(many) else 0

    @cached_property
    def vocabulary(self) -> tuple[list[str], npt.NDArray[np.float32]]:
        """The phrases that have an embedding, and their embeddings as the rows of one matrix."""
        phrases = sorted(p for p in self.phrases if p in self.phrase_vectors)
        matrix = np.stack([self.phrase_vectors[p] for p in phrases]) if phrases else np.zeros((0, 0), np.float32)
        return phrases, matrix

    def meaning(self, need: semantic.Vector) -> tuple[Rows, Floats]:
        """The rows having a phrase whose cosine with the need is at least semantic.THRESHOLD, ascending, and
        each one's best such cosine: one matrix-vector product over the distinct phrases, not the rows."""
        phrases, matrix = self.vocabulary
        if not phrases or matrix.shape[1] != need.shape[0]:
            return NO_ROWS, np.zeros(0)
        cosines = matrix @ need
        close = np.flatnonzero(cosines >= semantic.THRESHOLD)
        if not len(close):
            return NO_ROWS, np.zeros(0)
        rows = np.concatenate([self.phrases[phrases[i]] for i in close])
        found = np.concatenate([np.full(len(self.phrases[phrases[i]]), cosines[i], np.float64) for i in close])
        order = np.lexsort((-found, rows))  # by row, the closest first
        rows, first = np.unique(rows[order], return_index=True)
        return rows.astype(np.int32), found[order][first]

    def partner_count(self, rows: int) -> int:
        """How many partners these rows are profiles of: a partner shows once in the results (finder.engine)."""
        shared = rows & self.shared
        if not shared:
            return rows.bit_count()
        return rows.bit_count() - shared.bit_count() + len(np.unique(self.partners[self.numbers(shared)]))

    def rows(self, profile_ids: Iterable[int]) -> int:
        """The bitset of these profiles (ids not in the table are left out: they land on a spare row)."""
        spare = self.size
        return bitset(map(self.row_of.get, profile_ids, repeat(spare)), spare)

    def passing(self, facet: str, code: str) -> int:
        """The rows that a filter on `code` leaves."""
        found = self.bits[facet].get(code, 0)
        return found | self.every_size if facet == "size" else found

    def mask(self, rows: int) -> Mask:
        """A bitset's rows as a flag per row."""
        raw = np.frombuffer(rows.to_bytes((self.size + 7) // 8, "little"), dtype=np.uint8)
        return np.unpackbits(raw, count=self.size, bitorder="little").view(np.bool_)

    def numbers(self, rows: int) -> Rows:
        """A bitset's row numbers, ascending."""
        return np.flatnonzero(self.mask(rows)).astype(np.int32)

    def profile_ids(self, rows: int) -> list[int]:
        """The profile ids of a bitset's rows, ascending."""
        found: list[int] = np.sort(self.ids[self.numbers(rows)]).tolist()
        return found

    def having(self, stems: Sequence[str]) -> int:
        """The rows having every stem (in their tags, keywords or description), as a bitset."""
        found = np.ones(self.size, dtype=np.bool_)
        for stem in stems:
            found &= self.flags(self.words.get(stem, NO_ROWS))
        return bits_of(found)

    def tag_hits(self, stems: Sequence[str], numbers: Rows) -> npt.NDArray[np.int64]:
        """For each of these rows, how many of the stems its tags and keywords have."""
        hits = np.zeros(len(numbers), dtype=np.int64)
        for stem in stems:
            hits += self.flags(self.tag_words.get(stem, NO_ROWS))[numbers]
        return hits

    def word_hits(self, stems: Sequence[str], numbers: Rows) -> npt.NDArray[np.int64]:
        """For each of these rows, how many of the stems it has anywhere (tags, keywords or description)."""
        hits = np.zeros(len(numbers), dtype=np.int64)
        for stem in stems:
            hits += self.flags(self.words.get(stem, NO_ROWS))[numbers]
        return hits

    def bitset_of(self, numbers: Rows) -> int:
        return bits_of(self.flags(numbers))

    def flags(self, numbers: Rows) -> Mask:
        return _flags(numbers, self.size)

    def within(self, lat: float, lon: float, radius_km: float) -> tuple[Rows, Floats]:
        """The rows with a place within the radius of (lat, lon), ascending, and each one's nearest place's km:
        a latitude band by bisection, a longitude box, then great-circle km (matching.ranking's formula)."""
        places = self.places
        south, north, longitudes = box(lat, lon, radius_km)
        start = int(np.searchsorted(places.lat, south, side="left"))
        stop = int(np.searchsorted(places.lat, north, side="right"))
        plat, plon, prow = places.lat[start:stop], places.lon[start:stop], places.row[start:stop]
        if longitudes is not None:
            inside = (plon >= longitudes[0]) & (plon <= longitudes[1])
            plat, plon, prow = plat[inside], plon[inside], prow[inside]
        km = haversine_km(lat, lon, plat, plon)
        near = km <= radius_km
        km, prow = km[near], prow[near]
        order = np.lexsort((km, prow))  # by row, the nearest first
        rows, first = np.unique(prow[order], return_index=True)
        return rows.astype(np.int32), km[order][first]


def haversine_km(lat: float, lon: float, lats: Floats, lons: Floats) -> Floats:
    """matching.ranking.haversine_km from one point to many, term by term."""
    p1, p2 = math.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    h = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    found: Floats = 2 * ranking.EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return found


def bitset(rows: Iterable[int], size: int) -> int:
    """An int with the bits of these rows (< size; a row `size` is dropped) set. A byte per row is set in C
    (no Python loop), then the bytes read as the binary digits of the int (C again, linear for base 2)."""
    flags = bytearray(size + 1)
    deque(map(flags.__setitem__, rows, repeat(1)), maxlen=0)
    del flags[size]
    return int(flags.translate(DIGITS)[::-1] or b"0", 2)


DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def bits_of(mask: Mask) -> int:
    """A flag per row as a bitset."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


BUILD_ROWS = 10_000  # read at a time by build()


def listed(ids: Sequence[int]) -> str:
    """Ids written into the SQL (ints of ours: no parameter limit, nothing to bind)."""
    return ", ".join(str(int(pid)) for pid in ids) or "NULL"


def merged(base: Snapshot, added: Snapshot) -> Snapshot:
    """`added`'s rows appended after `base`'s (their row numbers shifted by base.size)."""
    shift = base.size
    row_of = dict(base.row_of)
    row_of.update((pid, row + shift) for pid, row in added.row_of.items())
    bits = {
        facet: {
            code: codes.get(code, 0) | (added.bits[facet].get(code, 0) << shift)
            for code in codes.keys() | added.bits[facet].keys()
        }
        for facet, codes in base.bits.items()
    }
    at = np.searchsorted(base.places.lat, added.places.lat, side="right")  # both ascending by latitude
    places = Places(
        lat=np.insert(base.places.lat, at, added.places.lat),
        lon=np.insert(base.places.lon, at, added.places.lon),
        row=np.insert(base.places.row, at, added.places.row + shift),
    )
    return replace(
        base,
        ids=np.concatenate([base.ids, added.ids]),
        partners=np.concatenate([base.partners, added.partners]),
        row_of=row_of,
        everything=base.everything | (added.everything << shift),
        bits=bits,
        every_size=base.every_size | (added.every_size << shift),
        words=_appended(base.words, added.words, shift),
        tag_words=_appended(base.tag_words, added.tag_words, shift),
        tag_terms=np.concatenate([base.tag_terms, added.tag_terms]),
        targets={
            code: np.concatenate(
                [
                    base.targets.get(code, np.zeros(base.size, dtype=np.bool_)),
                    added.targets.get(code, np.zeros(added.size, dtype=np.bool_)),
                ]
            )
            for code in base.targets.keys() | added.targets.keys()
        },
        untargeted=np.concatenate([base.untargeted, added.untargeted]),
        responsiveness=np.concatenate([base.responsiveness, added.responsiveness]),
        outcomes=np.concatenate([base.outcomes, added.outcomes]),
        places=places,
        phrases=_appended(base.phrases, added.phrases, shift),
        phrase_vectors={**base.phrase_vectors, **added.phrase_vectors},
    )


def _appended(base: dict[str, Rows], added: dict[str, Rows], shift: int) -> dict[str, Rows]:
    found = dict(base)
    for stem, rows in added.items():
        found[stem] = np.concatenate([base.get(stem, NO_ROWS), rows + shift]).astype(np.int32)
    return found


def build(
    version: int,
    using: str = "default",
    only: list[int] | None = None,
    epoch: str = "",
    known: Collection[str] = (),
) -> Snapshot:
    """The snapshot of the table; `only`: of these profiles' rows alone; `known`: phrases whose vectors the
    caller holds already (not read again). Read BUILD_ROWS rows at a time, each part made on its own and
    appended: a build never holds the whole table's text at once."""
    columns = [*COLUMNS.values(), *SCORED]
    sql = f"SELECT profile_id, partner_id, {', '.join(columns)} FROM {SearchEntry._meta.db_table}"
    if only is not None:
        sql += f" WHERE profile_id IN ({listed(only)})"
    found = _part([], version, epoch)
    places: list[Any] = []
    with connections[using].cursor() as cursor:
        cursor.execute(sql + " ORDER BY profile_id")
        while table := cursor.fetchmany(BUILD_ROWS):
            found = merged(found, _part(table, version, epoch))
        place_sql = f"SELECT entry_id, lat, lon FROM {SearchPlace._meta.db_table}"
        if only is not None:
            place_sql += f" WHERE entry_id IN ({listed(only)})"
        cursor.execute(place_sql)
        places = cursor.fetchall()
    vectors = semantic.vectors([p for p in found.phrases if p not in known], using)
    return replace(found, places=_places(places, found.row_of), phrase_vectors=vectors)


def _part(table: list[Any], version: int, epoch: str) -> Snapshot:
    """The snapshot of these rows of the table, numbered from 0, without places."""
    size = len(table)
    ids = np.array([record[0] for record in table], dtype=np.int64)
    partners = np.array([record[1] for record in table], dtype=np.int64)
    table = [(record[0], *record[2:]) for record in table]  # the partner read: the columns as _facets reads them
    scored: dict[str, Sequence[Any]] = {name: [] for name in SCORED}
    if table:
        scored = dict(zip(SCORED, zip(*(record[len(COLUMNS) + 1 :] for record in table), strict=True), strict=True))
    bits, every = _facets(table)
    words, tag_words = _postings(scored["tags_text"], scored["description_text"])
    phrases = _phrases(scored["keywords"])
    targets: dict[str, list[int]] = {}
    for row, sizes in enumerate(scored["target_sizes"]):
        for code in sizes.split():
            targets.setdefault(code, []).append(row)
    return Snapshot(
        epoch=epoch,
        version=version,
        ids=ids,
        partners=partners,
        row_of={int(pid): row for row, pid in enumerate(ids.tolist())},
        everything=(1 << size) - 1,
        bits={facet: {code: bitset(rows, size) for code, rows in codes.items()} for facet, codes in bits.items()},
        every_size=bitset(every, size),
        words=words,
        tag_words=tag_words,
        tag_terms=np.array(scored["tag_terms"], dtype=np.int32),
        targets={code: _flags(rows, size) for code, rows in targets.items()},
        untargeted=np.array([sizes == " " for sizes in scored["target_sizes"]], dtype=np.bool_),
        responsiveness=np.array(scored["responsiveness"], dtype=np.float64),
        outcomes=np.array(scored["outcomes"], dtype=np.float64),
        places=_places([], {}),
        phrases=phrases,
        phrase_vectors={},
    )


def _phrases(keywords: Sequence[Any]) -> dict[str, Rows]:
    """phrase -> the rows having it among their keywords (a JSON list: text on SQLite, a list on PostgreSQL)."""
    found: dict[str, list[int]] = {}
    for row, value in enumerate(keywords):
        listed = json.loads(value) if isinstance(value, str) else value or ()
        for normalised in {semantic.phrase(str(keyword)) for keyword in listed} - {""}:
            found.setdefault(normalised, []).append(row)
    return {p: np.array(rows, dtype=np.int32) for p, rows in found.items()}


def _facets(table: list[Any]) -> tuple[dict[str, dict[str, list[int]]], list[int]]:
    """facet -> code -> its rows, and the rows shown for every size."""
    rows_of: dict[str, dict[str, list[int]]] = {facet: {} for facet in COLUMNS}
    country_rows = rows_of["country"]
    listed = [(rows_of[facet], position) for position, facet in enumerate(COLUMNS) if facet != "country"]
    for row, record in enumerate(table):
        country_rows.setdefault(record[1], []).append(row)
        for found, position in listed:
            for code in record[position + 1].split():
                found.setdefault(code, []).append(row)
    every = rows_of["size"].pop(EVERY_SIZE, [])
    return rows_of, every


def _postings(tags: Sequence[str], descriptions: Sequence[str]) -> tuple[dict[str, Rows], dict[str, Rows]]:
    """stem -> the rows having it anywhere, and stem -> the rows having it in their tags (rows ascending)."""
    anywhere: dict[str, list[int]] = {}
    tagged: dict[str, list[int]] = {}
    for row, (tag_text, description) in enumerate(zip(tags, descriptions, strict=True)):
        in_tags = set(tag_text.split())
        for stem in in_tags:
            tagged.setdefault(stem, []).append(row)
        for stem in in_tags.union(description.split()):
            anywhere.setdefault(stem, []).append(row)
    return (
        {stem: np.array(rows, dtype=np.int32) for stem, rows in anywhere.items()},
        {stem: np.array(rows, dtype=np.int32) for stem, rows in tagged.items()},
    )


def _flags(rows: Rows | list[int], size: int) -> Mask:
    found = np.zeros(size, dtype=np.bool_)
    found[rows] = True
    return found


def _places(places: list[Any], row_of: dict[int, int]) -> Places:
    known = [(lat, lon, row_of[entry]) for entry, lat, lon in places if entry in row_of]
    known.sort()
    return Places(
        lat=np.array([p[0] for p in known], dtype=np.float64),
        lon=np.array([p[1] for p in known], dtype=np.float64),
        row=np.array([p[2] for p in known], dtype=np.int32),
    )
