"""The finder's question to the matching engine: how well, by what it has learned, does each of these profiles
fit deals like the one searched?

The fit is the partner's own record on deals like it: the learner's per-partner cells that the deal belongs to
(matching/engine/learner.py: its industry, products, size, budget bucket, and all its deals), each stage's
log-odds shift summed over them, read through the learner's public `predict_from_logits` with the features'
part left out (it compares the request with the declared profile, which the finder's own signals do). Against
the global model's intercepts, the shifts make the partner r times as likely to be interested, accept and win
as a partner with no record: r = prod sigmoid(b + shift) / prod sigmoid(b) over the three stages. The fit is
r / (1 + r), in (0, 1): 0.5 for a partner the engine knows nothing of, above for one that takes deals like it,
below for one that turns them down. Computed for every profile the engine knows at once, then gathered for the
profiles asked about (the finder asks for every result of a search).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from matching import learning
from matching.engine import learner as engine_learner
from matching.engine.types import Deal

NEUTRAL = 0.5
Ids = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
STAGE_NAMES = ("interested", "accepted", "won")
# The cells a customer understands as "similar deals", most specific first (the budget's are left out: a
# search names no budget).
KINDS = ("p", "i", "s", "*")


def search_deal(
    now: datetime,
    *,
    need: str,
    industry: str = "",
    product: str = "",
    service: str = "",
    size: str = "",
    country: str = "",
    city: str = "",
    language: str = "",
) -> Deal:
    """A finder search as the engine knows a request (matching.learning.deal), with no budget and no id."""
    return learning.deal(
        0,
        now,
        industry=industry,
        requested_industries=(),
        products=[product] if product else [],
        services=[service] if service else [],
        size=size,
        budget=None,
        budget_currency="",
        country=country,
        city=city,
        language=language,
        source="finder",
        need=need,
    )


def learner() -> engine_learner.Learner:
    """The stored engine's learner, as this process keeps it (matching.learning.current)."""
    return learning.current.get().learner


def values(deal: Deal, profile_ids: Ids, now: datetime) -> Floats:
    """The learned fit of each profile for the deal, in [0, 1] (NEUTRAL when the engine knows nothing of it)."""
    return of_learner(learner(), deal, profile_ids, now)


def of_learner(learned: engine_learner.Learner, deal: Deal, profile_ids: Ids, now: datetime) -> Floats:
    """`values` of this learner. Computed once per profile the engine knows (its slots, fewer than the results
    of a broad search), then gathered for the ids asked about: no sort of the results."""
    slots = _slots_of(learned, profile_ids)
    known = slots >= 0
    found: Floats = np.full(len(profile_ids), NEUTRAL)
    if known.any():
        found[known] = _of_slots(learned, deal, now)[slots[known]]
    return found


# (the learner's version, its slots, the deal's cells, its place among budgets, the hour) -> (the learner, its
# fits): the learner itself is compared too (held, so that its id is never another's) since two learners can share
# a version.
_by_kind_of_deal: OrderedDict[tuple[object, ...], tuple[engine_learner.Learner, Floats]] = OrderedDict()
KEPT = 16  # kinds of deal whose fits are kept (a search's next pages and facets ask again): about 0.5 MB each
_kept_lock = threading.Lock()


def _of_slots(learned: engine_learner.Learner, deal: Deal, now: datetime) -> Floats:
    """The fit of every profile the engine knows (by slot) for deals of this kind, as of the hour of `now` (the
    evidence's half-life is 90 days: an hour changes nothing a reader sees), kept for the next searches."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    cells = tuple(engine_learner.deal_cells(deal, stage) for stage in range(3))
    key = (learned.version, len(learned.profile_of_slot()), cells, learned.budgets.of(deal), hour)
    with _kept_lock:
        kept = _by_kind_of_deal.get(key)
        if kept is not None and kept[0] is learned:
            _by_kind_of_deal.move_to_end(key)
            return kept[1]
    every = len(learned.profile_of_slot())
    shifts = learned.predict_from_logits(deal, np.zeros((every, 3)), np.arange(every), hour).cell_mean
    fits: Floats = 1.0 / (1.0 + np.exp(-_log_ratios(learned, shifts).sum(axis=1)))
    with _kept_lock:
        _by_kind_of_deal[key] = (learned, fits)
        while len(_by_kind_of_deal) > KEPT:
            _by_kind_of_deal.popitem(last=False)
    return fits


def _log_ratios(learned: engine_learner.Learner, shifts: Floats) -> Floats:
    """Each stage's log(P with the partner's record / P without), against the global model's intercepts."""
    base = np.asarray(learned.intercepts, dtype=np.float64)
    found: Floats = np.logaddexp(0.0, -base) - np.logaddexp(0.0, -(base + shifts))
    return found


# The last learner's profile id -> slot table, with the learner and its number of slots it was made for
# (replaced whole: threads share it).
_lookup: list[tuple[engine_learner.Learner, int, npt.NDArray[np.intp]]] = []


def _slots_of(learned: engine_learner.Learner, profile_ids: Ids) -> npt.NDArray[np.intp]:
    """The learner's slot of each profile id (-1 for a profile it never saw), through a table indexed by id,
    made again only when the learner (or its number of slots) changes."""
    profiles = learned.profile_of_slot()
    made = _lookup[0] if _lookup else None
    if made is None or made[0] is not learned or made[1] != len(profiles):
        table = np.full(int(profiles.max()) + 1 if len(profiles) else 0, -1, dtype=np.intp)
        table[profiles] = np.arange(len(profiles))
        made = (learned, len(profiles), table)
        _lookup[:] = [made]
    table = made[2]
    inside = (profile_ids >= 0) & (profile_ids < len(table))
    found: npt.NDArray[np.intp] = np.full(len(profile_ids), -1, dtype=np.intp)
    found[inside] = table[profile_ids[inside]]
    return found


def _shifts(learned: engine_learner.Learner, deal: Deal, profile_id: int, now: datetime) -> Floats:
    """One profile's learned log-odds shift per stage (3,): the sum of its cells the deal belongs to."""
    slot = int(_slots_of(learned, np.array([profile_id], dtype=np.int64))[0])
    if slot < 0:
        return np.zeros(3)
    position = np.full(len(learned.profile_of_slot()), -1, dtype=np.intp)
    position[slot] = 0
    shifts: Floats = learned.predict_from_logits(deal, np.zeros((1, 3)), position, now).cell_mean[0]
    return shifts


@dataclass(frozen=True)
class Record:
    """What moved a profile's fit most: its answers at one stage, on the most specific kind of similar deals."""

    stage: str  # "interested", "accepted" or "won"
    facet: str  # "product", "industry", "size", or "" for all its deals
    code: str
    yes: int
    total: int


def record(learned: engine_learner.Learner, deal: Deal, profile_id: int, now: datetime) -> Record | None:
    """The record behind a profile's fit, for "why here"; None when the engine has none for deals like it."""
    ratios = _log_ratios(learned, _shifts(learned, deal, profile_id, now))
    for stage in np.argsort(-np.abs(ratios), kind="stable").tolist():
        if ratios[stage] == 0.0:
            break
        for key in _by_kind(engine_learner.deal_cells(deal, stage)):
            yes, total = learned.counts(stage, key, profile_id)
            if total:
                kind, _, code = key.partition(":")
                facet = {"p": "product", "i": "industry", "s": "size"}.get(kind, "")
                return Record(STAGE_NAMES[stage], facet, code, yes, total)
    return None


def _by_kind(keys: Iterable[str]) -> list[str]:
    kind_of = {key: key.split(":", 1)[0] for key in keys}
    return sorted((k for k in kind_of if kind_of[k] in KINDS), key=lambda k: KINDS.index(kind_of[k]))
