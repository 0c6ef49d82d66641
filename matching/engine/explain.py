"""Why a partner got its score: each signal's points, which add up exactly to the score, in words it understands.

The score is a product, S = P(interested) * P(accept | interested) * P(win | accepted) * value * discount.
Against a baseline S0 (a request about which nothing is known: each stage at its intercept, the value of an
unknown deal, no discount), log S - log S0 is a sum of terms:
  - each stage's log-probability change, split over the terms of its log-odds (the features' weights times
    their values, and the partner's own record) by the secant of log sigmoid, which is exact;
  - log(value / baseline value) and log(discount).
The points are those terms times the logarithmic mean of S and S0 (the LMDI decomposition), so they sum to
S - S0 whatever their signs, plus S0 itself as the "base" points. The score reported is that sum.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import exp

import numpy as np

from matching.engine import labels as words
from matching.engine import learner as learning
from matching.engine.features import COLUMN, DISTANCE_SCALE, budget_bucket
from matching.engine.types import Contribution, Deal, Label, LabelValue, Partner

NEW_PARTNER = "new partner"
EXPLORATION = "exploration"


# Signals, each a group of features, in the order a partner reads them.
FEATURE_SIGNALS = {
    "industry": ("industry_match", "industry_unknown", "industry_inferred"),
    "products": ("product_overlap", "service_overlap", "products_inferred"),
    "size": ("size_in_target", "size_any"),
    "distance": ("log_km", "remote", "local", "log_km_wide", "km_near"),
    "language": ("language_declared",),
    "words": ("words_cosine", "vector_cosine", "vector_missing"),
    "source": ("source_agent", "source_advertising", "source_import"),
    "budget": ("budget_small", "budget_medium", "budget_large", "budget_very_large"),
}
HISTORY_SIGNALS = ("responsiveness", "accepted before", "won before")  # the partner's cells, by stage


@dataclass(frozen=True)
class Candidate:
    """One candidate's parts of its score, as the policy computed them."""

    partner: Partner
    features: np.ndarray  # (F,)
    global_logit: np.ndarray  # (3,)
    cell_mean: np.ndarray  # (3,)
    value_eur: float
    baseline_value_eur: float
    discount: float
    speed: float = 1.0  # policy.timeliness_factor: answering in time more or less often than everyone
    boost: str = ""


SIGNALS = (*FEATURE_SIGNALS, *HISTORY_SIGNALS, "value", "speed", "capacity")
# Which signal each feature's term belongs to (F x the feature signals).
_GROUPS = np.zeros((len(COLUMN), len(FEATURE_SIGNALS)))
for _i, _names in enumerate(FEATURE_SIGNALS.values()):
    _GROUPS[[COLUMN[name] for name in _names], _i] = 1.0


def contributions(
    deal: Deal, candidates: Sequence[Candidate], learned: learning.Learner
) -> list[tuple[Contribution, ...]]:
    """Each candidate's contributions, base first; their sum (left to right) is its score."""
    if not candidates:
        return []
    weights, intercepts = learned.weights, learned.intercepts
    x = np.stack([c.features for c in candidates])  # (m, F)
    cells = np.stack([c.cell_mean for c in candidates])  # (m, 3)
    logit = np.stack([c.global_logit for c in candidates]) + cells
    value = np.array([c.value_eur for c in candidates])
    baseline_value = np.array([c.baseline_value_eur for c in candidates])
    discount = np.array([c.discount for c in candidates])
    speed = np.array([c.speed for c in candidates])
    baseline = float(np.prod(_sigmoid(intercepts))) * baseline_value
    score = np.prod(_sigmoid(logit), axis=1) * value * speed * discount
    slope = _log_sigmoid_secant(intercepts[None, :], logit)  # (m, 3)
    by_feature = np.einsum("ms,sf,mf->mf", slope, weights, x)  # each feature's log-score term
    terms = np.concatenate(
        (
            by_feature @ _GROUPS,
            slope * cells,
            np.log(value / baseline_value)[:, None],
            np.log(speed)[:, None],
            (by_feature[:, COLUMN["load"]] + np.log(discount))[:, None],  # how busy it is, learned and ruled
        ),
        axis=1,
    )
    points = terms * _log_mean(score, baseline)[:, None]
    records = _DealCells(deal)
    result = []
    for i, candidate in enumerate(candidates):
        said = _Labels(deal, records, candidate, learned)
        parts = [Contribution("base", Label(words.BASE), float(baseline[i]))]
        parts += [
            Contribution(signal, label(said), float(p))
            for signal, label, p in zip(SIGNALS, _LABELS, points[i], strict=True)
        ]
        if candidate.boost:
            boost = words.NEW_PARTNER if candidate.boost == NEW_PARTNER else words.EXPLORING
            parts.append(Contribution("boost", Label(boost), 0.0))
        result.append(tuple(parts))
    return result


def total(parts: Sequence[Contribution]) -> float:
    """The score the contributions make: the one reported, so the stored parts add up to it exactly."""
    return sum((part.points for part in parts), 0.0)


class _DealCells:
    """The deal's cells a record is read from, most specific first: the same for every candidate of a decision."""

    def __init__(self, deal: Deal) -> None:
        self.beliefs = learning.belief_keys(deal)
        stages = (learning.INTEREST, learning.ACCEPT, learning.WIN)
        self.by_stage = {stage: sorted(learning.deal_cells(deal, stage), key=_specificity) for stage in stages}


class _Labels:
    def __init__(self, deal: Deal, records: _DealCells, candidate: Candidate, learned: learning.Learner) -> None:
        self.deal, self.records, self.candidate, self.learned = deal, records, candidate, learned
        self.x = candidate.features
        self.partner = candidate.partner

    def _industry(self) -> Label:
        if self.x[COLUMN["industry_match"]]:
            return _said(words.INDUSTRY_MATCH, industry=self.deal.industry)
        if self.x[COLUMN["industry_unknown"]]:
            return _said(words.INDUSTRY_UNKNOWN)
        if self.x[COLUMN["industry_inferred"]]:
            return _said(words.INDUSTRY_INFERRED, industry=self.deal.industry)
        return _said(words.INDUSTRY_OTHER, industry=self.deal.industry)

    def _products(self) -> Label:
        wanted = self.deal.products | self.deal.services
        offered = sorted(wanted & (self.partner.products | self.partner.services))
        if offered:
            return _said(words.PRODUCTS_OFFERED, products=", ".join(offered))
        if self.x[COLUMN["products_inferred"]]:
            return _said(words.PRODUCTS_INFERRED, products=", ".join(sorted(self.deal.products)))
        if wanted:
            return _said(words.PRODUCTS_NONE_OFFERED)
        return _said(words.PRODUCTS_NONE_NAMED)

    def _size(self) -> Label:
        if self.x[COLUMN["size_in_target"]]:
            return _said(words.SIZE_IN_TARGET, size=self.deal.size)
        if self.x[COLUMN["size_any"]]:
            return _said(words.SIZE_ANY)
        return _said(words.SIZE_OUTSIDE, size=self.deal.size)

    def _distance(self) -> Label:
        if self.x[COLUMN["remote"]]:
            return _said(words.DISTANCE_REMOTE)
        km = exp(float(self.x[COLUMN["log_km"]]) * DISTANCE_SCALE) - 1.0
        return _said(words.DISTANCE_KM, km=round(km))

    def _language(self) -> Label:
        if self.x[COLUMN["language_declared"]]:
            return _said(words.LANGUAGE_SPOKEN, language=self.deal.language)
        return _said(words.LANGUAGE_UNKNOWN)

    def _words(self) -> Label:
        shared = len(self.deal.words & self.partner.keywords)
        if shared:
            return _said(words.WORDS_SHARED, count=shared)
        if not self.x[COLUMN["vector_missing"]]:
            return _said(words.WORDS_CLOSE)
        return _said(words.WORDS_NONE)

    def _source(self) -> Label:
        return _said(words.SOURCE, source=self.deal.source)

    def _budget(self) -> Label:
        if budget_bucket(self.deal) == 0 or self.deal.budget_eur is None:
            return _said(words.BUDGET_NONE)
        return _said(words.BUDGET_ABOUT, budget=round(self.deal.budget_eur))

    def _responsiveness(self) -> Label:
        """The partner's interest in the deal's industry (else one of its products), whose belief carries most
        of these points once it has answers (learner.MEMBERSHIP); else its interest in all it was sent."""
        if learning.MEMBERSHIP:
            for key in self.records.beliefs:
                yes, total_ = self.learned.counts(learning.INTEREST, key, self.partner.profile_id)
                if total_:
                    return _said(words.INTERESTED_SIMILAR, yes=yes, total=total_, kind=key.split(":", 1)[1])
        yes, asked = self.learned.counts(learning.INTEREST, "*", self.partner.profile_id)
        if asked:
            return _said(words.INTERESTED_IN, yes=yes, asked=asked)
        return _said(words.NO_ANSWERS)

    def _speed(self) -> Label:
        hours = self.learned.typical_wait_hours(self.partner.profile_id)
        if hours is not None:
            return _said(words.ANSWERS_WITHIN, hours=max(1, round(hours)))
        return _said(words.NO_ANSWERS)

    def _accepted_before(self) -> Label:
        return self._record(learning.ACCEPT, words.ACCEPTED_SIMILAR, words.ACCEPTED_NONE)

    def _won_before(self) -> Label:
        return self._record(learning.WIN, words.WON_SIMILAR, words.WON_NONE)

    def _record(self, stage: int, template: str, nothing: str) -> Label:
        """The partner's record in the most specific of the deal's cells that has one; for a stage with none
        that carries the interest stage's liking over (learner.STACKED), the interest record it carries."""
        found = self._counts(stage, template)
        if found is None and stage in learning.STACKED and self.learned.stacking[stage]:
            found = self._counts(learning.INTEREST, words.INTERESTED_SIMILAR, liking_only=True)
        return found or _said(nothing)

    def _counts(self, stage: int, template: str, liking_only: bool = False) -> Label | None:
        profile_id = self.partner.profile_id
        for key in self.records.by_stage[stage]:
            yes, total_ = self.learned.counts(stage, key, profile_id)
            if total_ and not (liking_only and key == "*"):
                kind = key.split(":", 1)[1] if key.startswith(("p:", "i:")) else ""
                return _said(template, yes=yes, total=total_, kind=kind)
        return None

    def _value(self) -> Label:
        return _said(words.VALUE_ABOUT, value=int(round(self.candidate.value_eur, -2)))

    def _capacity(self) -> Label:
        if self.partner.capacity is None:
            return _said(words.CAPACITY_UNLIMITED)
        return _said(words.CAPACITY_OPEN, open=self.partner.open_referrals, capacity=self.partner.capacity)


# Each signal's label, in SIGNALS' order.
_LABELS: tuple[Callable[[_Labels], Label], ...] = tuple(
    getattr(_Labels, "_" + signal.replace(" ", "_")) for signal in SIGNALS
)


def _said(template: str, **values: LabelValue) -> Label:
    """A label: one of the templates in labels.py and its values (plain ints and strings, stored as JSON)."""
    return Label(template, {key: int(v) if not isinstance(v, str) else v for key, v in values.items()})


def _specificity(key: str) -> int:
    return {"p": 0, "i": 1, "s": 2, "b": 3}.get(key[0], 4) if ":" in key else 5


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(-np.logaddexp(0.0, -z))


def _log_sigmoid_secant(z0: np.ndarray, z1: np.ndarray) -> np.ndarray:
    """(log sigmoid(z1) - log sigmoid(z0)) / (z1 - z0), elementwise; the derivative 1 - sigmoid where equal."""
    z0, z1 = np.broadcast_arrays(z0, z1)
    near = np.abs(z1 - z0) < 1e-9
    gap = np.where(near, 1.0, z1 - z0)
    return np.where(near, 1.0 - _sigmoid(z0), (_log_sigmoid(z1) - _log_sigmoid(z0)) / gap)


def _log_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The logarithmic mean (a - b) / (log a - log b) elementwise, a where a == b (both positive)."""
    near = np.abs(a - b) <= 1e-12 * np.maximum(a, b)
    apart = np.where(near, 2.0 * a, b)  # any other value where they are equal: that answer is replaced by a
    return np.where(near, a, (a - apart) / (np.log(a) - np.log(apart)))
