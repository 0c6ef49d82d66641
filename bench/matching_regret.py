"""Where the engine's won deals go, against the oracle's: `python -m bench.matching_regret [market] [seed]`
(a diagnosis, docs/matching-history.md "Where the gap goes"; not part of `make bench`).

It plays one market with the production engine, and at each decision after the warm-up compares, for every
eligible partner, the engine's estimate of each stage (answers in time, interested, accepts, wins, with its
timeliness and capacity factors) with the truth (`market.chances`), which only this diagnosis reads: the
engine still learns from observations alone. The oracle's partners are the k best by the truth at that same
decision (same loads), so the regret of a decision is what its chosen partners' true chances of a win lack of
theirs. Each oracle partner the engine passed over is paired with the weakest chosen partner the engine took
instead; the pair's regret is split:

- by stage, where the truth differs (LMDI: the log-ratio of each stage's true chance, times the log mean of the
  two products, adds up to the pair's regret exactly);
- by cause, one per pair, the first that holds: the engine's pick was its new-partner floor or an exploration;
  the passed-over partner is new to the engine (fewer than NEW_OFFERS offers); it truly wants the request's
  industry without declaring it (split by what the engine had heard of it in that industry: never asked, asked
  and never interested, interested before), or one of its products; the stage the engine misjudged most (its
  log error on the passed-over partner less that on its pick) is winning and the partner has fewer than
  FEW_CLOSED closed deals (win propensity unknown); it is the capacity discount (load); the interest stage, with
  the two partners more than FAR_KM apart in distance to the customer (distance); else that stage's name.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from bench.matching import SIMULATOR
from bench.matching_tune import START
from matching.engine import explain, features
from matching.engine.index import ELIGIBLE
from matching.engine.learner import INTEREST
from matching.engine.policy import EnginePolicy, capacity_discount, timeliness_factor
from matching.engine.types import Deal, Decision, Observation, Outcome, Partner
from matching.simulator import config as simulator_config
from matching.simulator import market as m
from matching.simulator.exchange import run_market

STAGES = ("answers", "timeliness", "interested", "accepts", "wins", "capacity")
TRUTH_STAGES = ("answers", "interested", "accepts", "wins")  # `decides` is the same for every partner
NEW_OFFERS = 10
FEW_CLOSED = 3
FAR_KM = 100.0


@dataclass
class Tally:
    decisions: int = 0
    regret: float = 0.0
    chosen_truth: float = 0.0
    oracle_truth: float = 0.0
    by_stage: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    by_cause: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    pairs_by_cause: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # mean (estimate - truth) in probability, per stage, for the chosen and the passed-over oracle partners
    error: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))


class Probe(EnginePolicy):
    """The production engine, unchanged, with a look at the truth after each of its decisions."""

    def __init__(self, market: m.Market) -> None:
        super().__init__(seed=market.seed, explained=False)
        self.market = market
        self.tally = Tally()
        self.closed: dict[int, int] = defaultdict(int)

    def observe(self, observation: Observation) -> None:
        if observation.outcome in (Outcome.WON, Outcome.LOST):
            self.closed[observation.profile_id] += 1
        super().observe(observation)

    def decide(self, deal: Deal, partners, count, asked, now, rng) -> Decision:  # type: ignore[no-untyped-def]
        decision = super().decide(deal, partners, count, asked, now, rng)
        if decision.chosen and deal.request_id > self.market.config.warmup_requests:
            self._compare(deal, asked, now, decision)
        return decision

    def _estimates(self, deal: Deal, asked: frozenset[int], now: datetime) -> tuple[np.ndarray, np.ndarray]:
        """The eligible rows and the engine's factors of each (len(rows), STAGES), as `decide` scores them."""
        index, learner = self.index, self.learner
        rows = np.flatnonzero(index.exclusions(deal, asked) == ELIGIBLE)
        km = features.distances(deal, index)
        logit = features.logits(deal, index, rows, learner.weights, learner.intercepts, km, learner.associations)
        positions = self._positions_of_slots(rows)
        declares = features.declared(index, "industries", deal.industry)[rows]
        inferred = features.inferred(deal, index, learner.associations, rows)[0]
        prediction = learner.predict_from_logits(deal, logit, positions, now, declares, inferred)
        p = _sigmoid(prediction.global_logit + prediction.cell_mean)
        answering = np.full(len(rows), learner.answering.overall())
        known, rates = learner.answering.known(positions, now.timestamp())
        answering[known] = rates
        timely = np.ones(len(rows))
        known, rates = learner.timely.known(positions, now.timestamp())
        timely[known] = timeliness_factor(rates, learner.timely.overall())
        discount = capacity_discount(features.load(index))[rows]
        return rows, np.column_stack([answering, timely, p[:, 0], p[:, 1], p[:, 2], discount])

    def _compare(self, deal: Deal, asked: frozenset[int], now: datetime, decision: Decision) -> None:
        market, index, tally = self.market, self.index, self.tally
        rows, estimate = self._estimates(deal, asked, now)
        profile_ids = index.profile_ids[rows]
        partners: list[Partner] = [index.partners[int(row)] for row in rows]
        load = features.load(index)[rows]
        hours = (now - market.start).total_seconds() / 3600.0
        r = deal.request_id - 1
        chances = m.chances(market, r, profile_ids - 1, load, hours)
        truth = np.column_stack([chances[0], chances[1], chances[3], chances[4]])
        true_win = chances.prod(axis=0)
        k = len(decision.chosen)
        position = {int(p): i for i, p in enumerate(profile_ids)}
        chosen = [position[p] for p in decision.chosen]
        oracle = list(np.argsort(-true_win, kind="stable")[:k])
        tally.decisions += 1
        tally.chosen_truth += float(true_win[chosen].sum())
        tally.oracle_truth += float(true_win[oracle].sum())
        boosts = {s.profile_id: s.boost for s in decision.ranked}
        for i in chosen:
            self._error(tally, "chosen", estimate[i], truth[i])
        missed = sorted((i for i in oracle if i not in chosen), key=lambda i: -true_win[i])
        instead = sorted((i for i in chosen if i not in oracle), key=lambda i: true_win[i])
        km = features.distances(deal, index)[rows]
        for o, c in zip(missed, instead, strict=True):
            self._error(tally, "passed over", estimate[o], truth[o])
            regret = float(true_win[o] - true_win[c])
            tally.regret += regret
            scale = _log_mean(true_win[o], true_win[c])
            for s, name in enumerate(TRUTH_STAGES):
                tally.by_stage[name] += scale * float(np.log(truth[o, s] / truth[c, s]))
            boost = boosts.get(int(profile_ids[c]), "")
            cause = self._cause(deal, partners, estimate, truth, km, o, c, boost, hours)
            tally.by_cause[cause] += regret
            tally.pairs_by_cause[cause] += 1

    def _cause(self, deal, partners, estimate, truth, km, o, c, boost, hours) -> str:  # type: ignore[no-untyped-def]
        tally = self.tally
        if boost == explain.NEW_PARTNER:
            return "the new-partner floor's pick"
        if boost == explain.EXPLORATION:
            return "an exploration pick"
        partner = partners[o]
        if self.learner.offer_count(partner.profile_id) < NEW_OFFERS:
            return f"new to the engine (< {NEW_OFFERS} offers)"
        undeclared = self._undeclared(deal, partner, hours)
        if undeclared == "product":
            return "undeclared product it wants (industry declared or not wanted)"
        if undeclared == "industry":
            yes, asked = self.learner.counts(INTEREST, "i:" + deal.industry, partner.profile_id)
            if yes:
                for s, name in enumerate(TRUTH_STAGES):
                    tally.error[("heard interested", name)].append(float(estimate[o, STAGES.index(name)] - truth[o, s]))
                return "undeclared industry it wants, heard interested in it before"
            return "undeclared industry it wants, " + ("asked, never interested" if asked else "never asked in it")
        # The engine's log error on each stage: how much more it thought of its pick than of the passed-over
        # partner, beyond what the truth says (factors without a true counterpart are compared with 1).
        truth_full = np.ones((2, len(STAGES)))
        for s, name in enumerate(TRUTH_STAGES):
            truth_full[:, STAGES.index(name)] = truth[[c, o], s]
        error = np.log(estimate[c] / estimate[o]) - np.log(truth_full[0] / truth_full[1])
        worst = STAGES[int(np.argmax(error))]
        if worst == "wins" and self.closed[partner.profile_id] < FEW_CLOSED:
            return f"win propensity unknown (< {FEW_CLOSED} closed deals)"
        if worst == "wins":
            return "win propensity misjudged"
        if worst == "capacity":
            return "load (capacity discount)"
        if worst == "interested" and abs(np.nan_to_num(km[o]) - np.nan_to_num(km[c])) > FAR_KM:
            return "distance"
        return f"{worst} misjudged"

    def _undeclared(self, deal: Deal, partner: Partner, hours: float) -> str:
        """ "industry" when the partner truly wants the request's industry without declaring it, else "product"
        when it wants one of its products without declaring it, else ""."""
        market, r = self.market, deal.request_id - 1
        i = partner.profile_id - 1
        phase = 1 if market.shifted(hours) else 0
        industry = int(market.requests.industry[r])
        if market.truth.industry_affinity[phase, i, industry] > 0 and deal.industry not in partner.industries:
            return "industry"
        wanted = any(
            market.truth.product_affinity[phase, i, int(p)] > 0 and f"product{int(p)}" not in partner.products
            for p in market.requests.products[r]
        )
        return "product" if wanted else ""

    @staticmethod
    def _error(tally: Tally, who: str, estimate: np.ndarray, truth: np.ndarray) -> None:
        for s, name in enumerate(TRUTH_STAGES):
            tally.error[(who, name)].append(float(estimate[STAGES.index(name)] - truth[s]))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def _log_mean(a: float, b: float) -> float:
    return float((a - b) / np.log(a / b)) if a > 0 and b > 0 and abs(a - b) > 1e-12 else float(a)


def report(tally: Tally) -> None:
    total = tally.regret or 1.0
    print(
        f"{tally.decisions} decisions after the warm-up; true win chance of the chosen {tally.chosen_truth:.1f},"
        f" of the oracle's {tally.oracle_truth:.1f} (engine {tally.chosen_truth / tally.oracle_truth:.1%});"
        f" regret {tally.regret:.1f}"
    )
    print("\nRegret by stage (where the truth of the passed-over partner beats the pick's):")
    for name in TRUTH_STAGES:
        print(f"  {name:12s} {tally.by_stage[name]:8.1f}  {tally.by_stage[name] / total:6.1%}")
    print("\nRegret by cause:")
    for cause, regret in sorted(tally.by_cause.items(), key=lambda item: -item[1]):
        print(f"  {cause:62s} {regret:8.1f}  {regret / total:6.1%}  ({tally.pairs_by_cause[cause]} pairs)")
    print("\nMean estimate - truth (probability), chosen / passed over / passed over, heard interested before:")
    for name in TRUTH_STAGES:
        chosen, passed, heard = (tally.error[(who, name)] for who in ("chosen", "passed over", "heard interested"))
        print(f"  {name:12s} {np.mean(chosen):+.3f} / {_mean(passed):+.3f} / {_mean(heard):+.3f}")


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "default"
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    market = m.build_market(simulator_config.load(SIMULATOR / f"{name}.toml"), seed, START)
    probe = Probe(market)
    run_market(market, probe)
    print(f"{name} market, seed {seed}")
    report(probe.tally)
    learned = probe.learner
    print("\nLearned at the end: stacking", np.round(learned.stacking, 3).tolist())
    print("  gaps", {kind: round(gap, 3) for kind, gap in learned.memberships.gaps.items()})
    for name in ("load", "industry_match", "product_overlap", "log_km", "km_near", "local", "industry_inferred"):
        weights = learned.weights[:, features.COLUMN[name]]
        print(f"  weights of {name} (interest, accept, win):", np.round(weights, 3).tolist())
    for stage, variances in zip(("interest", "accept", "win"), learned.prior_variances, strict=True):
        print(f"  prior variances, {stage}:", {kind: round(v, 3) for kind, v in variances.items()})


if __name__ == "__main__":
    main()
