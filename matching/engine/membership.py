"""Whether a partner works in an industry, or offers a product, as a two-point belief per (partner, code). Pure.

A firm works in an industry or it does not: its interest in a request of that industry is high or low, not
somewhere on a continuum. So the interest stage does not learn a partner's industries and products as Gaussian
cells (one small Laplace step per answer, many answers before an undeclared industry is routed to it) but as
P(it works in X), which starts at a base rate (one for codes it declared, one for codes it did not, raised for an
undeclared industry by its association with the products the partner declares: INFERRED_LIFT) and is moved
by each interest answer's likelihood ratio: one "interested" in an undeclared industry multiplies the odds by
several, and a skip of a declared one divides them. The evidence (the sum of the log ratios) fades with
the engine's half-life (fading.py), so an old belief drifts back to the base rate, and it is held within
EVIDENCE_CAP, so a few skips undo it after a partner moves on, however long its record.

The belief enters the interest log-odds as gap * (P(works) - base rate): 0 before any answer, where the global
model already says what a declared (or inferred) code means; `gap` is the log-odds between a partner that works
in X and one that does not. The gaps are learned from the labels at each refit (the learner's `_fit_global`);
the base rates are hand-set, the undeclared one optimistically (LEARN_BASE_RATES: `estimate_base_rates`).
An industry's term weighs fully; each of a request's k products weighs 1/k (as `product_overlap` is a share).
A partner's industry beliefs are coupled (COUPLING): the mass its recorded ones lose against their base rates
moves to its undeclared industries' priors, and a confirmed undeclared one takes it back from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import exp, log
from typing import TypeVar

import numpy as np

from matching.engine import fading
from matching.engine.types import Deal, Partner

T = TypeVar("T", float, np.ndarray)

# P(works in X) before any answer, for a code it did not declare and for one it did, by kind. The undeclared
# rate is optimistic (the beliefs that heard answers say about 0.06): it is what makes a partner's undeclared
# codes worth a draw, and measured better under stress than the learned rate (docs/matching-history.md).
PRIOR_BASE_RATE = {"i": (0.2, 0.7), "p": (0.2, 0.6)}
LEARN_BASE_RATES = False  # whether each refit moves them toward the beliefs' (estimate_base_rates)
PRIOR_GAP = {"i": 2.0, "p": 1.5}  # log-odds between working in X and not
GAP_RANGE = (0.5, 5.0)  # above 0: with no gap no answer moves a belief, and no belief could teach one again
MIN_GAP_LABELS = 200  # interest labels read with a moved belief before the gaps are learned from them
BASE_RATE_WEIGHT = 20.0  # the hand-set base rate counts as this many beliefs
BASE_RATE_RANGE = (0.01, 0.99)
KINDS = ("i", "p")
# A firm works in one or two industries, so a partner's industry beliefs share one expected count: the mass its
# recorded industry beliefs lose against their base rates (skips of what it declared) moves to its undeclared
# industries' priors, and the mass a confirmed undeclared one gains comes back out of them; this many of each
# unit of it lands on each undeclared industry (more than 1 / their number, as the undeclared base rate is
# optimistic: measured 0.06, 0.15, 0.3 in docs/matching-history.md). 0: independent beliefs.
COUPLING = 0.3
# A partner can change what it does: a belief is then a two-state chain that may switch, and such a chain's
# filtered log-odds never pass about log(1 / its switching hazard), however many answers agreed. So the evidence
# is held within this many log-odds (P(works) at most 0.97 from the undeclared base rate, 0.995 from the
# declared one): twenty "interested" answers in an industry are not undone by twenty skips after the partner
# left it, but by a handful. Measured under stress, every seed up (docs/matching-history.md).
EVIDENCE_CAP = 5.0
# An undeclared industry is far likelier where the partner declares products that requests of that industry name
# (`features.inferred`, 0..1): so its base rate rises from the undeclared one by this much of the association.
INFERRED_LIFT = 0.3


def keys(industry: str, products: Sequence[str]) -> list[tuple[str, float]]:
    """The belief keys a request of `industry` and `products` reads, each with its share of its kind's gap."""
    found = [("i:" + industry, 1.0)] if industry else []
    found += [("p:" + product, 1.0 / len(products)) for product in sorted(products)]
    return found


def declared_codes(deal: Deal, partner: Partner) -> frozenset[str]:
    """The deal's industry and products the partner declared, as belief keys."""
    codes = {"i:" + deal.industry} if deal.industry and deal.industry in partner.industries else set()
    return frozenset(codes | {"p:" + product for product in deal.products & partner.products})


@dataclass
class Beliefs:
    """One code's beliefs per partner slot, as growing arrays for vectorised reading."""

    slots: list[int] = field(default_factory=list)
    position: dict[int, int] = field(default_factory=dict)
    evidence: list[float] = field(default_factory=list)  # the sum of log likelihood ratios, faded to `at`
    at: list[float] = field(default_factory=list)
    declared: list[bool] = field(default_factory=list)
    inferred: list[float] = field(default_factory=list)  # the industry's association with the declared products
    successes: list[int] = field(default_factory=list)  # raw counts, for the words a partner reads
    trials: list[int] = field(default_factory=list)
    _arrays: tuple[np.ndarray, ...] | None = None

    def get(self, slot: int, at: float) -> tuple[float, bool, float] | None:
        """(the faded evidence, declared, inferred) of a slot with a record, else None."""
        i = self.position.get(slot)
        if i is None:
            return None
        return self.evidence[i] * fading.fade(at - self.at[i]), self.declared[i], self.inferred[i]

    def add(self, slot: int, declared: bool, inferred: float, ratio: float, at: float, success: bool) -> None:
        i = self.position.get(slot)
        if i is None:
            i = self.position[slot] = len(self.slots)
            self.slots.append(slot)
            self.evidence.append(0.0)
            self.at.append(at)
            self.declared.append(declared)
            self.inferred.append(inferred)
            self.successes.append(0)
            self.trials.append(0)
        faded = self.evidence[i] * fading.fade(at - self.at[i])
        self.evidence[i] = min(EVIDENCE_CAP, max(-EVIDENCE_CAP, faded + ratio))
        self.at[i] = max(self.at[i], at)
        self.successes[i] += int(success)
        self.trials[i] += 1
        self._arrays = None

    def arrays(self) -> tuple[np.ndarray, ...]:
        if self._arrays is None:
            self._arrays = (
                np.array(self.slots, dtype=np.intp),
                np.array(self.evidence),
                np.array(self.at),
                np.array(self.declared, dtype=bool),
                np.array(self.inferred),
            )
        return self._arrays

    def counts(self, slot: int) -> tuple[int, int]:
        i = self.position.get(slot)
        return (0, 0) if i is None else (self.successes[i], self.trials[i])


class Memberships:
    """Every (partner slot, industry or product) belief, with the gaps and base rates they are read with."""

    def __init__(self) -> None:
        self.tables: dict[str, Beliefs] = {}
        self.gaps = dict(PRIOR_GAP)
        self.base_rates = {kind: list(rates) for kind, rates in PRIOR_BASE_RATE.items()}

    def forget(self) -> None:
        """Drop the beliefs, keep the gaps and base rates learned (a refit replays the answers with them)."""
        self.tables = {}

    def base_rate(self, key: str, declared: bool, inferred: float = 0.0) -> float:
        """P(works in `key`) before any answer: by whether the partner declared it, and for an undeclared
        industry by its association with the products the partner declares (INFERRED_LIFT)."""
        rate = self.base_rates[key[0]][int(declared)]
        return rate if declared else float(_lifted(key, rate, inferred))

    def _rates(self, key: str, declared: np.ndarray, inferred: np.ndarray) -> np.ndarray:
        """`base_rate` of each (declared, inferred)."""
        rates = np.array(self.base_rates[key[0]])[declared.astype(np.intp)]
        return np.where(declared, rates, _lifted(key, rates, inferred))

    def terms(
        self,
        industry: str,
        products: Sequence[str],
        slot: int,
        declared: frozenset[str],
        at: float,
        inferred: float = 0.0,
    ) -> list[tuple[str, float, float, float]]:
        """(key, weight, P(works), base rate) of each belief a request reads, weight its log-odds gap;
        `inferred`: the pair's `industry_inferred`, read by an industry without a record."""
        found = []
        for key, share in keys(industry, products):
            table = self.tables.get(key)
            record = table.get(slot, at) if table is not None else None
            evidence, said, association = record if record is not None else (0.0, key in declared, inferred)
            prior = self.base_rate(key, said, association)
            start = prior if said or key[0] != "i" else float(_coupled(prior, self.moved(slot, at, key)))
            found.append((key, share * self.gaps[key[0]], _sigmoid(_logit(start) + evidence), prior))
        return found

    def moved(self, slot: int, at: float, without: str) -> float:
        """The mass the slot's industry beliefs other than `without` lost against their base rates (each read
        from its base rate, uncoupled, so that no belief's prior depends on its own)."""
        if not COUPLING:
            return 0.0
        lost = 0.0
        for key, table in self.tables.items():
            record = table.get(slot, at) if key[0] == "i" and key != without else None
            if record is not None:
                prior = self.base_rate(key, record[1], record[2])
                lost += prior - _sigmoid(_logit(prior) + record[0])
        return lost

    def term(
        self,
        industry: str,
        products: Sequence[str],
        slot: int,
        declared: frozenset[str],
        at: float,
        inferred: float = 0.0,
    ) -> float:
        """The beliefs' part of the interest log-odds."""
        return sum(w * (p - prior) for _, w, p, prior in self.terms(industry, products, slot, declared, at, inferred))

    def columns(
        self,
        industry: str,
        products: Sequence[str],
        slot: int,
        declared: frozenset[str],
        at: float,
        inferred: float = 0.0,
    ) -> tuple[float, float]:
        """(P(works) - base rate of the industry, the mean of it over the products): the terms without their
        gaps, the columns from which the interest model learns the gaps."""
        by_kind = {"i": 0.0, "p": 0.0}
        for key, w, p, prior in self.terms(industry, products, slot, declared, at, inferred):
            gap = self.gaps[key[0]]
            by_kind[key[0]] += (w / gap if gap else 0.0) * (p - prior)
        return by_kind["i"], by_kind["p"]

    def learn(
        self,
        industry: str,
        products: Sequence[str],
        slot: int,
        declared: frozenset[str],
        logit: float,
        interested: bool,
        at: float,
        inferred: float = 0.0,
    ) -> None:
        """Each belief moved by the answer's likelihood ratio, given the pair's interest log-odds `logit` with
        every belief at its current value (the others held there: one answer, one step each)."""
        for key, w, p, prior in self.terms(industry, products, slot, declared, at, inferred):
            rest = logit - w * (p - prior)
            works, not_works = (
                _log_likelihood(interested, rest + w * (1 - prior)),
                _log_likelihood(interested, rest - w * prior),
            )
            table = self.tables.setdefault(key, Beliefs())
            table.add(slot, key in declared, inferred if key[0] == "i" else 0.0, works - not_works, at, interested)

    def add(
        self,
        industry: str,
        products: Sequence[str],
        position: np.ndarray,
        now: float,
        mean: np.ndarray,
        variance: np.ndarray,
        declares: np.ndarray | None = None,
        inferred: np.ndarray | None = None,
    ) -> None:
        """Add each slot's beliefs' term to `mean` and their spread to `variance` (rows by `position`, -1: not
        among them): the Gaussian the interest stage's Thompson draw takes, against `prior_variance`'s.
        `declares`: whether each row's partner declared `industry`, `inferred` its `industry_inferred` (None:
        only the rows with a record of it differ from a partner without one)."""
        for key, share in keys(industry, products):
            table = self.tables.get(key)
            w = share * self.gaps[key[0]]
            if key[0] == "i":
                lost = self._lost(position, now) if COUPLING else np.zeros(len(position))
                self._add_industry(key, table, position, now, lost, declares, inferred, w, mean, variance)
                continue
            if table is None or not table.slots:
                continue
            slots, evidence, at, declared, _ = table.arrays()
            rows = position[slots]
            present = rows >= 0
            rates = np.array(self.base_rates[key[0]])[declared[present].astype(np.intp)]
            p = _sigmoids(np.log(rates / (1.0 - rates)) + evidence[present] * fading.fades(now, at[present]))
            mean[rows[present]] += w * (p - rates)
            variance[rows[present]] += w * w * (p * (1.0 - p) - self._spread(key))

    def _lost(self, position: np.ndarray, now: float) -> np.ndarray:
        """`moved` of every slot (by slot), over all its industry beliefs."""
        lost = np.zeros(len(position))
        for key, table in self.tables.items():
            if key[0] == "i" and table.slots:
                lost[table.arrays()[0]] += self._lost_by(key, table, now)
        return lost

    def _lost_by(self, key: str, table: Beliefs, now: float) -> np.ndarray:
        _, evidence, at, declared, inferred = table.arrays()
        rates = self._rates(key, declared, inferred)
        return np.asarray(rates - _sigmoids(np.log(rates / (1.0 - rates)) + evidence * fading.fades(now, at)))

    def _add_industry(
        self,
        key: str,
        table: Beliefs | None,
        position: np.ndarray,
        now: float,
        lost: np.ndarray,
        declares: np.ndarray | None,
        inferred: np.ndarray | None,
        w: float,
        mean: np.ndarray,
        variance: np.ndarray,
    ) -> None:
        """`add` of an industry's beliefs, each undeclared one's prior raised by its association and moved by
        the slot's other industries'."""
        n = len(position)
        evidence, said, recorded, others = np.zeros(n), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), lost.copy()
        association = np.zeros(n)
        known = position >= 0
        if declares is not None:
            said[known] = declares[position[known]]
        if inferred is not None:
            association[known] = inferred[position[known]]
        if table is not None and table.slots:
            slots, faded, at, declared, first = table.arrays()
            evidence[slots] = faded * fading.fades(now, at)
            said[slots] = declared
            association[slots] = first
            recorded[slots] = True
            if COUPLING:
                others[slots] -= self._lost_by(key, table, now)
        moved = (others != 0.0) & (declares is not None)
        touched = known & (recorded | (~said & (moved | (association != 0.0))))
        rates = self._rates(key, said[touched], association[touched])
        start = np.where(said[touched], rates, _coupled(rates, others[touched]))
        p = _sigmoids(np.log(start / (1.0 - start)) + evidence[touched])
        rows = position[touched]
        mean[rows] += w * (p - rates)
        variance[rows] += w * w * (p * (1.0 - p) - self._spread(key))

    def prior_variance(self, industry: str, products: Sequence[str]) -> float:
        """The beliefs' spread (log-odds) for a partner without a record: an undeclared code's."""
        total = 0.0
        for key, share in keys(industry, products):
            w = share * self.gaps[key[0]]
            total += w * w * self._spread(key)
        return total

    def _spread(self, key: str) -> float:
        prior = self.base_rate(key, False)
        return prior * (1.0 - prior)

    def counts(self, key: str, slot: int) -> tuple[int, int]:
        table = self.tables.get(key)
        return (0, 0) if table is None else table.counts(slot)

    def estimate_base_rates(self, now: float) -> None:
        """Empirical Bayes, as the cells' prior variances: the mean P(works) of the beliefs that heard an answer,
        declared and not, shrunk toward the hand-set rate by BASE_RATE_WEIGHT beliefs."""
        sums = {(kind, said): [0.0, 0.0] for kind in KINDS for said in (False, True)}
        for key, table in self.tables.items():
            for slot in table.slots:
                evidence, said, inferred = table.get(slot, now) or (0.0, False, 0.0)
                found = sums[(key[0], said)]
                found[0] += _sigmoid(_logit(self.base_rate(key, said, inferred)) + evidence)
                found[1] += 1.0
        for (kind, said), (total, count) in sums.items():
            estimate = (total + BASE_RATE_WEIGHT * PRIOR_BASE_RATE[kind][int(said)]) / (count + BASE_RATE_WEIGHT)
            self.base_rates[kind][int(said)] = float(np.clip(estimate, *BASE_RATE_RANGE))

    def learned_gaps(self, industry: float, product: float) -> None:
        """The gaps the interest model fitted on `columns` (kept in GAP_RANGE)."""
        self.gaps = {"i": float(np.clip(industry, *GAP_RANGE)), "p": float(np.clip(product, *GAP_RANGE))}


def _lifted(key: str, rate: T, inferred: T) -> T:
    """An undeclared code's base rate `rate`, raised by its association (INFERRED_LIFT; industries only)."""
    if key[0] != "i" or not INFERRED_LIFT:
        return rate
    return np.minimum(rate + INFERRED_LIFT * inferred, BASE_RATE_RANGE[1])


def _coupled(prior: T, lost: T) -> T:
    """An undeclared industry's prior, moved by what the partner's other industry beliefs lost (COUPLING)."""
    return np.clip(prior + COUPLING * lost, *BASE_RATE_RANGE)


def _log_likelihood(interested: bool, logit: float) -> float:
    """log P(the answer | interest log-odds `logit`)."""
    return -_softplus(-logit) if interested else -_softplus(logit)


def _softplus(x: float) -> float:
    return x + log(1.0 + exp(-x)) if x > 0 else log(1.0 + exp(x))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + exp(-x)) if x >= 0 else exp(x) / (1.0 + exp(x))


def _logit(p: float) -> float:
    return log(p / (1.0 - p))


def _sigmoids(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))
