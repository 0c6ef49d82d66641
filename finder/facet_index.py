"""The finder's facet index, kept in each process as Lucene's filter cache is: for each filter value a bitset
over the search table's rows (a Python int; `&` and `int.bit_count()` run in C over 100,000 bits in
microseconds), so that a search counts its facets and its results, and finds the rows passing its filters,
without reading the table.

Rows are numbered densely in profile id order. The index is built from the search table on first use and
rebuilt when finder.models.IndexStamp moved (finder.indexing changes it with every row it writes or deletes):
one primary-key read per search tells. With no stamp row (never indexed, or a test database just flushed)
nothing is kept.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat

from django.db import connections

from finder.models import IndexStamp, SearchEntry

# Facet -> the search table's column (country holds one code, the others space-separated codes).
COLUMNS = {
    "country": "country",
    "industry": "industries",
    "product": "products",
    "service": "services",
    "language": "languages",
    "size": "sizes",
}
EVERY_SIZE = "*"  # finder.indexing's mark of a profile shown for every size


@dataclass(frozen=True)
class FacetIndex:
    stamp: str
    ids: list[int]  # row -> profile id, ascending
    row_of: dict[int, int]  # profile id -> row
    everything: int  # every row's bit
    bits: dict[str, dict[str, int]]  # facet -> code -> the rows having it (size: listed codes, without "*")
    every_size: int  # the rows shown for every size

    def rows(self, profile_ids: Iterable[int]) -> int:
        """The bitset of these profiles (ids not in the table are left out: they land on a spare row)."""
        spare = len(self.ids)
        return bitset(map(self.row_of.get, profile_ids, repeat(spare)), spare)

    def passing(self, facet: str, code: str) -> int:
        """The rows that a filter on `code` leaves."""
        found = self.bits[facet].get(code, 0)
        return found | self.every_size if facet == "size" else found

    def profile_ids(self, rows: int) -> list[int]:
        """The profile ids of a bitset's rows, ascending."""
        ids, binary = self.ids, bin(rows)
        last = len(binary) - 1  # binary[last - row] is the row's bit ("0b" first)
        found, at = [], binary.rfind("1")
        while at > 1:
            found.append(ids[last - at])
            at = binary.rfind("1", 0, at)
        return found


def bitset(rows: Iterable[int], size: int) -> int:
    """An int with the bits of these rows (< size; a row `size` is dropped) set. A byte per row is set in C
    (no Python loop), then the bytes read as the binary digits of the int (C again, linear for base 2)."""
    flags = bytearray(size + 1)
    deque(map(flags.__setitem__, rows, repeat(1)), maxlen=0)
    del flags[size]
    return int(flags.translate(DIGITS)[::-1] or b"0", 2)


DIGITS = bytes.maketrans(b"\x00\x01", b"01")


_lock = threading.Lock()
_kept: dict[str, FacetIndex] = {}  # database alias -> its index


def current(using: str = "default") -> FacetIndex:
    """The index of the search table as it is now (as of the stamp, read first: rows written since are at
    worst in the index already, and the next search rebuilds it)."""
    stamp = IndexStamp.objects.using(using).filter(pk=1).values_list("stamp", flat=True).first()
    kept = _kept.get(using)
    if stamp and kept is not None and kept.stamp == stamp:
        return kept
    index = build(stamp or "", using)
    if stamp:
        with _lock:
            _kept[using] = index
    return index


def build(stamp: str, using: str = "default") -> FacetIndex:
    columns = ", ".join(COLUMNS.values())
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT profile_id, {columns} FROM {SearchEntry._meta.db_table} ORDER BY profile_id")
        table = cursor.fetchall()
    rows_of: dict[str, dict[str, list[int]]] = {facet: {} for facet in COLUMNS}
    every: list[int] = []
    country_rows = rows_of["country"]
    listed = [(rows_of[facet], position) for position, facet in enumerate(COLUMNS) if facet != "country"]
    for row, record in enumerate(table):
        country_rows.setdefault(record[1], []).append(row)
        for found, position in listed:
            for code in record[position + 1].split():
                found.setdefault(code, []).append(row)
    every = rows_of["size"].pop(EVERY_SIZE, [])
    ids = [record[0] for record in table]
    return FacetIndex(
        stamp=stamp,
        ids=ids,
        row_of={pid: row for row, pid in enumerate(ids)},
        everything=(1 << len(ids)) - 1,
        bits={
            facet: {code: bitset(rows, len(ids)) for code, rows in codes.items()} for facet, codes in rows_of.items()
        },
        every_size=bitset(every, len(ids)),
    )
