"""The partners of the last decision as numpy arrays, kept between decisions so one over 100,000 profiles stays
under 20 ms (docs/decisions.md).

A decision gets its partners as a sequence of frozen `Partner`s. Re-encoding them all (and asking
`eligibility.exclusion` for each) costs ~0.5 s per 100,000, so the index re-encodes only the rows whose
`Partner` object changed since the last call (by identity: the objects are frozen, so an unchanged object is
unchanged data), and remembers `exclusion`'s answers per `eligibility_key(deal)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from math import cos, radians, sin

import numpy as np

from matching.engine import eligibility
from matching.engine.types import Deal, Partner

# Past this share of changed rows, the remembered exclusions are dropped rather than patched.
REBUILD_SHARE = 0.25
ELIGIBLE = 0  # the reason code of "" (no hard rule applies)


def eligibility_key(deal: Deal) -> tuple[str, str, str]:
    """What of a deal `eligibility.exclusion` reads, besides the asked set (held to it by a test)."""
    return (deal.size, deal.language, deal.country)


@dataclass
class Postings:
    """Item -> the rows that declare it, with each item's rows as an array built when first asked."""

    rows: dict[str, set[int]] = field(default_factory=dict)
    _arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def replace(self, row: int, old: Iterable[str], new: Iterable[str]) -> None:
        old_set, new_set = set(old), set(new)
        for item in old_set - new_set:
            self.rows[item].discard(row)
            self._arrays.pop(item, None)
        for item in new_set - old_set:
            self.rows.setdefault(item, set()).add(row)
            self._arrays.pop(item, None)

    def of(self, item: str) -> np.ndarray:
        found = self._arrays.get(item)
        if found is None:
            rows = self.rows.get(item, ())
            found = np.sort(np.fromiter(rows, dtype=np.intp, count=len(rows)))  # sorted: fewer cache misses
            self._arrays[item] = found
        return found

    def count(self, items: Iterable[str], n: int) -> np.ndarray:
        """How many of `items` each of the `n` rows declares."""
        counts = np.zeros(n, dtype=np.float64)
        for item in items:
            counts[self.of(item)] += 1.0
        return counts


class PartnerIndex:
    """Arrays over the rows of the last `sync`ed partner sequence (row i is partners[i])."""

    def __init__(self) -> None:
        self.partners: list[Partner] = []
        self.version = 0  # bumped whenever a row changes
        self._object_ids = np.empty(0, dtype=np.int64)
        self._last: Sequence[Partner] | None = None
        self.profile_ids = np.empty(0, dtype=np.int64)
        self.joined = np.empty(0, dtype=np.float64)  # POSIX seconds
        self.capacity = np.empty(0, dtype=np.float64)  # nan when unlimited
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
        self._place_arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._sorted_profiles: tuple[np.ndarray, np.ndarray] | None = None
        self._vectors: dict[int, np.ndarray] = {}
        self._vector_matrix: tuple[np.ndarray, np.ndarray] | None = None
        self._exclusions: dict[tuple[str, str, str], np.ndarray] = {}
        self._memo: dict[object, np.ndarray] = {}
        self._memo_version = -1
        self._reasons: list[str] = [""]
        self._reason_array = np.array(self._reasons, dtype=object)

    def __len__(self) -> int:
        return len(self.partners)

    def memo(self, key: object, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """`compute()`, remembered until a row changes: what depends on the rows only, not on the request."""
        if self._memo_version != self.version:
            self._memo.clear()
            self._memo_version = self.version
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = compute()
        return found

    # -- keeping the rows current ---------------------------------------------------------------------------

    def sync(self, partners: Sequence[Partner]) -> None:
        """Make the rows `partners`, re-encoding only the rows whose object is not the one already held."""
        if partners is self._last and isinstance(partners, tuple):
            return  # the same immutable tuple of frozen partners: nothing can have changed
        n_old, n_new = len(self.partners), len(partners)
        ids = np.fromiter(map(id, partners), dtype=np.int64, count=n_new)
        common = min(n_old, n_new)
        changed = np.flatnonzero(ids[:common] != self._object_ids[:common]).tolist()
        changed.extend(range(common, max(n_old, n_new)))
        self._last = partners
        if not changed:
            return
        self._resize(n_new)
        for row in changed:
            old = self.partners[row] if row < n_old else None
            new = partners[row] if row < n_new else None
            self._encode(row, old, new)
        self.partners = list(partners)  # holding the objects keeps their ids from being reused
        self._object_ids = ids
        self.version += 1
        self._patch_exclusions([row for row in changed if row < n_new], n_old != n_new)

    def _resize(self, n: int) -> None:
        for name, fill in (
            ("profile_ids", 0),
            ("joined", 0.0),
            ("capacity", np.nan),
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
            self._sorted_profiles = None
        if old is not None and self.row_of_profile.get(old.profile_id) == row:
            del self.row_of_profile[old.profile_id]
        if (old.places if old else ()) != (new.places if new else ()):
            self._place_arrays = None
            if new is not None and new.places:
                self._places[row] = tuple(unit_sphere(p.lat, p.lon) for p in new.places)
            else:
                self._places.pop(row, None)
        if (old.vector if old else None) != (new.vector if new else None):
            self._vector_matrix = None
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
        self.open_referrals[row] = float(new.open_referrals)
        self.declares_industries[row] = bool(new.industries)
        self.declares_sizes[row] = bool(new.sizes)
        self.serves_wide[row] = bool(new.serves_countries - {new.country})
        self.keyword_count[row] = float(len(new.keywords))

    # -- the hard rules, asked of their owner ----------------------------------------------------------------

    def exclusions(self, deal: Deal, asked: frozenset[int]) -> np.ndarray:
        """Each row's reason code (`reason(code)`; ELIGIBLE when none), as `eligibility.exclusion` answers."""
        key = eligibility_key(deal)
        codes = self._exclusions.get(key)
        if codes is None:
            codes = np.fromiter(
                (self._code(eligibility.exclusion(deal, p, frozenset())) for p in self.partners),
                dtype=np.int16,
                count=len(self.partners),
            )
            self._exclusions[key] = codes
        if not asked:
            return codes
        codes = codes.copy()
        for profile_id in asked:
            row = self.row_of_profile.get(profile_id)
            if row is not None:
                codes[row] = self._code(eligibility.exclusion(deal, self.partners[row], asked))
        return codes

    def reasons(self, codes: np.ndarray) -> list[str]:
        """The hard rules' words for `codes`."""
        return list(self._reason_array[codes].tolist())

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
        for (size, language, country), codes in self._exclusions.items():
            probe = Deal(request_id=0, at=self.partners[0].joined_at, size=size, language=language, country=country)
            for row in rows:
                codes[row] = self._code(eligibility.exclusion(probe, self.partners[row], frozenset()))

    # -- geometry and embeddings, flattened when first asked -------------------------------------------------

    def places(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(every place as a point on the unit sphere, sorted by row (3 x k: x, y, z); the rows that have
        places; where each one's places start)."""
        if self._place_arrays is None:
            rows = sorted(self._places)
            points = [point for row in rows for point in self._places[row]]
            sizes = np.array([len(self._places[row]) for row in rows], dtype=np.intp)
            starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.intp) if rows else sizes
            self._place_arrays = (
                np.ascontiguousarray(np.array(points, dtype=np.float64).reshape(-1, 3).T),
                np.array(rows, dtype=np.intp),
                starts,
            )
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


def unit_sphere(lat: float, lon: float) -> tuple[float, float, float]:
    phi, lam = radians(lat), radians(lon)
    return (cos(phi) * cos(lam), cos(phi) * sin(lam), sin(phi))


def _unit(vector: Sequence[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else array
