"""The finder's question to the matching engine: how well, by what it has learned, does each of these profiles
fit deals like the one searched?

The fit is the partner's own record on deals like it: the learner's per-partner cells that the deal belongs to
(matching/engine/learner.py: its industry, products, size, budget bucket, and all its deals), each stage's
log-odds shift summed over them, read through the learner's public `predict_from_logits` with the features'
part left out (it compares the request with the declared profile, which the finder's own signals do). Against
the global model's intercepts, the shifts make the partner r times as likely to be interested, accept and win
as a partner with no record: r = prod sigmoid(b + shift) / prod sigmoid(b) over the three stages. The fit is
r / (1 + r), in (0, 1): 0.5 for a partner the engine knows nothing of, above for one that takes deals like it,
below for one that turns them down. Vectorised over the profiles asked about (the finder asks for every result
of a search).
"""

from __future__ import annotations

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


def values(deal: Deal, profile_ids: Ids, now: datetime) -> Floats:
    """The learned fit of each profile for the deal, in [0, 1] (NEUTRAL when the engine knows nothing of it)."""
    return of_learner(learning.current.get().learner, deal, profile_ids, now)


def of_learner(learned: engine_learner.Learner, deal: Deal, profile_ids: Ids, now: datetime) -> Floats:
    log_ratio = _log_ratios(learned, _shifts(learned, deal, profile_ids, now)).sum(axis=1)
    found: Floats = 1.0 / (1.0 + np.exp(-log_ratio))
    return found


def _log_ratios(learned: engine_learner.Learner, shifts: Floats) -> Floats:
    """Each stage's log(P with the partner's record / P without), against the global model's intercepts."""
    base = np.asarray(learned.intercepts, dtype=np.float64)
    found: Floats = np.logaddexp(0.0, -base) - np.logaddexp(0.0, -(base + shifts))
    return found


def _shifts(learned: engine_learner.Learner, deal: Deal, profile_ids: Ids, now: datetime) -> Floats:
    """Each profile's learned log-odds shift per stage (m, 3): the sum of its cells the deal belongs to."""
    m = len(profile_ids)
    slots = learned.profile_of_slot()
    if not m or not len(slots):
        return np.zeros((m, 3))
    order = np.argsort(profile_ids, kind="stable")
    ordered = profile_ids[order]
    at = np.minimum(np.searchsorted(ordered, slots), m - 1)
    position = np.where(ordered[at] == slots, order[at], -1)
    if not (position >= 0).any():
        return np.zeros((m, 3))
    prediction = learned.predict_from_logits(deal, np.zeros((m, 3)), position, now)
    shifts: Floats = prediction.cell_mean
    return shifts


@dataclass(frozen=True)
class Record:
    """What moved a profile's fit most: its answers at one stage, on the most specific kind of similar deals."""

    stage: str  # "interested", "accepted" or "won"
    facet: str  # "product", "industry", "size", or "" for all its deals
    code: str
    yes: int
    total: int


def record(deal: Deal, profile_id: int, now: datetime) -> Record | None:
    """The record behind a profile's fit, for "why here"; None when the engine has none for deals like it."""
    learned = learning.current.get().learner
    ratios = _log_ratios(learned, _shifts(learned, deal, np.array([profile_id], dtype=np.int64), now))[0]
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
