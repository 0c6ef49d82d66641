"""A search run on the process's snapshot of the search table (finder.snapshot): no row is read.

The words are the AND of their posting lists, the radius a latitude band and a box on the places, then
great-circle km; the page is matching.ranking's sum computed for every result at once (numpy), ordered by
score, then the fewer tag stems (the more specialised profile), then the profile id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from finder.plans import Plan
from finder.snapshot import Floats, Rows, Snapshot
from matching import ranking


@dataclass(frozen=True)
class Near:
    """The rows with a place within the radius, ascending, and the km of each one's nearest such place."""

    rows: Rows
    km: Floats


def matching_rows(plan: Plan, snapshot: Snapshot) -> tuple[int, Near | None]:
    """The rows that the words, the radius and the exclusions leave (the filters aside), as a bitset."""
    rows = snapshot.everything
    if plan.stems:
        rows &= snapshot.having(plan.stems)
    near = None
    if plan.origin is not None and plan.radius_km is not None:
        near = Near(*snapshot.within(plan.origin.lat, plan.origin.lon, plan.radius_km))
        rows &= snapshot.bitset_of(near.rows)
    if plan.criteria.exclude_profiles:
        rows &= ~snapshot.rows(plan.criteria.exclude_profiles)
    return rows, near


def page_ids(plan: Plan, snapshot: Snapshot, results: int, near: Near | None) -> list[int]:
    """The profile ids of the page, best first."""
    numbers = snapshot.numbers(results)
    weights = ranking.active_weights(plan.query)
    scores = weights["responsiveness"] * snapshot.responsiveness[numbers]
    scores = scores + weights["outcomes"] * snapshot.outcomes[numbers]
    if plan.stems:
        points = np.array(ranking.word_points(len(plan.stems), weights), dtype=np.float64)
        scores = scores + points[snapshot.tag_hits(plan.stems, numbers)]
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
