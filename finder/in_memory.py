"""A search run on the process's snapshot of the search table (finder.snapshot): no row is read.

The words are the AND of their posting lists, or the need's meaning (finder.semantic: a profile with a keyword
phrase close enough to it, in any language); the radius a latitude band and a box on the places, then
great-circle km; the page is matching.ranking's sum computed for every result at once (numpy), ordered by
score, then the fewer tag stems (the more specialised profile), then the profile id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from finder.plans import Plan
from finder.snapshot import Floats, Rows, Snapshot
from matching import ranking


@dataclass(frozen=True)
class Near:
    """The rows with a place within the radius, ascending, and the km of each one's nearest such place."""

    rows: Rows
    km: Floats


@dataclass(frozen=True)
class Meaning:
    """The rows with a keyword phrase close in meaning to the need, ascending, and each one's best cosine."""

    rows: Rows
    cosine: Floats

    def of(self, numbers: Rows) -> Floats:
        """The cosine of each of these rows (0 for those not close in meaning)."""
        if not len(self.rows):
            return np.zeros(len(numbers))
        at = np.minimum(np.searchsorted(self.rows, numbers), len(self.rows) - 1)
        return np.where(self.rows[at] == numbers, self.cosine[at], 0.0)


# The learned fit of profiles (by id) for the deal searched: matching.fit, bound to the search (finder.engine).
Fit = Callable[[npt.NDArray[np.int64]], Floats]


def matching_rows(plan: Plan, snapshot: Snapshot) -> tuple[int, Near | None, Meaning | None]:
    """The rows that the words (or their meaning), the radius and the exclusions leave (the filters aside), as
    a bitset."""
    rows = snapshot.everything
    meaning = None
    if plan.stems:
        words = snapshot.having(plan.stems)
        if plan.need is not None:
            meaning = Meaning(*snapshot.meaning(plan.need))
            words |= snapshot.bitset_of(meaning.rows)
        rows &= words
    near = None
    if plan.origin is not None and plan.radius_km is not None:
        near = Near(*snapshot.within(plan.origin.lat, plan.origin.lon, plan.radius_km))
        rows &= snapshot.bitset_of(near.rows)
    if plan.criteria.exclude_profiles:
        rows &= ~snapshot.rows(plan.criteria.exclude_profiles)
    return rows, near, meaning


def page_ids(
    plan: Plan, snapshot: Snapshot, results: int, near: Near | None, meaning: Meaning | None, learned: Fit
) -> list[int]:
    """The profile ids of the page, best first."""
    numbers = snapshot.numbers(results)
    weights = ranking.active_weights(plan.query)
    scores = weights["responsiveness"] * snapshot.responsiveness[numbers]
    scores = scores + weights["outcomes"] * snapshot.outcomes[numbers]
    if plan.stems:
        words = len(plan.stems)
        tag_hits = snapshot.tag_hits(plan.stems, numbers)
        text_hits = snapshot.word_hits(plan.stems, numbers) - tag_hits  # a row found by meaning may have none
        scores = scores + weights["tags"] * (tag_hits / words) + weights["text"] * (text_hits / words)
    if "meaning" in weights and meaning is not None:
        scores = scores + weights["meaning"] * meaning.of(numbers)
    if "fit" in weights:
        scores = scores + weights["fit"] * learned(snapshot.ids[numbers])
    if near is not None and plan.radius_km:
        km = near.km[np.searchsorted(near.rows, numbers)]
        scores = scores + weights["proximity"] * np.maximum(0.0, 1.0 - km / float(plan.radius_km))
    if "size_fit" in weights:
        fits = snapshot.targets.get(plan.query.size, np.zeros(snapshot.size, dtype=np.bool_))[numbers]
        unknown, fit = weights["size_fit"] * ranking.SIZE_UNKNOWN, weights["size_fit"] * 1.0
        scores = scores + np.where(snapshot.untargeted[numbers], unknown, np.where(fits, fit, 0.0))
    if results & snapshot.shared:
        numbers, scores = _one_per_partner(snapshot, numbers, scores, near)
    needed = plan.offset + plan.limit
    if len(scores) > needed:  # only the rows scoring at least the page's last score are ordered
        last = -np.partition(-scores, needed - 1)[needed - 1]
        kept = scores >= last
        numbers, scores = numbers[kept], scores[kept]
    ids = snapshot.ids[numbers]
    order = np.lexsort((ids, snapshot.tag_terms[numbers], -scores))
    found: list[int] = ids[order][plan.offset : needed].tolist()
    return found


def _one_per_partner(snapshot: Snapshot, numbers: Rows, scores: Floats, near: Near | None) -> tuple[Rows, Floats]:
    """The rows and scores less each partner's other profiles: it keeps its nearest to the searched place, or
    its best-ranked one."""
    ids, partners, terms = snapshot.ids[numbers], snapshot.partners[numbers], snapshot.tag_terms[numbers]
    keys: tuple[np.ndarray, ...] = (ids, terms, -scores)
    if near is not None:
        keys += (near.km[np.searchsorted(near.rows, numbers)],)
    order = np.lexsort((*keys, partners))
    _partners, first = np.unique(partners[order], return_index=True)
    kept = np.sort(order[first])
    return numbers[kept], scores[kept]
