"""The partners of the last decision as numpy arrays, kept between decisions so one over 100,000 profiles stays
under 20 ms (docs/decisions.md).

A decision gets its partners as a sequence of frozen `Partner`s. Re-encoding them all (and asking
`eligibility.exclusion` for each) costs ~0.5 s per 100,000, so the index re-encodes only the rows whose
`Partner` changed since the last call (the objects are frozen, so an object equal to the one held is unchanged
data), remembers `exclusion`'s answers per `eligibility_key(deal)` (asked once per `eligibility.signature`, what
it reads of a partner, so a request of a new key costs a pass over the signatures, not the partners), and
patches what it remembers per row (`memo`) in the changed rows only: an update costs O(changed), besides one
C-speed comparison of the lists.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, Sequence, ValuesView
from dataclasses import dataclass, field
from datetime import UTC, datetime
from math import cos, radians, sin
from typing import overload

import numpy as np

from matching.engine import compact, eligibility, identities
from matching.engine.types import Deal, Partner

# Past this share of changed rows, the remembered exclusions are dropped rather than patched.
REBUILD_SHARE = 0.25
# The hard rules' answers are remembered for this many eligibility keys, the least recently asked dropped first:
# each holds a code per row (200 KB at 100,000 profiles) and every change of a row is patched into each, so a
# process that decides for every (size, language, country) must not keep them all. Asking one again costs a pass
# over the partners' signatures and a gather of their codes (about 1 ms at 100,000 profiles).
EXCLUSION_KEYS = 64
ELIGIBLE = 0  # the reason code of "" (no hard rule applies)
CHUNK = 1024  # rows held and compared at once by `sync`: tuple equality runs in C, stops at the first difference

RowSelector = np.ndarray | slice
_NONE = np.empty(0, dtype=np.intp)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # a probe request's instant: the hard rules read none


def eligibility_key(deal: Deal) -> tuple[str, str, str]:
    """What of a deal `eligibility.exclusion` reads, besides the asked set (held to it by a test)."""
    return (deal.size, deal.language, deal.country)


@dataclass
class Postings:
    """Item -> the rows that declare it, as a sorted array. Sets only while rows change (`settle` turns them
    back): an array is no work for the garbage collector, whereas the sets of 100,000 profiles hold ~2 million
    entries that each of its full sweeps would visit, in the middle of a decision."""

    _arrays: dict[str, np.ndarray] = field(default_factory=dict)
    _changing: dict[str, set[int]] = field(default_factory=dict)

    def replace(self, row: int, old: Iterable[str], new: Iterable[str]) -> None:
        old_set, new_set = set(old), set(new)
        for item in old_set - new_set:
            self._rows(item).discard(row)
        for item in new_set - old_set:
            self._rows(item).add(row)

    def _rows(self, item: str) -> set[int]:
        found = self._changing.get(item)
        if found is None:
            found = self._changing[item] = set(self._arrays.pop(item, _NONE).tolist())
        return found

    def settle(self) -> None:
        for item, rows in self._changing.items():
            self._arrays[item] = np.sort(np.fromiter(rows, dtype=np.intp, count=len(rows)))  # sorted: fewer misses
        self._changing.clear()

    def of(self, item: str) -> np.ndarray:
        if self._changing:
            self.settle()
        return self._arrays.get(item, _NONE)

    def within(self, item: str, rows: np.ndarray) -> np.ndarray:
        """Where among the sorted `rows` are the rows that declare `item` (positions into `rows`)."""
        found = self.of(item)
        if not len(found) or not len(rows):
            return np.empty(0, dtype=np.intp)
        at = np.minimum(np.searchsorted(found, rows), len(found) - 1)
        return np.flatnonzero(found[at] == rows)

    def count(self, items: Iterable[str], n: int) -> np.ndarray:
        """How many of `items` each of the `n` rows declares."""
        counts = np.zeros(n, dtype=np.float64)
        for item in items:
            counts[self.of(item)] += 1.0
        return counts


class PartnerIndex:
    """Arrays over the rows of the last `sync`ed partner sequence (row i is partners[i])."""

    def __init__(self) -> None:
        self.partners = Rows()
        self.version = 0  # bumped whenever a row changes
        self._last: tuple[Partner, ...] | None = None
        self.profile_ids = np.empty(0, dtype=np.int64)
        self.joined = np.empty(0, dtype=np.float64)  # POSIX seconds
        self.capacity = np.empty(0, dtype=np.float64)  # nan when unlimited
        self.signature = np.empty(0, dtype=np.int32)  # each row's `eligibility.signature`, numbered
        self.open_referrals = np.empty(0, dtype=np.float64)
        self.declares_industries = np.empty(0, dtype=bool)
        self.declares_sizes = np.empty(0, dtype=bool)
        self.serves_wide = np.empty(0, dtype=bool)  # serves a country other than its own
        self.keyword_count = np.empty(0, dtype=np.float64)
        self.industries = Postings()
        self.products = Postings()
        self.services = Postings()
        self.keywords = Postings()
        self.sizes = Postings()
        self.languages = Postings()
        self.row_of_profile: dict[int, int] = {}
        self._places: dict[int, tuple[tuple[float, float, float], ...]] = {}
        self._place_arrays: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self._sorted_profiles: tuple[np.ndarray, np.ndarray] | None = None
        self._profile_snapshot: np.ndarray | None = None  # profile_ids as they were at the last change of one
        self._vectors: dict[int, np.ndarray] = {}
        self._vector_matrix: tuple[np.ndarray, np.ndarray] | None = None
        self._compact: tuple[np.ndarray, compact.Compact] | None = None  # (the matrix it was built from, it)
        self._exclusions: dict[tuple[str, str, str], np.ndarray] = {}
        self._signatures: dict[eligibility.Signature, int] = {}
        self._signed: list[Partner] = []  # a partner of each signature, by its number
        self._by_signature: dict[tuple[str, str, str], np.ndarray] = {}  # key -> each signature's reason code
        self._memo: dict[object, tuple[Callable[[RowSelector], np.ndarray], np.ndarray]] = {}
        self._reasons: list[str] = [""]
        self._reason_array = np.array(self._reasons, dtype=object)

    def __len__(self) -> int:
        return len(self.partners)

    # A stored engine keeps no index (matching.learning.stored): each process syncs its own. A stored one of an
    # earlier shape of this class loads as a new, empty index too, not as attributes this code no longer reads.
    def __getstate__(self) -> dict[str, object]:
        return {}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__()  # type: ignore[misc]

    def memo(self, key: object, compute: Callable[[RowSelector], np.ndarray]) -> np.ndarray:
        """`compute(rows)` of every row (rows = slice(None)), remembered: what depends on each row alone, not on
        the request. `compute` must give row i's value from row i only: a change of some rows recomputes
        `compute(those rows)` into the remembered array, not the whole of it."""
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = (compute, compute(slice(None)))
        return found[1]

    def _patch_memo(self, rows: list[int], resized: bool) -> None:
        if resized or len(rows) > REBUILD_SHARE * max(1, len(self.partners)):
            self._memo.clear()
            return
        at = np.array(rows, dtype=np.intp)
        for compute, values in self._memo.values():
            values[at] = compute(at)

    # -- keeping the rows current ---------------------------------------------------------------------------

    def sync(self, partners: Sequence[Partner]) -> None:
        """Make the rows `partners`, re-encoding only the rows whose partner is not equal to the one held."""
        if partners is self._last:
            return  # the same immutable tuple of frozen partners: nothing can have changed
        n_old, n_new = len(self.partners), len(partners)
        held = self.partners
        self.partners, changed = held.updated(partners)
        # Only a tuple can be known unchanged by its identity. A list is not held: its last reference would be
        # ours, and freeing 100,000 references at the next sync would cost that decision ~1.5 ms.
        self._last = partners if isinstance(partners, tuple) else None
        if not changed:
            return
        self._resize(n_new)
        for row in changed:
            old = held[row] if row < n_old else None
            new = self.partners[row] if row < n_new else None
            self._encode(row, old, new)
        for postings in (self.industries, self.products, self.services, self.keywords, self.sizes, self.languages):
            postings.settle()
        self.version += 1
        kept = [row for row in changed if row < n_new]
        self._patch_exclusions(kept, n_old != n_new)
        self._patch_memo(kept, n_old != n_new)

    def _resize(self, n: int) -> None:
        for name, fill in (
            ("profile_ids", 0),
            ("joined", 0.0),
            ("capacity", np.nan),
            ("signature", -1),
            ("open_referrals", 0.0),
            ("declares_industries", False),
            ("declares_sizes", False),
            ("serves_wide", False),
            ("keyword_count", 0.0),
        ):
            array = getattr(self, name)
            if len(array) != n:
                grown = np.full(n, fill, dtype=array.dtype)
                keep = min(n, len(array))
                grown[:keep] = array[:keep]
                setattr(self, name, grown)

    def _encode(self, row: int, old: Partner | None, new: Partner | None) -> None:
        empty: frozenset[str] = frozenset()
        for postings, attribute in (
            (self.industries, "industries"),
            (self.products, "products"),
            (self.services, "services"),
            (self.keywords, "keywords"),
            (self.sizes, "sizes"),
            (self.languages, "languages"),
        ):
            before = getattr(old, attribute) if old else empty
            after = getattr(new, attribute) if new else empty
            if before != after:
                postings.replace(row, before, after)
        if (old.profile_id if old else None) != (new.profile_id if new else None):
            self._sorted_profiles = self._profile_snapshot = None
        if old is not None and self.row_of_profile.get(old.profile_id) == row:
            del self.row_of_profile[old.profile_id]
        if (old.places if old else ()) != (new.places if new else ()):
            self._place_arrays = None
            if new is not None and new.places:
                self._places[row] = tuple(unit_sphere(p.lat, p.lon) for p in new.places)
            else:
                self._places.pop(row, None)
        if (old.vector if old else None) != (new.vector if new else None):
            self._vector_matrix = self._compact = None
            if new is not None and new.vector:
                self._vectors[row] = _unit(new.vector)
            else:
                self._vectors.pop(row, None)
        if new is None:
            return
        self.row_of_profile[new.profile_id] = row
        self.profile_ids[row] = new.profile_id
        self.joined[row] = new.joined_at.timestamp()
        self.capacity[row] = np.nan if new.capacity is None else float(new.capacity)
        signature = eligibility.signature(new)
        number = self._signatures.get(signature)
        if number is None:
            number = self._signatures[signature] = len(self._signed)
            self._signed.append(new)
        self.signature[row] = number
        self.open_referrals[row] = float(new.open_referrals)
        self.declares_industries[row] = bool(new.industries)
        self.declares_sizes[row] = bool(new.sizes)
        self.serves_wide[row] = bool(new.serves_countries - {new.country})
        self.keyword_count[row] = float(len(new.keywords))

    # -- the hard rules, asked of their owner ----------------------------------------------------------------

    def exclusions(self, deal: Deal, asked: frozenset[int]) -> np.ndarray:
        """Each row's reason code (`reason(code)`; ELIGIBLE when none), as `eligibility.exclusion` answers."""
        key = eligibility_key(deal)
        codes = self._exclusions.pop(key, None)
        if codes is not None:
            self._exclusions[key] = codes  # the most recently asked last: the first is dropped first
        else:
            while len(self._exclusions) >= EXCLUSION_KEYS:
                oldest = next(iter(self._exclusions))
                del self._exclusions[oldest]
                self._by_signature.pop(oldest, None)
            codes = self._signature_codes(key)[self.signature]
            self._exclusions[key] = codes
        if not asked:
            return codes
        codes = codes.copy()
        for profile_id in asked:
            row = self.row_of_profile.get(profile_id)
            if row is not None:
                codes[row] = self._code(eligibility.exclusion(deal, self.partners[row], asked))
        return codes

    def excluded(self, codes: np.ndarray) -> Excluded:
        """Profile id -> the hard rule that excludes it, for `codes` (`exclusions(deal, asked)`), as they are now
        (whatever the index's later changes)."""
        if self._profile_snapshot is None:
            self._profile_snapshot = self.profile_ids.copy()
        return Excluded(self._profile_snapshot, codes.copy(), self._reason_array)

    def reasons(self, codes: np.ndarray) -> list[str]:
        """The hard rules' words for `codes`."""
        return list(self._reason_array[codes].tolist())

    def _signature_codes(self, key: tuple[str, str, str]) -> np.ndarray:
        """Each signature's reason code for requests of `key`, asked of `eligibility.exclusion` once for each
        (partners alike in what it reads are excluded alike): a key asked for the first time costs a pass over
        the signatures, not over the partners."""
        found = self._by_signature.get(key, np.empty(0, dtype=np.int16))
        if len(found) < len(self._signed):
            size, language, country = key
            probe = Deal(request_id=0, at=_EPOCH, size=size, language=language, country=country)
            more = [self._code(eligibility.exclusion(probe, p, frozenset())) for p in self._signed[len(found) :]]
            found = self._by_signature[key] = np.concatenate([found, np.array(more, dtype=np.int16)])
        return found

    def _code(self, reason: str) -> int:
        try:
            return self._reasons.index(reason)
        except ValueError:
            self._reasons.append(reason)
            self._reason_array = np.array(self._reasons, dtype=object)
            return len(self._reasons) - 1

    def rows_of_profiles(self, profile_ids: np.ndarray) -> np.ndarray:
        """The row of each profile id, -1 for those not in the index."""
        if self._sorted_profiles is None:
            order = np.argsort(self.profile_ids, kind="stable")
            self._sorted_profiles = (self.profile_ids[order], order)
        ordered, order = self._sorted_profiles
        if not len(ordered):
            return np.full(len(profile_ids), -1, dtype=np.intp)
        at = np.minimum(np.searchsorted(ordered, profile_ids), len(ordered) - 1)
        return np.where(ordered[at] == profile_ids, order[at], -1)

    def _patch_exclusions(self, rows: list[int], resized: bool) -> None:
        if resized or len(rows) > REBUILD_SHARE * max(1, len(self.partners)):
            self._exclusions.clear()
            return
        at = np.array(rows, dtype=np.intp)
        for key, codes in self._exclusions.items():
            codes[at] = self._signature_codes(key)[self.signature[at]]

    # -- geometry and embeddings, flattened when first asked -------------------------------------------------

    def places(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The places in layers: layer j holds the (j+1)-th place of every row that has that many, as (those
        rows, sorted; their places as points on the unit sphere, 3 x rows: x, y, z; where those rows are in
        layer 0). Layers, not one flat list cut by row: a maximum over a few whole arrays is cheaper than one
        reduced by segments."""
        if self._place_arrays is None:
            layers = []
            depth = max((len(points) for points in self._places.values()), default=0)
            first = np.array(sorted(self._places), dtype=np.intp)
            for j in range(depth):
                rows = np.array([row for row in first.tolist() if len(self._places[row]) > j], dtype=np.intp)
                points = np.array([self._places[row][j] for row in rows.tolist()], dtype=np.float64).reshape(-1, 3)
                layers.append((rows, np.ascontiguousarray(points.T), np.searchsorted(first, rows)))
            self._place_arrays = layers
        return self._place_arrays

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows that have an embedding, their unit vectors as a matrix)."""
        if self._vector_matrix is None:
            rows = sorted(self._vectors)
            dims = {self._vectors[row].shape[0] for row in rows}
            if len(dims) > 1:  # embeddings of different models do not compare: keep the commonest
                common = max(dims, key=lambda d: sum(self._vectors[r].shape[0] == d for r in rows))
                rows = [row for row in rows if self._vectors[row].shape[0] == common]
            matrix = np.stack([self._vectors[row] for row in rows]) if rows else np.empty((0, 0), np.float32)
            self._vector_matrix = (np.array(rows, dtype=np.intp), matrix)
        return self._vector_matrix

    def compact_vectors(self) -> compact.Compact | None:
        """The compact copy of `vectors()`' matrix (compact.py), row for row, or None when it would not be
        cheaper. Built from the matrix it is asked with, so it is never of vectors that changed since."""
        _, matrix = self.vectors()
        if not len(matrix) or not compact.worthwhile(matrix.shape[1]):
            return None
        if self._compact is None or self._compact[0] is not matrix:
            self._compact = (matrix, compact.build(matrix))
        return self._compact[1]


class Rows(Sequence[Partner]):
    """The partners of the rows, held in tuples of CHUNK. A change replaces the chunks it touches only: no copy
    of the whole sequence per decision, and nothing new for the garbage collector's young generations to sweep
    but those chunks (a new list of 100,000 partners costs each of its sweeps ~2 ms). Where CPython lets it,
    the rows also keep their partners' addresses, which find the chunks a caller changed without touching the
    partners (`identities`; the chunks hold the partners, so their addresses cannot be taken by others)."""

    def __init__(self, chunks: tuple[tuple[Partner, ...], ...] = (), addresses: np.ndarray | None = None) -> None:
        self._chunks = chunks
        self._n = sum(len(chunk) for chunk in chunks)
        self._addresses = addresses

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_addresses": None}  # another process's objects live at other addresses

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, row: int) -> Partner: ...

    @overload
    def __getitem__(self, row: slice) -> Sequence[Partner]: ...

    def __getitem__(self, row: int | slice) -> Partner | Sequence[Partner]:
        if isinstance(row, slice):
            return tuple(self)[row]
        if row < 0:
            row += self._n
        return self._chunks[row // CHUNK][row % CHUNK]

    def __iter__(self) -> Iterator[Partner]:
        return itertools.chain.from_iterable(self._chunks)

    def updated(self, partners: Sequence[Partner]) -> tuple[Rows, list[int]]:
        """(the rows `partners`, keeping the chunks that are the same objects or equal; the rows where they differ
        from these, and the rows only one of them has). Chunks compare by their partners' addresses where those
        can be read, else in C (tuple equality tries identity first); then object by object within the chunks
        that differ."""
        source = partners if isinstance(partners, tuple | list) else list(partners)
        addresses = identities.addresses(source)
        same = self._same_chunks(addresses)
        chunks: list[tuple[Partner, ...]] = []
        changed: list[int] = []
        for j, start in enumerate(range(0, len(source), CHUNK)):
            old = self._chunks[j] if j < len(self._chunks) else ()
            if j in same:
                chunks.append(old)
                continue
            piece = tuple(source[start : start + CHUNK])
            if piece == old:
                chunks.append(old)
                if addresses is not None:  # equal partners, maybe other objects: the addresses of those held
                    addresses[start : start + len(old)] = identities.addresses(old)
                continue
            chunks.append(piece)
            common = min(len(piece), len(old))
            changed.extend(start + i for i in range(common) if piece[i] is not old[i] and piece[i] != old[i])
            changed.extend(range(start + common, start + len(piece)))
        changed.extend(range(len(source), self._n))
        return Rows(tuple(chunks), addresses), changed

    def _same_chunks(self, addresses: np.ndarray | None) -> set[int]:
        """The chunks whose every partner is the one held, known from the addresses (none without them)."""
        if addresses is None or self._addresses is None:
            return set()
        # The chunks of CHUNK rows both have; a shorter last one is compared in C.
        full = min(len(addresses), self._n) // CHUNK
        moved = np.flatnonzero(addresses[: full * CHUNK] != self._addresses[: full * CHUNK])
        return set(range(full)).difference((moved // CHUNK).tolist())


class Excluded(Mapping[int, str]):
    """A decision's excluded partners, profile id -> the hard rule that excludes it, read from its reason codes:
    most of 100,000 partners may be excluded (a request from a country few serve), so the dict is built only
    when a caller reads it (the routing service stores how many each rule excluded, and asks of one partner)."""

    def __init__(self, profile_ids: np.ndarray, codes: np.ndarray, reasons: np.ndarray) -> None:
        self._profile_ids, self._codes, self._reasons = profile_ids, codes, reasons
        self._dict: dict[int, str] | None = None

    def _built(self) -> dict[int, str]:
        if self._dict is None:
            rows = np.flatnonzero(self._codes != ELIGIBLE)
            self._dict = dict(
                zip(self._profile_ids[rows].tolist(), self._reasons[self._codes[rows]].tolist(), strict=True)
            )
        return self._dict

    def __getitem__(self, profile_id: int) -> str:
        if self._dict is None:  # one partner asked of (the routing service's `refusal`): no dict of them all
            for row in np.flatnonzero(self._profile_ids == profile_id).tolist():
                if self._codes[row] != ELIGIBLE:
                    return str(self._reasons[self._codes[row]])
            raise KeyError(profile_id)
        return self._dict[profile_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())

    # The dict's own views, not Mapping's, which would look every key up again.
    def keys(self) -> KeysView[int]:
        return self._built().keys()

    def values(self) -> ValuesView[str]:
        return self._built().values()

    def items(self) -> ItemsView[int, str]:
        return self._built().items()

    def __repr__(self) -> str:
        return f"Excluded({self._built()!r})"


def unit_sphere(lat: float, lon: float) -> tuple[float, float, float]:
    phi, lam = radians(lat), radians(lon)
    return (cos(phi) * cos(lam), cos(phi) * sin(lam), sin(phi))


def _unit(vector: Sequence[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else array
