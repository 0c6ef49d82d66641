"""A decision's scores, computed exactly only for the partners that can matter (matching/engine/cut.py).

Over every eligible partner a decision does O(eligible) cheap work: the learner's cells (its record, sparse),
the capacity and timeliness factor, and one upper bound of each log score, the features weighed by the
tangents' slopes (a single linear combination; the distance features by a table over the chord to the nearest
place, features.distance_bound, so the km only of the partners scored exactly; a weighed embedding cosine by
its own bound, compact.py, and read from the vectors only for the partners that bound lets through). The global
models' log-odds (three stages) are computed only for the partners whose bound can reach the top, and
remembered for the rest of the decision. Pure.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from matching.engine import compact, cut, features
from matching.engine.index import PartnerIndex
from matching.engine.learner import Learner, Prediction
from matching.engine.types import Deal

# Fewer eligible partners than this are all scored exactly: the tangents' sample would be most of them.
EXACT_BELOW = 2 * cut.TANGENT_SAMPLE
COSINE = features.COLUMN["vector_cosine"]
DISTANCE = [features.COLUMN[name] for name in features.DISTANCE_FEATURES]


class Scores:
    """The eligible `rows` of `index` (positions 0..m-1 here), `factor` the capacity and timeliness factor of
    each one's score, `positions` where each of the learner's slots is among them (-1: not)."""

    def __init__(
        self,
        deal: Deal,
        index: PartnerIndex,
        learner: Learner,
        rows: np.ndarray,
        positions: np.ndarray,
        factor: np.ndarray,
        now: datetime,
    ) -> None:
        self.deal, self.index, self.learner, self.rows, self.factor = deal, index, learner, rows, factor
        self.m = len(rows)
        # The km of a partner only when its exact log-odds are asked for (`km_at`): its nearest place's dot
        # product is all the bound needs (features.distance_bound).
        self._dots = features.nearest_dots(deal, index)
        self._km = np.full(len(index), np.nan)
        self._km_done = np.full(len(index), self._dots is None)  # all nan and right without a place
        # The learner's cells of the partners with a record, and (last) of one without: row `_cell[position]`.
        known = np.flatnonzero(positions >= 0)
        compact = np.full(len(positions), -1, dtype=np.intp)
        compact[known] = np.arange(len(known))
        declares, inferred = np.zeros(len(known) + 1, dtype=bool), np.zeros(len(known) + 1)
        if deal.industry:
            at = rows[positions[known]]
            declares[: len(known)] = features.declared(index, "industries", deal.industry)[at]
            order = np.argsort(at)
            inferred[order] = features.inferred(deal, index, learner.associations, at[order])[0]
        self.cells = learner.predict_from_logits(deal, np.zeros((len(known) + 1, 3)), compact, now, declares, inferred)
        self._cell = np.full(self.m, len(known), dtype=np.intp)
        self._cell[positions[known]] = np.arange(len(known))
        self._global = np.empty((self.m, 3))
        self._done = np.zeros(self.m, dtype=bool)
        self._upper: tuple[np.ndarray, np.ndarray] | None = None
        # The bound's cosine term where it is bounded, not exact (`_bound`): (its weight, each partner's term).
        self._loose: tuple[float, np.ndarray] | None = None
        self._cosine = np.full(self.m, np.nan)  # the exact cosines `_tightening` read (nan: not yet)

    def km_at(self, rows: np.ndarray) -> np.ndarray:
        """`features.distances(deal, index)` as far as it is right at the index's `rows` (and at every row asked
        before): the km of the rows not asked yet are nan."""
        missing = rows[~self._km_done[rows]]
        if len(missing):
            self._km[missing] = features.km_of_dots(self._dots[missing])  # type: ignore[index]
            self._km_done[missing] = True
        return self._km

    def logit(self, at: np.ndarray) -> np.ndarray:
        """Each stage's log-odds of the partners at positions `at` (len(at) x 3)."""
        missing = at[~self._done[at]]
        if len(missing):
            missing = np.unique(missing)
            learner = self.learner
            rows = self.rows[missing]
            self._global[missing] = features.logits(
                self.deal,
                self.index,
                rows,
                learner.weights,
                learner.intercepts,
                self.km_at(rows),
                learner.associations,
            )
            self._done[missing] = True
        return np.asarray(self._global[at] + self.cells.cell_mean[self._cell[at]])

    def sd(self, at: np.ndarray, scale: float | np.ndarray) -> np.ndarray:
        """`scale` (one for all stages, or one per stage) times each stage's posterior sd of the partners at `at`."""
        return np.asarray(scale * np.sqrt(self.cells.cell_variance[self._cell[at]]))

    def scored(self) -> np.ndarray:
        """The positions whose log-odds this decision has computed so far (all of them below EXACT_BELOW)."""
        return np.flatnonzero(self._done)

    def exact(self, at: np.ndarray) -> np.ndarray:
        """The expected value of sending (up to the deal's value, the same for all) of the partners at `at`."""
        return np.asarray(cut.sigmoid(self.logit(at)).prod(axis=1) * self.factor[at])

    def prediction(self, at: np.ndarray) -> Prediction:
        """The learner's prediction for the partners at `at`, in that order."""
        self.logit(at)
        cells, of = self.cells, self._cell[at]
        return Prediction(
            self._global[at], cells.cell_mean[of], cells.cell_variance[of], cells.value_eur, cells.value_baseline_eur
        )

    def top(
        self,
        k: int,
        optimism: float = 0.0,
        sd_scale: float | np.ndarray = 0.0,
        taken: frozenset[int] = frozenset(),
    ) -> np.ndarray:
        """Positions of the k best prod(sigmoid(logit + optimism * sd)) * factor (sd: `sd(at, sd_scale)`),
        largest first, ties by position; the partners at `taken` score 0."""
        factor = self.factor
        if taken:
            factor = factor.copy()
            factor[list(taken)] = 0.0

        def exact(at: np.ndarray) -> np.ndarray:
            z = self.logit(at) + optimism * self.sd(at, sd_scale) if optimism else self.logit(at)
            return np.asarray(cut.sigmoid(z).prod(axis=1) * factor[at])

        if k <= 0 or self.m <= max(cut.FIRST_CUT * k, EXACT_BELOW):
            return cut.top(exact(np.arange(self.m)), k)
        linear, slope = self._bound()
        # Each partner's log-odds move by its own sd's worth (the slopes are positive): a bound as tight for the
        # many partners the learner knows little of as for the few whose beliefs are uncertain.
        with np.errstate(divide="ignore"):
            upper = linear + np.log(factor)
        if optimism:
            upper += ((optimism * sd_scale * np.sqrt(self.cells.cell_variance)) @ slope)[self._cell]
        if self._loose is None:
            return cut.top_by_bound(upper, exact, k)
        weight, loose = self._loose
        return cut.top_by_bound(upper, exact, k, lambda at: upper[at] + self._tightening(at, weight, loose))

    def _bound(self) -> tuple[np.ndarray, np.ndarray]:
        """(each partner's upper bound of sum(log sigmoid(logit)), without its factor; the tangents' slopes)."""
        if self._upper is None:
            slope, constant = cut.tangents(self.logit(cut.sample_of(self.m)))
            learner = self.learner
            combined = (slope @ learner.weights)[None, :]
            weight = float(combined[0, COSINE])
            bound = features.cosine_bound(self.deal, self.index, upper=weight > 0) if weight else None
            if bound is not None:
                # Bounded from the compact vectors rather than read from all of them: `_tightening` reads the
                # vectors of the partners this bound lets through.
                combined[0, COSINE] = 0.0
                self._loose = (weight, weight * bound[self.rows])
            km: np.ndarray | None = self._km
            distance = None
            if self._dots is not None:
                distance = features.distance_bound(self._dots, self.index.serves_wide, combined[0])[self.rows]
                combined[0, DISTANCE] = 0.0
                km = None
            every = features.logits(self.deal, self.index, None, combined, np.zeros(1), km, learner.associations)
            cells = (self.cells.cell_mean @ slope)[self._cell]
            linear = every[self.rows, 0] + cells + float(slope @ learner.intercepts) + constant
            if distance is not None:
                linear += distance
            if self._loose is not None:
                linear += self._loose[1]
            self._upper = (linear, slope)
        return self._upper

    def _tightening(self, at: np.ndarray, weight: float, loose: np.ndarray) -> np.ndarray:
        """What the bound of the partners at `at` loses when their exact cosine replaces the `loose` term of its
        `weight` (<= 0); the exact one moved by compact.SLACK, since its product here may round apart from
        `logit`'s."""
        missing = at[np.isnan(self._cosine[at])]
        if len(missing):
            self._cosine[missing] = features.vector_cosines(self.deal, self.index, self.rows[missing])
        exact = self._cosine[at]
        return np.minimum(weight * exact + abs(weight) * compact.SLACK - loose[at], 0.0)
