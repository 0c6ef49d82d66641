"""The routing policies the simulator compares (docs/matching.md, "The policies"). Pure.

Each implements `matching.engine.types.Policy` and asks `matching.engine.eligibility.exclusion` first, so
all of them choose among the same eligible partners:

    random   any eligible partner, uniformly
    keyword  the most declared tags in common with the request (industry, products, size); ties at random
    odoo     Odoo's partner assignment: the partners of the customer's country within a box of +/-2 deg
             latitude and +/-1.5 deg longitude around the customer, else +/-4/3, else +/-8/8, else anywhere in
             the country, else the nearest anywhere; among them a random pick weighted by the partner's
             grade (here from the deals it was seen to win, as a programme admin would set grades)
    oracle   the true chance of winning, from the market's hidden truth (an upper bound, not a policy)
    engine   the production engine, `matching.engine.policy.EnginePolicy`, learning only from `observe`
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from random import Random

import numpy as np

from matching.engine.eligibility import distance_km, exclusion
from matching.engine.types import Deal, Decision, Observation, Outcome, Partner, Policy, Scored
from matching.simulator import market as m

NAMES = ("random", "keyword", "odoo", "engine", "oracle")
# How many candidates a baseline's decision lists (best first): enough to explain, cheap to build.
RANKED = 10


class PolicyUnavailable(LookupError):
    """A policy that cannot run here (the engine before it lands, or an unknown name)."""


def make(name: str, market: m.Market) -> Policy:
    """A fresh policy for one run over `market` (only the oracle is given the market itself)."""
    factories: dict[str, Callable[[], Policy]] = {
        "random": RandomPolicy,
        "keyword": KeywordPolicy,
        "odoo": OdooPolicy,
        "oracle": lambda: OraclePolicy(market),
        "engine": lambda: _engine(market.seed),
    }
    if name not in factories:
        raise PolicyUnavailable(f"Unknown policy {name!r}; the policies are: {', '.join(NAMES)}.")
    return factories[name]()


def check(name: str) -> None:
    """Raise PolicyUnavailable, saying why, when `make(name, ...)` could not build the policy here."""
    if name not in NAMES:
        raise PolicyUnavailable(f"Unknown policy {name!r}; the policies are: {', '.join(NAMES)}.")
    if name == "engine":
        _engine_class()


def _engine(seed: int) -> Policy:
    return _engine_class()(seed=seed, explained=False)  # the same choices; the run reads no explanation


def _engine_class() -> type:
    try:
        from matching.engine.policy import EnginePolicy
    except ImportError as error:
        raise PolicyUnavailable(
            f"The engine policy is not available yet (matching.engine.policy.EnginePolicy: {error})."
        ) from error
    return EnginePolicy


def eligible(deal: Deal, partners: Sequence[Partner], asked: frozenset[int]) -> tuple[list[Partner], dict[int, str]]:
    """The partners the hard rules let `deal` go to, and the rule that excluded each of the others."""
    allowed: list[Partner] = []
    excluded: dict[int, str] = {}
    for partner in partners:
        rule = exclusion(deal, partner, asked)
        if rule:
            excluded[partner.profile_id] = rule
        else:
            allowed.append(partner)
    return allowed, excluded


def _decision(name: str, deal: Deal, ranked: list[Scored], count: int, excluded: dict[int, str]) -> Decision:
    return Decision(
        policy=name,
        model_version=name,
        deal_id=deal.request_id,
        ranked=tuple(ranked[: max(count, RANKED)]),
        chosen=tuple(s.profile_id for s in ranked[:count]),
        excluded=excluded,
    )


def _scored(profile_id: int, score: float, propensity: float = 1.0) -> Scored:
    return Scored(profile_id, score, 0.0, 0.0, 0.0, 0.0, propensity=propensity)


class RandomPolicy:
    name = "random"

    def decide(
        self, deal: Deal, partners: Sequence[Partner], count: int, asked: frozenset[int], now: datetime, rng: Random
    ) -> Decision:
        allowed, excluded = eligible(deal, partners, asked)
        picked = rng.sample(allowed, min(count, len(allowed)))
        propensity = min(1.0, count / len(allowed)) if allowed else 1.0
        ranked = [_scored(p.profile_id, 0.0, propensity) for p in picked]
        return _decision(self.name, deal, ranked, count, excluded)

    def observe(self, observation: Observation) -> None:
        return None


def tag_matches(deal: Deal, partner: Partner) -> float:
    """Declared tags in common: the industry counts double, each product once, the size half."""
    industry = 2.0 if deal.industry and deal.industry in partner.industries else 0.0
    size = 0.5 if deal.size and deal.size in partner.sizes else 0.0
    return industry + len(deal.products & partner.products) + size


class KeywordPolicy:
    name = "keyword"

    def decide(
        self, deal: Deal, partners: Sequence[Partner], count: int, asked: frozenset[int], now: datetime, rng: Random
    ) -> Decision:
        allowed, excluded = eligible(deal, partners, asked)
        keyed = heapq.nlargest(
            max(count, RANKED), ((tag_matches(deal, p), rng.random(), p.profile_id) for p in allowed)
        )
        ranked = [_scored(profile_id, score) for score, _, profile_id in keyed]
        return _decision(self.name, deal, ranked, count, excluded)

    def observe(self, observation: Observation) -> None:
        return None


# Odoo's expanding boxes: (+/- degrees latitude, +/- degrees longitude) around the customer.
ODOO_BOXES = ((2.0, 1.5), (4.0, 3.0), (8.0, 8.0))
# Grade weights by deals seen won: below 2 won, below 5, from 5 (Odoo's partner levels carry such weights).
ODOO_GRADES = ((5, 40), (2, 20), (0, 10))


class OdooPolicy:
    name = "odoo"

    def __init__(self) -> None:
        self.won: Counter[int] = Counter()

    def decide(
        self, deal: Deal, partners: Sequence[Partner], count: int, asked: frozenset[int], now: datetime, rng: Random
    ) -> Decision:
        allowed, excluded = eligible(deal, partners, asked)
        ranked: list[Scored] = []
        chosen: set[int] = set()
        for tier in self._tiers(deal, allowed):
            pool = [p for p in tier if p.profile_id not in chosen]
            while pool and len(ranked) < count:
                weights = [self.weight(p.profile_id) for p in pool]
                pick = rng.choices(range(len(pool)), weights)[0]
                partner = pool.pop(pick)
                chosen.add(partner.profile_id)
                ranked.append(_scored(partner.profile_id, weights[pick], weights[pick] / sum(weights)))
            if len(ranked) >= count:
                break
        return _decision(self.name, deal, ranked, count, excluded)

    def weight(self, profile_id: int) -> int:
        won = self.won[profile_id]
        return next(weight for least, weight in ODOO_GRADES if won >= least)

    def _tiers(self, deal: Deal, allowed: list[Partner]) -> Iterator[list[Partner]]:
        """The widening circles of candidates, computed only as far as they are needed."""
        local = [p for p in allowed if p.country == deal.country]
        if deal.lat is not None and deal.lon is not None:
            lat, lon = deal.lat, deal.lon
            for dlat, dlon in ODOO_BOXES:
                yield [p for p in local if any(abs(a.lat - lat) < dlat and abs(a.lon - lon) < dlon for a in p.places)]
        yield local
        if allowed:
            yield [min(allowed, key=lambda p: _km_or_far(deal, p))]

    def observe(self, observation: Observation) -> None:
        if observation.outcome == Outcome.WON:
            self.won[observation.profile_id] += 1


class OraclePolicy:
    """Routes by the true chance of winning, from the hidden truth: what a perfect model would do."""

    name = "oracle"

    def __init__(self, market: m.Market) -> None:
        self.market = market

    def decide(
        self, deal: Deal, partners: Sequence[Partner], count: int, asked: frozenset[int], now: datetime, rng: Random
    ) -> Decision:
        allowed, excluded = eligible(deal, partners, asked)
        if not allowed:
            return _decision(self.name, deal, [], count, excluded)
        index = np.array([p.profile_id - 1 for p in allowed])
        load = np.array([p.open_referrals / max(1, p.capacity or 1) for p in allowed])
        hours = (now - self.market.start) / timedelta(hours=1)
        answers, interested, decides, accepts, wins = m.chances(self.market, deal.request_id - 1, index, load, hours)
        value = float(self.market.requests.value_eur[deal.request_id - 1])
        success = answers * interested * decides * accepts * wins
        order = np.argsort(-success, kind="stable")[: max(count, RANKED)]
        ranked = [
            Scored(
                profile_id=allowed[k].profile_id,
                score=float(success[k] * value),
                p_interested=float(answers[k] * interested[k]),
                p_accept=float(decides[k] * accepts[k]),
                p_win=float(wins[k]),
                expected_value_eur=value,
            )
            for k in order
        ]
        return _decision(self.name, deal, ranked, count, excluded)

    def observe(self, observation: Observation) -> None:
        return None


def _km_or_far(deal: Deal, partner: Partner) -> float:
    km = distance_km(deal, partner)
    return float("inf") if km is None else km
