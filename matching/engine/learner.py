"""What the engine has learned, from recorded answers only (`Observation`s), and its predictions for a deal.

Three stages, each a probability: P(interested) from interested vs skipped and missed, P(accept | interested)
from accepted vs declined and expired, P(win | accepted) from won vs lost. Each stage's log-odds are

    global(features of the deal against the partner's declared profile)    scikit-learn LogisticRegression
  + the sum of the partner's cells that match the deal                      per-partner, shrunk toward 0

The cells are the partner's record on deals like this one: all its deals ("*"), the deal's industry ("i:"),
each of its products ("p:"), its company size ("s:") and budget bucket ("b:"). One more interest cell is a slope,
not a kind of deal: the partner's taste for larger or smaller deals (`TASTE`), whose term is its mean times where
the deal's budget sits among the requests seen (budget.py), so that every answer teaches it.
In the interest stage the industry and products are not Gaussian cells but beliefs that the partner works in
them (membership.py, with MEMBERSHIP): P(works in X), moved by each interest answer's likelihood ratio, weighs in
as a learned gap times its move from the base rate; the beliefs own those answers, the stage's cells the rest.

Each cell is a Gaussian on the log-odds with prior N(0, its kind's variance), so a new partner starts at the
global model's prediction from its declared profile; each answer updates the cells it matches by one Laplace
step (assumed-density filtering, the rank-one update split over the cells by their variance), and evidence
fades with a half-life, so last month counts more than last year. The cells' posterior spread is what a
probe's optimism reads. The prior variances (per stage and kind) start at PRIOR_VARIANCE and each refit moves
them toward the spread of the cells it fitted (empirical Bayes), so how much partners differ is learned.

A partner's liking of a kind of deal drives its interest, its acceptance and its win alike, but the interest
stage hears of it within a day and the others weeks later, from few answers. So the interest stage's cells and
beliefs for the deal's kind (all but "*": the partner's liking, not its habit of answering) are also a term of
the accept and win stages' log-odds, times a coefficient each stage learns with its global model (`stacking`:
the liking is one more column of their logistic regression); their own cells then learn what is left.

The expected value (EUR) of a deal is log-normal: the mean of log values of accepted and won deals in the
deal's (budget bucket, industry), shrunk toward its budget bucket's, shrunk toward all deals'.

`fit` refits everything from a list of observations (deterministic); `observe` updates the cells and the
value model at once and refits the global models on a geometric schedule (each time the labels grow by
REFIT_GROWTH), replaying the cells against the new global models so both parts stay consistent.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from math import exp, log

import numpy as np
from sklearn.linear_model import LogisticRegression

from matching.engine import fading, membership
from matching.engine.budget import BudgetScale, log_budget
from matching.engine.features import COLUMN, Associations, F, budget_bucket
from matching.engine.membership import Memberships
from matching.engine.types import NOT_ABOUT_THE_DEAL, TURNED_DOWN, Deal, Observation, Outcome

CODE_VERSION = "1"
INTEREST, ACCEPT, WIN = 0, 1, 2
STAGES = ("interest", "accept", "win")
POSITIVE = {Outcome.INTERESTED: INTEREST, Outcome.ACCEPTED: ACCEPT, Outcome.WON: WIN}
NEGATIVE = {
    Outcome.SKIPPED: INTEREST,
    Outcome.MISSED: INTEREST,  # recorded only once the answer window closed: an OFFERED alone is no miss
    Outcome.DECLINED: ACCEPT,
    Outcome.EXPIRED: ACCEPT,
    Outcome.LOST: WIN,
}

# Each cell's log-odds ~ N(0, variance) before any answer, by kind of cell: wide for industries and products, where
# a partner's undeclared preferences hide (tuned on the stress market, docs/matching.md), narrow for size and budget.
PRIOR_VARIANCE = {"*": 0.25, "i": 0.5, "p": 0.5, "s": 0.04, "b": 0.04, "v": 1.0}
# A partner's taste for larger or smaller deals: its interest log-odds per standard deviation of log budget
# (budget.py), one cell of kind "v" learned from every interest answer (docs/matching-history.md).
TASTE = "v:budget"
TASTE_ON = True


# The interest stage learns a partner's industries and products as beliefs that it works in them (membership.py)
# instead of Gaussian cells: the beliefs own those answers, so the interest stage has no "i:" nor "p:" cells.
MEMBERSHIP = True

EMPIRICAL_PRIORS = True  # each refit moves the prior variances toward the spread of the cells it fitted
EMPIRICAL_PRIOR_WEIGHT = 20.0  # the hand-set variance counts as this many cells
EMPIRICAL_RANGE = (0.01, 2.0)


def kind(key: str) -> str:
    return key.split(":", 1)[0]


TIMELY_HOURS = 24.0  # a first answer within this long is timely: the customer hears back the same day
TIMELY_PRIOR_COUNT = 4.0  # a partner's timeliness is shrunk toward everyone's by this many offers' worth
TIMELY_PRIOR = (1.0, 2.0)  # everyone's rate starts at 1 timely answer of 2, which the faded record outweighs
ANSWER_PRIOR = (17.0, 20.0)  # everyone answers about 85% of offers in time before the record says otherwise
ANSWER_STAGE = True  # whether a partner answers at all is its own factor, not a negative interest label
CENSOR_LOSSES = True
GLOBAL_HALF_LIFE_DAYS = 180.0  # the global models weigh old answers less, more slowly
MIN_LABELS = 40  # a stage keeps its prior weights until it has this many answers of both kinds
MIN_EACH_CLASS = 5
REFIT_GROWTH = 1.5
REGULARISATION_C = 1.0

# Before a stage has learned anything: what the declared profile should mean (log-odds per feature).
PRIOR_INTERCEPT = (-0.6, 0.8, -0.6)
STACKED = (ACCEPT, WIN)  # the stages whose log-odds take the interest stage's liking as a term
PRIOR_STACKING = (0.0, 0.0, 0.0)  # until a stage has learned its coefficient, the liking is not carried over
PRIOR_WEIGHTS = {
    INTEREST: {
        "industry_match": 0.8,
        "product_overlap": 1.2,
        "service_overlap": 0.4,
        "size_in_target": 0.3,
        "size_any": 0.1,
        "log_km": -0.6,
        "local": 0.2,
        "km_near": -1.0,
        "load": -1.0,
        "words_cosine": 1.0,
        "vector_cosine": 1.0,
        "industry_inferred": 0.4,
        "products_inferred": 0.4,
    },
    ACCEPT: {"industry_match": 0.3, "product_overlap": 0.4, "size_in_target": 0.2},
    WIN: {"industry_match": 0.2, "product_overlap": 0.2},
}

# The expected deal value's prior: about 10,000 EUR, a log-sd of 1, worth VALUE_PRIOR_COUNT deals.
VALUE_PRIOR_LOG = log(10_000.0)
VALUE_PRIOR_VARIANCE = 1.0
VALUE_PRIOR_COUNT = 5.0


def _with_new_features(weights: np.ndarray) -> np.ndarray:
    """A stored engine's weights with the features added since (FEATURES only grows at its end) at their prior."""
    stored = weights.shape[1]
    if stored >= F:
        return weights
    grown = np.zeros((len(weights), F))
    grown[:, :stored] = weights
    for stage, prior in PRIOR_WEIGHTS.items():
        for name, weight in prior.items():
            if COLUMN[name] >= stored:
                grown[stage, COLUMN[name]] = weight
    return grown


def deal_cells(deal: Deal, stage: int) -> tuple[str, ...]:
    """The keys of the partner cells a deal belongs to in `stage` (its kind of deal). Whether a partner
    answers and wins is partly a habit of the partner (the "*" cell, all its deals); whether it accepts is
    about the kind of deal only: declining CRM deals says nothing about an ERP deal of another industry."""
    keys = [] if stage == ACCEPT else ["*"]
    if deal.industry:
        keys.append("i:" + deal.industry)
    keys.extend("p:" + product for product in sorted(deal.products))
    if deal.size:
        keys.append("s:" + deal.size)
    keys.append(f"b:{budget_bucket(deal)}")
    return tuple(keys)


def weighted_cells(deal: Deal, stage: int, place: float) -> list[tuple[str, float]]:
    """The deal's Gaussian cells (`gaussian_cells`), each with the multiple of its mean the deal's log-odds takes:
    1 for a kind of deal; for the interest stage's `TASTE`, the deal's place among the budgets seen (`place`)."""
    found = [(key, 1.0) for key in gaussian_cells(deal, stage)]
    if TASTE_ON and stage == INTEREST and place:
        found.append((TASTE, place))
    return found


def belief_keys(deal: Deal) -> list[str]:
    """The keys of the beliefs a deal reads (membership.py), its industry first."""
    return [key for key, _ in membership.keys(deal.industry, sorted(deal.products))]


def gaussian_cells(deal: Deal, stage: int) -> tuple[str, ...]:
    """The deal's cells that are Gaussian: all of `deal_cells` but, in the interest stage with MEMBERSHIP,
    the industry and products, which the beliefs own (one owner per answer: no evidence counted twice)."""
    found = deal_cells(deal, stage)
    if MEMBERSHIP and stage == INTEREST:
        return tuple(key for key in found if kind(key) not in ("i", "p"))
    return found


@dataclass
class Cells:
    """One (stage, cell key)'s Gaussian per partner slot, as growing arrays for vectorised reading."""

    prior_precision: float
    slots: list[int] = field(default_factory=list)
    position: dict[int, int] = field(default_factory=dict)
    eta: list[float] = field(default_factory=list)  # precision x mean (the prior's mean is 0)
    excess: list[float] = field(default_factory=list)  # precision above the prior's
    at: list[float] = field(default_factory=list)  # seconds of the last update
    successes: list[int] = field(default_factory=list)  # raw counts, for the words a partner reads
    trials: list[int] = field(default_factory=list)
    _arrays: tuple[np.ndarray, ...] | None = None

    def get(self, slot: int, at: float) -> tuple[float, float]:
        """(mean, variance) of the slot's log-odds, faded to `at`."""
        i = self.position.get(slot)
        if i is None:
            return 0.0, 1.0 / self.prior_precision
        fade = fading.fade(at - self.at[i])
        precision = self.prior_precision + self.excess[i] * fade
        return self.eta[i] * fade / precision, 1.0 / precision

    def set(self, slot: int, mean: float, variance: float, at: float, success: bool) -> None:
        i = self.position.get(slot)
        if i is None:
            i = self.position[slot] = len(self.slots)
            self.slots.append(slot)
            self.successes.append(0)
            self.trials.append(0)
            self.eta.append(0.0)
            self.excess.append(0.0)
            self.at.append(at)
        precision = 1.0 / variance
        self.eta[i] = precision * mean
        self.excess[i] = precision - self.prior_precision
        self.at[i] = at
        self.successes[i] += int(success)
        self.trials[i] += 1
        self._arrays = None

    def arrays(self) -> tuple[np.ndarray, ...]:
        if self._arrays is None:
            self._arrays = (
                np.array(self.slots, dtype=np.intp),
                np.array(self.eta),
                np.array(self.excess),
                np.array(self.at),
            )
        return self._arrays

    def counts(self, slot: int) -> tuple[int, int]:
        i = self.position.get(slot)
        return (0, 0) if i is None else (self.successes[i], self.trials[i])


@dataclass
class Timeliness:
    """How often each partner's first answer came within TIMELY_HOURS of the offer (a missed offer: never),
    faded with the engine's half-life (fading.py), so last month counts more than last year, and everyone's rate
    to shrink toward."""

    yes: list[float] = field(default_factory=list)  # per slot, faded timely answers
    asked: list[float] = field(default_factory=list)  # per slot, faded first answers and misses
    at: list[float] = field(default_factory=list)
    everyone: list[float] = field(default_factory=lambda: [0.0, 0.0, float("-inf")])  # [yes, asked, at]
    prior: tuple[float, float] = TIMELY_PRIOR  # everyone's rate before any answer: (yes, asked)
    _arrays: tuple[np.ndarray, ...] | None = None

    def record(self, slot: int, timely: bool, at: float) -> None:
        while len(self.yes) <= slot:
            self.yes.append(0.0)
            self.asked.append(0.0)
            self.at.append(at)
        self.yes[slot], self.asked[slot], self.at[slot] = _faded_add(
            self.yes[slot], self.asked[slot], self.at[slot], timely, at
        )
        yes, asked, then = self.everyone
        self.everyone = list(_faded_add(yes, asked, then, timely, at))
        self._arrays = None

    def overall(self) -> float:
        yes, asked, _ = self.everyone
        return (yes + self.prior[0]) / (asked + self.prior[1])

    def of(self, slot: int, now: float) -> tuple[float, float]:
        """(the partner's shrunk P(timely first answer), the faded number of offers behind it)."""
        rate = self.overall()
        if slot >= len(self.yes):
            return rate, 0.0
        fade = fading.fade(now - self.at[slot])
        yes, asked = self.yes[slot] * fade, self.asked[slot] * fade
        return (yes + TIMELY_PRIOR_COUNT * rate) / (asked + TIMELY_PRIOR_COUNT), asked

    def rates(self, position_of_slot: np.ndarray, m: int, now: float) -> np.ndarray:
        """The shrunk P(timely first answer) of m partners, given where each slot is among them (-1: not)."""
        result = np.full(m, self.overall())
        rows, rates = self.known(position_of_slot, now)
        result[rows] = rates
        return result

    def known(self, position_of_slot: np.ndarray, now: float) -> tuple[np.ndarray, np.ndarray]:
        """`rates` of the partners with a record only, as (their positions, their rates): every other partner's
        is `overall()`, and a decision over many partners need not write it for each."""
        rate = self.overall()
        n = len(self.yes)
        if not n or not len(position_of_slot):
            return np.empty(0, dtype=np.intp), np.empty(0)
        if self._arrays is None:
            self._arrays = (np.array(self.yes), np.array(self.asked), np.array(self.at))
        yes, asked, at = self._arrays
        rows = position_of_slot[:n]
        present = rows >= 0
        fade = fading.fades(now, at[present])
        return rows[present], (yes[present] * fade + TIMELY_PRIOR_COUNT * rate) / (
            asked[present] * fade + TIMELY_PRIOR_COUNT
        )


@dataclass(frozen=True)
class Label:
    """One answer of one stage for one (deal, partner) pair."""

    request_id: int
    profile_id: int
    stage: int
    y: int
    at: float


@dataclass
class Prediction:
    """A deal's predictions for some partner slots (arrays of len(slots); stage columns in STAGES order)."""

    global_logit: np.ndarray  # (m, 3)
    cell_mean: np.ndarray  # (m, 3)
    cell_variance: np.ndarray  # (m, 3)
    value_eur: float
    value_baseline_eur: float  # the expected value of a deal about which nothing is known


class Learner:
    def __init__(self) -> None:
        self.slot_of: dict[int, int] = {}  # profile id -> slot in the cell arrays
        self._profile_of_slot: list[int] = []
        self._profile_array: np.ndarray | None = None
        self.deals: dict[int, Deal] = {}  # request id -> the deal as the engine saw it when deciding
        self.pair_features: dict[tuple[int, int], np.ndarray] = {}
        self.declared: dict[tuple[int, int], frozenset[str]] = {}  # pair -> the deal's codes the partner declared
        self.associations = Associations()  # of the requests it was offered or told of, as they came
        self.budgets = BudgetScale()  # ... and where each one's budget sat among those before it
        self._reset()

    def _reset(self) -> None:
        self.observations: list[Observation] = []
        self.labels: list[Label] = []
        self._labelled: set[tuple[int, int, int]] = set()
        self.cells: list[dict[str, Cells]] = [{}, {}, {}]
        self.weights = np.zeros((3, F))
        self.intercepts = np.array(PRIOR_INTERCEPT, dtype=np.float64)
        self.stacking = np.array(PRIOR_STACKING, dtype=np.float64)
        self.prior_variances = [dict(PRIOR_VARIANCE) for _ in STAGES]  # per stage, by kind of cell
        self._liking: dict[tuple[int, int, int], float] = {}  # a stacked stage's label -> the liking at its time
        self.memberships = Memberships()
        self._beliefs_at: dict[tuple[int, int, int], tuple[float, float]] = {}  # an interest label -> its columns
        for stage, weights in PRIOR_WEIGHTS.items():
            for name, weight in weights.items():
                self.weights[stage, COLUMN[name]] = weight
        self._fitted_labels = 0
        self.offers: dict[int, set[int]] = {}  # profile id -> request ids it was offered (any observation)
        self.first_offer: dict[int, float] = {}
        self._values: dict[tuple[int, int], tuple[float, str, int]] = {}  # pair -> (log value, industry, bucket)
        self._value_sums: dict[tuple[int | None, str | None], list[float]] = {}
        self._waits: dict[int, list[float]] = {}  # profile id -> [faded sum of log hours, faded count, at]
        self.timely = Timeliness()
        self.answering = Timeliness(prior=ANSWER_PRIOR)  # answered at all before the first deadline
        self.won_by: dict[int, int] = {}  # request id -> the profile that won it
        self.version = self._version()

    def __setstate__(self, state: dict[str, object]) -> None:
        """An engine stored before the stacking learns it at its next refit; until then it carries nothing over."""
        self.__dict__.update(state)
        self.__dict__.setdefault("stacking", np.array(PRIOR_STACKING, dtype=np.float64))
        self.__dict__.setdefault("_liking", {})
        self.__dict__.setdefault("prior_variances", [dict(PRIOR_VARIANCE) for _ in STAGES])
        self.__dict__.setdefault("associations", Associations())
        self.__dict__.setdefault("declared", {})
        self.__dict__.setdefault("_beliefs_at", {})
        self.__dict__.setdefault("budgets", BudgetScale())
        for variances in self.prior_variances:
            variances.setdefault(kind(TASTE), PRIOR_VARIANCE[kind(TASTE)])
        self.weights = _with_new_features(self.weights)
        for pair, x in self.pair_features.items():
            if len(x) < F:  # a pair decided before the feature existed had none of it
                self.pair_features[pair] = np.concatenate([x, np.zeros(F - len(x))])
        if "memberships" not in state:
            self._replay_memberships()

    # -- remembering what was decided, so answers can be read against it -----------------------------------

    def slot(self, profile_id: int) -> int:
        found = self.slot_of.get(profile_id)
        if found is None:
            found = self.slot_of[profile_id] = len(self.slot_of)
            self._profile_of_slot.append(profile_id)
            self._profile_array = None
        return found

    def profile_of_slot(self) -> np.ndarray:
        """The profile id of each slot, in slot order."""
        if self._profile_array is None:
            self._profile_array = np.array(self._profile_of_slot, dtype=np.int64)
        return self._profile_array

    def remember(
        self, deal: Deal, profile_id: int, features: np.ndarray, declared: frozenset[str] | None = None
    ) -> None:
        """`declared`: the deal's industry and products the partner declared, as "i:code" and "p:code"
        (`declared_codes`); without it, read off the features (exact for the industry, and for the products
        when it declared all or none of them)."""
        self.deals[deal.request_id] = deal
        self.budgets.note(deal)
        self.pair_features[(deal.request_id, profile_id)] = features
        if declared is not None:
            self.declared[(deal.request_id, profile_id)] = declared

    def _declared(self, request_id: int, profile_id: int) -> frozenset[str]:
        found = self.declared.get((request_id, profile_id))
        if found is not None:
            return found
        deal, x = self.deals[request_id], self.pair_features[(request_id, profile_id)]
        codes = {"i:" + deal.industry} if deal.industry and x[COLUMN["industry_match"]] else set()
        if x[COLUMN["product_overlap"]] >= 1.0:
            codes |= {"p:" + product for product in deal.products}
        return frozenset(codes)

    def _inferred(self, request_id: int, profile_id: int) -> float:
        """The pair's `industry_inferred` when decided."""
        return float(self.pair_features[(request_id, profile_id)][COLUMN["industry_inferred"]])

    # -- learning ------------------------------------------------------------------------------------------

    def fit(self, observations: Iterable[Observation]) -> None:
        """Forget what was learned and learn again from `observations` alone, in time order."""
        ordered = sorted(enumerate(observations), key=lambda pair: (pair[1].at, pair[0]))
        self._reset()
        for _, observation in ordered:
            self._ingest(observation)
        self._refit()
        if EMPIRICAL_PRIORS:
            self._refit()  # again with the prior variances the first pass estimated, as observe's refits use them

    def observe(self, observation: Observation) -> None:
        new_labels = self._ingest(observation)
        if len(self.labels) >= max(MIN_LABELS, REFIT_GROWTH * self._fitted_labels):
            self._refit()
            return
        for label in new_labels:
            self._update_cells(label)
        self.version = self._version()

    def _ingest(self, o: Observation) -> list[Label]:
        """Record an observation's offer, wait, value and stage labels; the labels it added."""
        self.observations.append(o)
        at = o.at.timestamp()
        self.offers.setdefault(o.profile_id, set()).add(o.request_id)
        self.first_offer.setdefault(o.profile_id, at)
        if o.waited is not None and o.outcome in (Outcome.INTERESTED, Outcome.SKIPPED):
            hours = o.waited.total_seconds() / 3600.0
            self._record_wait(o.profile_id, hours, at)
            self.timely.record(self.slot(o.profile_id), hours <= TIMELY_HOURS, at)
        elif o.outcome is Outcome.MISSED:
            self.timely.record(self.slot(o.profile_id), False, at)
        if o.outcome in (Outcome.INTERESTED, Outcome.SKIPPED, Outcome.MISSED):
            self.answering.record(self.slot(o.profile_id), o.outcome is not Outcome.MISSED, at)
        if o.outcome is Outcome.WON:
            self.won_by.setdefault(o.request_id, o.profile_id)
        if o.value_eur is not None and o.value_eur > 0 and o.outcome in (Outcome.ACCEPTED, Outcome.WON):
            self._record_value(o.request_id, o.profile_id, o.value_eur)
        added = []
        # A later stage's answer implies the earlier ones (an acceptance was an interest).
        implied = {Outcome.ACCEPTED: [INTEREST], Outcome.DECLINED: [INTEREST], Outcome.EXPIRED: [INTEREST]}
        implied[Outcome.WON] = implied[Outcome.LOST] = [INTEREST, ACCEPT]
        for stage in implied.get(o.outcome, []):
            added += self._label(o.request_id, o.profile_id, stage, 1, at)
        if o.outcome in POSITIVE:
            added += self._label(o.request_id, o.profile_id, POSITIVE[o.outcome], 1, at)
        elif o.outcome in NEGATIVE and not self._says_nothing_of_its_stage(o):
            added += self._label(o.request_id, o.profile_id, NEGATIVE[o.outcome], 0, at)
        return added

    def _says_nothing_of_its_stage(self, o: Observation) -> bool:
        """A miss is the answering habit's to learn (`answering`), not a lack of interest; a No thanks or a decline
        for a reason that is not about the deal (NOT_ABOUT_THE_DEAL: it was full, say) is no lack of taste for
        deals of its kind; a loss after another partner won the request is the customer having bought once, not
        this partner failing."""
        if o.outcome is Outcome.MISSED:
            return ANSWER_STAGE
        if o.outcome in TURNED_DOWN:
            return o.reason in NOT_ABOUT_THE_DEAL
        return (
            o.outcome is Outcome.LOST and CENSOR_LOSSES and self.won_by.get(o.request_id, o.profile_id) != o.profile_id
        )

    def _label(self, request_id: int, profile_id: int, stage: int, y: int, at: float) -> list[Label]:
        key = (request_id, profile_id, stage)
        if key in self._labelled or (request_id, profile_id) not in self.pair_features:
            return []  # an answer counts once; a pair never decided by the engine has no features to learn from
        self._labelled.add(key)
        label = Label(request_id, profile_id, stage, y, at)
        self.labels.append(label)
        return [label]

    def _refit(self) -> None:
        """The interest stage first, then the stacked stages, which read the liking it learned."""
        self.cells = [{}, {}, {}]
        self._liking = {}
        self.memberships.forget()
        self._fit_global(INTEREST)
        for label in self.labels:  # the interest cells in time order, each stacked label's liking as it was then
            if label.stage == INTEREST:
                self._update_cells(label)
            else:
                self._liking_of(label)
        for stage in (ACCEPT, WIN):
            self._fit_global(stage)
        for label in self.labels:
            if label.stage != INTEREST:
                self._update_cells(label)
        self._fitted_labels = len(self.labels)
        if EMPIRICAL_PRIORS and self.labels:
            self._estimate_prior_variances(max(label.at for label in self.labels))
            interest_labels = sum(label.stage == INTEREST for label in self.labels)
            if MEMBERSHIP and membership.LEARN_BASE_RATES and interest_labels >= MIN_LABELS:
                self.memberships.estimate_base_rates(max(label.at for label in self.labels))
        self.version = self._version()

    def _estimate_prior_variances(self, now: float) -> None:
        """Empirical Bayes, one EM step a refit, for the next one: under a cell's prior N(0, t), its posterior
        mean m and variance v satisfy E[m^2 + v] = t, so the mean of m^2 + v over the cells that learned
        something estimates t, shrunk toward the hand-set PRIOR_VARIANCE by EMPIRICAL_PRIOR_WEIGHT cells."""
        for stage, tables in enumerate(self.cells):
            if sum(label.stage == stage for label in self.labels) < MIN_LABELS:
                continue  # as the global model: too few answers to tell how much partners differ
            sums: dict[str, list[float]] = {}
            for key, table in tables.items():
                for slot, trials in zip(table.slots, table.trials, strict=True):
                    if trials:
                        mean, variance = table.get(slot, now)
                        found = sums.setdefault(kind(key), [0.0, 0.0])
                        found[0] += mean * mean + variance
                        found[1] += 1.0
            for name, (total, count) in sums.items():
                if name == kind(TASTE):
                    continue  # hand-set: measured better at 1 than at its estimate (docs/matching-history.md)
                estimate = (total + EMPIRICAL_PRIOR_WEIGHT * PRIOR_VARIANCE[name]) / (count + EMPIRICAL_PRIOR_WEIGHT)
                self.prior_variances[stage][name] = float(np.clip(estimate, *EMPIRICAL_RANGE))

    def _prior_precision(self, stage: int, key: str) -> float:
        return 1.0 / self.prior_variances[stage][kind(key)]

    def _fit_global(self, stage: int) -> None:
        chosen = [label for label in self.labels if label.stage == stage]
        ys = np.array([label.y for label in chosen], dtype=np.int64)
        positives = int(ys.sum())
        if len(chosen) < MIN_LABELS or min(positives, len(chosen) - positives) < MIN_EACH_CLASS:
            return
        x = np.stack([self.pair_features[(label.request_id, label.profile_id)] for label in chosen])
        if stage in STACKED:
            x = np.column_stack([x, [self._liking[_key(label)] for label in chosen]])
        beliefs = MEMBERSHIP and stage == INTEREST
        if beliefs:
            x = np.column_stack([x, [self._beliefs_at.get(_key(label), (0.0, 0.0)) for label in chosen]])
        latest = max(label.at for label in self.labels)
        ages = latest - np.array([label.at for label in chosen])
        weights = np.exp2(-ages / (GLOBAL_HALF_LIFE_DAYS * fading.DAY))
        model = LogisticRegression(C=REGULARISATION_C, max_iter=500)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a stage whose labels do not converge keeps the last iterate
            model.fit(x, ys, sample_weight=weights * len(chosen) / weights.sum())
        self.weights[stage] = model.coef_[0][:F]
        self.intercepts[stage] = model.intercept_[0]
        if stage in STACKED:
            self.stacking[stage] = model.coef_[0][F]
        if beliefs:
            self._learn_gaps(x[:, F:], model.coef_[0][F:])

    def _learn_gaps(self, columns: np.ndarray, coefficients: np.ndarray) -> None:
        """The beliefs' gaps from the interest model's coefficients of their columns, where the beliefs the
        labels were read with moved (before the first replay, or with no answer yet, they say nothing)."""
        gaps = self.memberships.gaps
        learned = [
            float(c) if np.count_nonzero(column) >= membership.MIN_GAP_LABELS else gaps[kind]
            for column, c, kind in zip(columns.T, coefficients, ("i", "p"), strict=True)
        ]
        self.memberships.learned_gaps(*learned)

    def _liking_of(self, label: Label) -> float:
        """The partner's liking of the label's kind of deal as the interest cells held it when the label came
        (remembered, so a refit reads what was known then)."""
        key = _key(label)
        found = self._liking.get(key)
        if found is None:
            slot = self.slot(label.profile_id)
            tables = self.cells[INTEREST]
            found = 0.0
            deal = self.deals[label.request_id]
            for cell, multiple in weighted_cells(deal, INTEREST, self.budgets.of(deal)):
                if cell != "*" and cell in tables:
                    found += multiple * tables[cell].get(slot, label.at)[0]
            found += self._belief_term(deal, label.profile_id, label.at)
            self._liking[key] = found
        return found

    def _update_cells(self, label: Label) -> None:
        """One Laplace step of the pair's matching cells toward the answer, split by their variances."""
        deal = self.deals[label.request_id]
        x = self.pair_features[(label.request_id, label.profile_id)]
        offset = float(self.weights[label.stage] @ x + self.intercepts[label.stage])
        if label.stage in STACKED:
            offset += self.stacking[label.stage] * self._liking_of(label)
        slot = self.slot(label.profile_id)
        tables = self.cells[label.stage]
        cells = weighted_cells(deal, label.stage, self.budgets.of(deal))
        current = [
            tables.setdefault(key, Cells(self._prior_precision(label.stage, key))).get(slot, label.at)
            for key, _ in cells
        ]
        z = offset + sum(a * mean for (_, a), (mean, _) in zip(cells, current, strict=True))
        if MEMBERSHIP and label.stage == INTEREST:
            z += self._learn_beliefs(label, deal, z)
        total_variance = sum(a * a * variance for (_, a), (_, variance) in zip(cells, current, strict=True))
        p = 1.0 / (1.0 + exp(-z))
        curvature = p * (1.0 - p)
        step = (label.y - p) / (1.0 + curvature * total_variance)
        shrink = curvature / (1.0 + curvature * total_variance)
        for (key, a), (mean, variance) in zip(cells, current, strict=True):
            moved = variance - a * a * variance * variance * shrink
            tables[key].set(slot, mean + a * variance * step, moved, label.at, bool(label.y))

    def _learn_beliefs(self, label: Label, deal: Deal, logit: float) -> float:
        """Move the pair's beliefs by the interest answer, given its log-odds without them; their term before
        it. Remembers their columns as they were, for the interest model to learn the gaps from."""
        declared = self._declared(label.request_id, label.profile_id)
        inferred = self._inferred(label.request_id, label.profile_id)
        slot, products = self.slot(label.profile_id), sorted(deal.products)
        memberships = self.memberships
        self._beliefs_at[_key(label)] = memberships.columns(deal.industry, products, slot, declared, label.at, inferred)
        term = memberships.term(deal.industry, products, slot, declared, label.at, inferred)
        memberships.learn(deal.industry, products, slot, declared, logit + term, bool(label.y), label.at, inferred)
        return term

    def _belief_term(self, deal: Deal, profile_id: int, at: float) -> float:
        if not MEMBERSHIP:
            return 0.0
        if (deal.request_id, profile_id) in self.pair_features:
            declared = self._declared(deal.request_id, profile_id)
            inferred = self._inferred(deal.request_id, profile_id)
        else:
            declared, inferred = frozenset(), 0.0
        return self.memberships.term(
            deal.industry, sorted(deal.products), self.slot(profile_id), declared, at, inferred
        )

    def _replay_memberships(self) -> None:
        """The beliefs of an engine stored before them, from its interest answers read against what it holds
        now (its next refit replays them in time order against the models of their time)."""
        self.memberships = Memberships()
        for label in self.labels:
            if label.stage == INTEREST and MEMBERSHIP:
                deal = self.deals[label.request_id]
                slot = self.slot(label.profile_id)
                x = self.pair_features[(label.request_id, label.profile_id)]
                z = float(self.weights[INTEREST] @ x + self.intercepts[INTEREST])
                for key, a in weighted_cells(deal, INTEREST, self.budgets.of(deal)):
                    table = self.cells[INTEREST].get(key)
                    z += a * table.get(slot, label.at)[0] if table is not None else 0.0
                self._learn_beliefs(label, deal, z)

    def _record_wait(self, profile_id: int, hours: float, at: float) -> None:
        faded = self._waits.setdefault(profile_id, [0.0, 0.0, at])
        fade = fading.fade(at - faded[2])
        faded[0] = faded[0] * fade + log(max(hours, 1.0 / 60.0))
        faded[1] = faded[1] * fade + 1.0
        faded[2] = at

    def _record_value(self, request_id: int, profile_id: int, value_eur: float) -> None:
        deal = self.deals.get(request_id)
        industry, bucket = (deal.industry, budget_bucket(deal)) if deal else ("", 0)
        pair = (request_id, profile_id)
        previous = self._values.get(pair)
        if previous is not None:  # the final value replaces the accepted estimate
            self._add_value(previous[0], previous[1], previous[2], -1.0)
        logged = log(value_eur)
        self._values[pair] = (logged, industry, bucket)
        self._add_value(logged, industry, bucket, 1.0)

    def _add_value(self, logged: float, industry: str, bucket: int, sign: float) -> None:
        for key in ((None, None), (bucket, None), (bucket, industry)):
            sums = self._value_sums.setdefault(key, [0.0, 0.0, 0.0])
            sums[0] += sign
            sums[1] += sign * logged
            sums[2] += sign * logged * logged

    def _version(self) -> str:
        beliefs = np.array([*self.memberships.gaps.values(), *np.ravel(list(self.memberships.base_rates.values()))])
        digest = hashlib.sha256(
            self.weights.tobytes() + self.intercepts.tobytes() + self.stacking.tobytes() + beliefs.tobytes()
        ).hexdigest()[:8]
        return f"engine-{CODE_VERSION}.{len(self.observations)}.{digest}"

    # -- predicting ----------------------------------------------------------------------------------------

    def predict(self, deal: Deal, features: np.ndarray, position_of_slot: np.ndarray, now: datetime) -> Prediction:
        """The deal's predictions for the partners whose features against it are the rows of `features`;
        `position_of_slot` gives each slot's row there (-1 for partners not among them)."""
        # einsum, not BLAS: a threaded matrix product of this size waits on other processes' cores.
        return self.predict_from_logits(
            deal, np.einsum("mf,sf->ms", features, self.weights) + self.intercepts, position_of_slot, now
        )

    def predict_from_logits(
        self,
        deal: Deal,
        global_logit: np.ndarray,
        position_of_slot: np.ndarray,
        now: datetime,
        declares: np.ndarray | None = None,
        inferred: np.ndarray | None = None,
    ) -> Prediction:
        """`predict`, given the global models' log-odds (m, 3) already (features.logits); `declares`: whether
        each row's partner declared the deal's industry, `inferred` its `industry_inferred` (Memberships.add)."""
        m = len(global_logit)
        mean = np.zeros((m, 3))
        place = self.budgets.of(deal)
        keys = [weighted_cells(deal, stage, place) for stage in (INTEREST, ACCEPT, WIN)]
        priors = [sum(a * a / self._prior_precision(stage, key) for key, a in keys[stage]) for stage in range(3)]
        if MEMBERSHIP:
            priors[INTEREST] += self.memberships.prior_variance(deal.industry, sorted(deal.products))
        variance = np.repeat([priors], m, axis=0)
        if len(position_of_slot):
            self._add_cells(deal, keys, position_of_slot, now.timestamp(), mean, variance, declares, inferred)
        value, baseline = self.expected_value(deal)
        return Prediction(global_logit, mean, variance, value, baseline)

    def _add_cells(
        self,
        deal: Deal,
        keys: Sequence[Sequence[tuple[str, float]]],
        position: np.ndarray,
        now: float,
        mean: np.ndarray,
        variance: np.ndarray,
        declares: np.ndarray | None,
        inferred: np.ndarray | None = None,
    ) -> None:
        liking = np.zeros(len(mean))
        if MEMBERSHIP:
            spread = np.zeros(len(mean))
            self.memberships.add(
                deal.industry, sorted(deal.products), position, now, liking, spread, declares, inferred
            )
            mean[:, INTEREST] += liking
            variance[:, INTEREST] += spread
        for stage in (INTEREST, ACCEPT, WIN):
            for key, a in keys[stage]:
                table = self.cells[stage].get(key)
                if table is None or not table.slots:
                    continue
                slots, eta, excess, at = table.arrays()
                rows = position[slots]
                present = rows >= 0
                fade = fading.fades(now, at[present])
                precision = table.prior_precision + excess[present] * fade
                cell_mean = a * eta[present] * fade / precision
                mean[rows[present], stage] += cell_mean
                variance[rows[present], stage] += a * a * (1.0 / precision - 1.0 / table.prior_precision)
                if stage == INTEREST and key != "*":
                    liking[rows[present]] += cell_mean
        # The stacked term is a point estimate: Thompson's draws stay per stage, from each stage's own cells.
        for stage in STACKED:
            if self.stacking[stage]:
                mean[:, stage] += self.stacking[stage] * liking

    def expected_value(self, deal: Deal) -> tuple[float, float]:
        """(E[value] of `deal` in EUR, E[value] of a deal about which nothing is known)."""
        mu, var = _shrunk(self._value_sums.get((None, None)), VALUE_PRIOR_LOG, VALUE_PRIOR_VARIANCE)
        baseline = exp(mu + var / 2)
        bucket = budget_bucket(deal)
        logged = log_budget(deal)
        prior = mu if logged is None else logged
        mu, var = _shrunk(self._value_sums.get((bucket, None)), (mu + prior) / 2, var)
        mu, var = _shrunk(self._value_sums.get((bucket, deal.industry)), mu, var)
        return exp(mu + var / 2), baseline

    # -- what a partner reads ------------------------------------------------------------------------------

    def counts(self, stage: int, key: str, profile_id: int) -> tuple[int, int]:
        slot = self.slot_of.get(profile_id)
        if MEMBERSHIP and stage == INTEREST and kind(key) in ("i", "p"):
            return (0, 0) if slot is None else self.memberships.counts(key, slot)
        table = self.cells[stage].get(key)
        return (0, 0) if slot is None or table is None else table.counts(slot)

    def typical_wait_hours(self, profile_id: int) -> float | None:
        """The partner's typical time to a first answer (a geometric mean, recent answers weighing more)."""
        faded = self._waits.get(profile_id)
        if faded is None or faded[1] <= 0:
            return None
        return exp(faded[0] / faded[1])

    def offer_count(self, profile_id: int) -> int:
        return len(self.offers.get(profile_id, ()))


def _key(label: Label) -> tuple[int, int, int]:
    return (label.request_id, label.profile_id, label.stage)


def _faded_add(yes: float, asked: float, then: float, timely: bool, at: float) -> tuple[float, float, float]:
    """Faded counts with one more answer at `at`; an answer recorded out of order is faded to the latest."""
    if at >= then:
        fade = fading.fade(at - then)
        return yes * fade + float(timely), asked * fade + 1.0, at
    fade = fading.fade(then - at)
    return yes + fade * float(timely), asked + fade, then


def _shrunk(sums: list[float] | None, prior_mean: float, prior_variance: float) -> tuple[float, float]:
    """A cell's mean log value and variance, shrunk toward the prior by VALUE_PRIOR_COUNT pseudo-deals."""
    if not sums or sums[0] <= 0:
        return prior_mean, prior_variance
    n, total, squares = sums
    mean = total / n
    variance = max(squares / n - mean * mean, 0.0)
    k = VALUE_PRIOR_COUNT
    shrunk_mean = (n * mean + k * prior_mean) / (n + k)
    shrunk_variance = (n * variance + k * prior_variance) / (n + k)
    return shrunk_mean, shrunk_variance
