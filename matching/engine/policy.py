"""The production routing policy: the hard rules, then the expected value of sending, with one bounded probe
of what the engine does not know yet and a floor of exposure for qualified new partners. Learns only from what
`observe` gets.

A decision:
1. asks `eligibility.exclusion` of every partner (through the index's memo) and lists the excluded;
2. scores each eligible partner: P(interested) * P(accept | interested) * P(win | accepted) * E[value]
   * capacity discount (1 - (open / capacity)^1.5: a partner nearing its capacity gets less, nothing at it);
3. reserves one place for a qualified new partner (joined in the last NEW_PARTNER_DAYS, offered fewer than
   NEW_PARTNER_OFFERS requests, its declared industry, products or services match the request): the one with
   the fewest offers so far, ties drawn uniformly, so its propensity is exact;
4. fills the other places greedily by expected value, except that the last of two or more places may be a
   probe (`_probe_pick`, docs/matching-history.md "Exploration that pays"): one partner whose score, with its
   interest stage's log-odds PROBE_OPTIMISM posterior sds higher, would beat the greedy last pick's, drawn in
   proportion to by how much times its answering habits squared (PROBE_FAST), at a rate that rises as the probe
   gets cheaper (`probe_rate`, decision 81). The first place is never a probe, a decision has at most one, and
   each pick's propensity is exact: 1 for the places before the last, 1 - the rate for the greedy last pick
   (when a probe was possible), the rate * its share of the weights for a probe.
5. `ranked` holds the best RANKED partners by expected value and every chosen one, each with its
   contributions (explain.py); its `score` is their sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from random import Random

import numpy as np

from matching.engine import cut, explain, features
from matching.engine import learner as learning
from matching.engine.index import ELIGIBLE, PartnerIndex
from matching.engine.learner import Learner, Prediction
from matching.engine.membership import declared_codes
from matching.engine.scores import Scores
from matching.engine.types import Deal, Decision, Observation, Partner, Scored

NEW_PARTNER_DAYS = 30
NEW_PARTNER_OFFERS = 5
# A probe is sent where its answer comes within a day and teaches the interest stage's cells of the request's
# industry and products; acceptance and winning are learned from few answers, weeks later, so not probed for.
# How often the last place goes to a probe (`probe_rate`): PROBE_RATE where the probe is expected to lose now as
# much as it may find, up to PROBE_RATE_MOST where it costs nothing.
PROBE_RATE = 0.5
PROBE_RATE_MOST = 0.9
PROBE_OPTIMISM = 2.0  # the interest stage's posterior sds a probe's upside is counted at
PROBE_STAGES = (1.0, 0.0, 0.0)  # whose uncertainty is probed for: interest only
PROBE_FAST = 2.0  # a probe's weight: its upside times its answering habits (`habits`) to this power
PROBE_CANDIDATES = 16  # the partners with the best optimistic scores a probe is drawn among
# A partner's capacity is the programme's to spend on the requests that need it most: the discount (1 - u^1.5 for
# u = open / capacity) leaves a score whole with room to spare, takes 35% of it half full and all of it at
# capacity, so a near-full partner goes to the requests where it beats the others by most (decision 83).
CAPACITY_PENALTY = 1.0  # the share of a score lost at capacity
CAPACITY_POWER = 1.5  # how the loss grows with the load: later than in proportion, sooner than its square
LATE_PENALTY = 0.6  # the share of a score lost when the first answer comes after TIMELY_HOURS (decision 79)
RANKED = 20


class EnginePolicy:
    name = "engine"

    def __init__(self, seed: int = 0, *, explained: bool = True) -> None:
        """`explained=False` (the simulator, which reads only who was chosen) lists just the chosen partners,
        without contributions: the same choices, without the words that cost half a decision's time."""
        self.seed = seed
        self.explained = explained
        self.index = PartnerIndex()
        self.learner = Learner()

    @property
    def model_version(self) -> str:
        return self.learner.version

    def know(self, deals: Iterable[Deal], partners: Sequence[Partner]) -> None:
        """Learn of requests and profiles the engine did not route itself (a person or the finder chose the
        partners), so the answers to them teach it too; `partners` becomes the profiles it knows."""
        self.index.sync(partners)
        for deal in deals:
            self.learner.deals.setdefault(deal.request_id, deal)

    def observe(self, observation: Observation) -> None:
        self._remember_pair(observation)
        self._associate(observation)
        self.learner.observe(observation)

    def fit(self, observations: Sequence[Observation]) -> None:
        """A full, deterministic refit from `observations` (of deals this engine decided on)."""
        for observation in observations:
            self._remember_pair(observation)
            self._associate(observation)
        self.learner.fit(observations)

    def _associate(self, observation: Observation) -> None:
        """A request's industry and products count once it was offered, after the features of its first pair:
        so an engine replaying the history (a refit, another process) infers what the deciding one did."""
        deal = self.learner.deals.get(observation.request_id)
        if deal is not None:
            self.learner.associations.add(deal)

    def decide(
        self, deal: Deal, partners: Sequence[Partner], count: int, asked: frozenset[int], now: datetime, rng: Random
    ) -> Decision:
        index = self.index
        index.sync(partners)
        self.learner.deals[deal.request_id] = deal
        codes = index.exclusions(deal, asked)
        excluded = index.excluded(codes)
        rows = np.flatnonzero(codes == ELIGIBLE)
        if not len(rows):
            return Decision(self.name, self.model_version, deal.request_id, (), (), excluded)

        learner = self.learner
        positions = self._positions_of_slots(rows)
        speed = habits(learner, positions, len(rows), now.timestamp())
        discount = index.memo(
            ("discount", CAPACITY_PENALTY, CAPACITY_POWER), lambda at: capacity_discount(features.load(index)[at])
        )[rows]
        scores = Scores(deal, index, learner, rows, positions, discount * speed, now)
        generator = np.random.default_rng([self.seed, rng.getrandbits(64)])

        places = min(count, len(rows))
        picks: list[tuple[int, str, float]] = []  # (position in rows, boost, propensity)
        floor = self._floor_pick(deal, rows, now, generator) if places else None
        if floor is not None:
            picks.append(floor)
        best = scores.top(RANKED + places)  # the value is the same for every partner
        picks = self._greedy_picks(scores, speed, best, places, picks, generator)

        chosen = [int(index.profile_ids[rows[position]]) for position, _, _ in picks]
        # Full feature rows only for the candidates listed: the learner keeps the chosen ones' to learn from.
        listed = sorted(set(best[:RANKED].tolist() if self.explained else ()) | {position for position, _, _ in picks})
        at = np.array(listed, dtype=np.intp)
        x = dict(enumerate(features.matrix(deal, index, rows[at], scores.km_at(rows[at]), self.learner.associations)))
        compact = {position: i for i, position in enumerate(listed)}
        picks = [(compact[position], boost, propensity) for position, boost, propensity in picks]
        for position, _, _ in picks:
            row = int(rows[at[position]])
            declared = declared_codes(deal, index.partners[row])
            self.learner.remember(deal, int(index.profile_ids[row]), x[position], declared)
        prediction = scores.prediction(at)
        ranked = self._ranked(deal, x, rows[at], prediction, discount[at], speed[at], list(range(len(listed))), picks)
        return Decision(self.name, self.model_version, deal.request_id, ranked, tuple(chosen), excluded)

    def _positions_of_slots(self, rows: np.ndarray) -> np.ndarray:
        """Where each partner the learner knows is among the eligible `rows` (-1 when it is not)."""
        position_of_row = np.full(len(self.index), -1, dtype=np.intp)
        position_of_row[rows] = np.arange(len(rows))
        index_rows = self.index.rows_of_profiles(self.learner.profile_of_slot())
        return np.where(index_rows >= 0, position_of_row[index_rows], -1)

    def _floor_pick(
        self, deal: Deal, rows: np.ndarray, now: datetime, generator: np.random.Generator
    ) -> tuple[int, str, float] | None:
        index = self.index
        since = (now - timedelta(days=NEW_PARTNER_DAYS)).timestamp()
        recent = np.flatnonzero(index.joined >= since)
        recent = recent[features.qualifies(deal, index)[recent]]
        at = np.minimum(np.searchsorted(rows, recent), len(rows) - 1)
        new = at[rows[at] == recent]  # the eligible ones, as positions in rows
        offer_count = self.learner.offer_count
        offers = [offer_count(p) for p in index.profile_ids[rows[new]].tolist()]
        hungry = [(n, position) for n, position in zip(offers, new.tolist(), strict=True) if n < NEW_PARTNER_OFFERS]
        if not hungry:
            return None
        fewest = min(n for n, _ in hungry)
        ties = sorted(position for n, position in hungry if n == fewest)
        return ties[int(generator.integers(len(ties)))], explain.NEW_PARTNER, 1.0 / len(ties)

    def _greedy_picks(
        self,
        scores: Scores,
        speed: np.ndarray,
        best: np.ndarray,
        places: int,
        picks: list[tuple[int, str, float]],
        generator: np.random.Generator,
    ) -> list[tuple[int, str, float]]:
        """The places left by expected value, the last of two or more perhaps a probe (`_probe_pick`)."""
        left = places - len(picks)
        if left <= 0:
            return picks
        taken = {position for position, _, _ in picks}
        greedy = [position for position in best.tolist() if position not in taken][:left]
        picks.extend((position, "", 1.0) for position in greedy[:-1])
        last = greedy[-1]
        probe = self._probe_pick(scores, speed, last, frozenset(taken | set(greedy)), generator) if left >= 2 else None
        picks.append(probe if probe is not None else (last, "", 1.0))
        return picks

    def _probe_pick(
        self, scores: Scores, speed: np.ndarray, last: int, taken: frozenset[int], generator: np.random.Generator
    ) -> tuple[int, str, float] | None:
        """The last place: the greedy pick `last` (None: it stays) or a probe, each with its exact propensity.
        A probe's upside is what its optimistic score (its interest as if it liked this kind of deal as much as
        PROBE_OPTIMISM sds allow) exceeds `last`'s score by: a partner the engine knows well has none, and one
        it knows nothing about but that would be a poor pick even if it liked the deal has none either. The
        upside is weighed by how soon the partner answers: a quick No thanks lets the cascade ask the next."""
        stages = np.array(PROBE_STAGES)
        # Among the partners the greedy places already scored (all of them in a small market; those whose bound
        # came near the top among 100,000): an optimistic pass over every partner would double a decision's time.
        pool = scores.scored()
        optimistic = _sigmoid(scores.logit(pool) + PROBE_OPTIMISM * scores.sd(pool, stages)).prod(axis=1)
        optimistic *= scores.factor[pool]
        optimistic[np.isin(pool, list(taken))] = 0.0
        best = cut.top(optimistic, min(PROBE_CANDIDATES, len(pool) - len(taken)))
        best = best[~np.isin(pool[best], list(taken))]
        if not len(best):
            return None
        candidates = pool[best]
        last_score = scores.exact(np.array([last]))[0]
        upside = np.maximum(optimistic[best] - last_score, 0.0)
        weight = upside * speed[candidates] ** PROBE_FAST
        if not weight.any():
            return None
        share = weight / weight.sum()
        loss = np.maximum(last_score - scores.exact(candidates), 0.0)
        rate = probe_rate(share, upside, loss)
        if generator.random() >= rate:
            return last, "", 1.0 - rate
        chosen = int(generator.choice(len(candidates), p=share))
        return int(candidates[chosen]), explain.EXPLORATION, rate * float(share[chosen])

    def _ranked(
        self,
        deal: Deal,
        x: dict[int, np.ndarray],
        rows: np.ndarray,
        prediction: Prediction,
        discount: np.ndarray,
        speed: np.ndarray,
        positions: list[int],
        picks: list[tuple[int, str, float]],
    ) -> tuple[Scored, ...]:
        chosen = {position: (boost, propensity) for position, boost, propensity in picks}
        if not self.explained:
            return self._unexplained(rows, prediction, discount * speed, positions, chosen)
        candidates = [
            explain.Candidate(
                partner=self.index.partners[int(rows[position])],
                features=x[position],
                global_logit=prediction.global_logit[position],
                cell_mean=prediction.cell_mean[position],
                value_eur=prediction.value_eur,
                baseline_value_eur=prediction.value_baseline_eur,
                discount=float(discount[position]),
                speed=float(speed[position]),
                boost=chosen.get(position, ("", 0.0))[0],
            )
            for position in positions
        ]
        probabilities = _sigmoid(prediction.global_logit[positions] + prediction.cell_mean[positions])
        scored = [
            Scored(
                profile_id=candidate.partner.profile_id,
                score=explain.total(parts),
                p_interested=float(p[0]),
                p_accept=float(p[1]),
                p_win=float(p[2]),
                expected_value_eur=prediction.value_eur,
                contributions=parts,
                boost=candidate.boost,
                propensity=chosen.get(position, ("", 0.0))[1],
            )
            for position, candidate, parts, p in zip(
                positions, candidates, explain.contributions(deal, candidates, self.learner), probabilities, strict=True
            )
        ]
        scored.sort(key=lambda s: (-s.score, s.profile_id))
        return tuple(scored)

    def _unexplained(
        self,
        rows: np.ndarray,
        prediction: Prediction,
        factor: np.ndarray,
        positions: list[int],
        chosen: dict[int, tuple[str, float]],
    ) -> tuple[Scored, ...]:
        p = _sigmoid(prediction.global_logit[positions] + prediction.cell_mean[positions])
        scored = [
            Scored(
                profile_id=self.index.partners[int(rows[position])].profile_id,
                score=float(np.prod(p[i]) * prediction.value_eur * factor[position]),
                p_interested=float(p[i, 0]),
                p_accept=float(p[i, 1]),
                p_win=float(p[i, 2]),
                expected_value_eur=prediction.value_eur,
                boost=chosen.get(position, ("", 0.0))[0],
                propensity=chosen.get(position, ("", 0.0))[1],
            )
            for i, position in enumerate(positions)
        ]
        scored.sort(key=lambda s: (-s.score, s.profile_id))
        return tuple(scored)

    def _remember_pair(self, observation: Observation) -> None:
        """Features for an answer to a pair this engine did not choose (another policy, a person, or the copy of
        the engine that decided in another process): the partner as it is now, but with the open referrals it
        had when offered when the observation says (the `load` of the decision, as `decide` remembers it)."""
        request_id, profile_id = observation.request_id, observation.profile_id
        if (request_id, profile_id) in self.learner.pair_features:
            return
        deal = self.learner.deals.get(request_id)
        row = self.index.row_of_profile.get(profile_id)
        if deal is None or row is None:
            return
        partner = self.index.partners[row]
        if observation.open_referrals is not None:
            partner = replace(partner, open_referrals=observation.open_referrals)
        x = features.pair_features(deal, partner, self.learner.associations)
        self.learner.remember(deal, profile_id, x, declared_codes(deal, partner))


def capacity_discount(load: np.ndarray) -> np.ndarray:
    """1 with room to spare, 0 at capacity: 1 - u^1.5 for u = open / capacity (`features.load`)."""
    return np.asarray(1.0 - CAPACITY_PENALTY * load**CAPACITY_POWER)


def habits(learner: learning.Learner, positions: np.ndarray, m: int, now: float) -> np.ndarray:
    """Each of m partners' answering habits as a factor of its score: P(it answers before the first deadline)
    times `timeliness_factor` (1 for a partner without a record: it answers in time as often as everyone)."""
    answering = learner.answering
    speed = np.full(m, answering.overall() if learning.ANSWER_STAGE else 1.0)
    if learning.ANSWER_STAGE:
        rows, rates = answering.known(positions, now)
        speed[rows] = rates
    rows, rates = learner.timely.known(positions, now)
    speed[rows] *= timeliness_factor(rates, learner.timely.overall())
    return speed


def timeliness_factor(timely: np.ndarray, overall: float) -> np.ndarray:
    """How a partner's chance of a timely first answer weighs in, against a partner answering as often in time
    as everyone: a late answer is worth (1 - LATE_PENALTY) of a timely one to a customer waiting for it."""
    return np.asarray((1.0 - LATE_PENALTY * (1.0 - timely)) / (1.0 - LATE_PENALTY * (1.0 - overall)))


def top_products(logit: np.ndarray, factor: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest prod(sigmoid(logit), axis=1) * factor, largest first, ties by position: the
    same as computing them all, but the sigmoids only for the partners that can be among them (cut.py)."""
    m = len(logit)
    if k <= 0 or m <= cut.FIRST_CUT * k:
        return _top(_sigmoid(logit).prod(axis=1) * factor, k)
    slope, constant = cut.tangents(logit[:: max(1, m // cut.ANCHOR_SAMPLE)])
    with np.errstate(divide="ignore"):
        upper = logit @ slope + constant + np.log(factor)
    return cut.top_by_bound(upper, lambda at: _sigmoid(logit[at]).prod(axis=1) * factor[at], k)


_top = cut.top
_sigmoid = cut.sigmoid


def probe_rate(share: np.ndarray, upside: np.ndarray, loss: np.ndarray) -> float:
    """How often the last place goes to a probe drawn by `share`, from each candidate's `upside` (its optimistic
    score above the greedy pick's) and `loss` (its expected score below it, what the request loses now if the
    candidate is what it seems): 2 * PROBE_RATE times the expected upside's part of the upside and the loss, at
    most PROBE_RATE_MOST. A probe as likely to find as to cost is made at PROBE_RATE; one that costs little is
    made almost always, since the request hardly pays for what it teaches; one that costs much, seldom
    (decision 81). `share` puts weight only where there is an upside, so the expected upside is positive."""
    gain, cost = float(share @ upside), float(share @ loss)
    return min(PROBE_RATE_MOST, 2.0 * PROBE_RATE * gain / (gain + cost))
