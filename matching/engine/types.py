"""What the matching engine sees and says: the contract between the engine, the product and the simulator.

Pure (no Django, no clock): the product builds these from its rows (matching/routing.py), the marketplace
simulator from what its market lets a platform observe (matching/simulator/). Neither passes anything else:
the engine never sees a partner's hidden preferences, only its declared profile and the recorded answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from random import Random
from typing import Protocol

# Company sizes in the product's codes (taxonomy), smallest first.
SIZES = ("1-9", "10-49", "50-249", "250-999", "1000-4999", "5000+")


@dataclass(frozen=True)
class Deal:
    """A customer's request as the engine may know it: what is needed, where, how big; never who asks."""

    request_id: int
    at: datetime
    industry: str = ""
    products: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    size: str = ""  # one of SIZES, or "" when unknown
    budget_eur: float | None = None  # the customer's budget converted to EUR, if given
    country: str = ""
    lat: float | None = None
    lon: float | None = None
    language: str = "en"
    source: str = "finder"  # finder, agent, advertising, import
    words: frozenset[str] = frozenset()  # stems of the need (finder.text.stems), Russian and English
    vector: Sequence[float] | None = None  # multilingual embedding of the need, when available (a tuple, or
    # matching.embeddings.Vector: the same numbers in a compact immutable buffer)


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float


@dataclass(frozen=True)
class Partner:
    """A business profile as the engine may know it: what it declared, where it is, how busy it is."""

    profile_id: int
    partner_id: int
    joined_at: datetime
    country: str
    places: tuple[Place, ...] = ()
    industries: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    keywords: frozenset[str] = frozenset()  # stems of its free-form skills (finder.text.stems)
    sizes: frozenset[str] = frozenset()  # target sizes; empty means any
    only_target_sizes: bool = False  # opted out of requests from companies outside its sizes
    languages: frozenset[str] = frozenset({"en"})
    serves_countries: frozenset[str] = frozenset()  # where it takes requests; empty means its own country
    accepting: bool = True  # False when paused, or its partner suspended
    capacity: int | None = None  # the most open referrals it wants at once
    open_referrals: int = 0
    vector: Sequence[float] | None = None  # multilingual embedding of its description and tags


class Outcome(StrEnum):
    """What the platform records of a referral, in the order it can happen."""

    OFFERED = "offered"
    INTERESTED = "interested"
    SKIPPED = "skipped"  # No thanks
    MISSED = "missed"  # no answer before the first deadline (counts only once the window closed)
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"  # interested, then no answer before the second deadline
    WON = "won"
    LOST = "lost"


# The answers that turn a referral down, the ones that carry the partner's reason (`Observation.reason`).
TURNED_DOWN = frozenset({Outcome.SKIPPED, Outcome.DECLINED})
# The reasons for turning a referral down (taxonomy.seed's codes) that say nothing about whether the partner wants
# deals of its kind: it was full, the customer is outside the region it serves, the request is spam or a
# duplicate. The one owner of that rule: the engine learns no taste from such an answer (learner.py), and the
# scorecard counts it neither against the deal's kind nor against the tags that brought it (matching.tendencies).
NOT_ABOUT_THE_DEAL = frozenset({"no-capacity", "region-not-served", "spam", "duplicate"})


@dataclass(frozen=True)
class Observation:
    """One recorded event of one referral. `value_eur` is the accepted estimate (ACCEPTED) or the final value
    (WON), converted to EUR; `waited` is the time from the offer to a first answer (INTERESTED, SKIPPED);
    `open_referrals` is how many referrals the partner had open when it was offered this one (OFFERED), so the
    engine learns the pair's `load` as it was at the decision, not as it is when the history is read; `reason`
    is the partner's reason code for turning it down (SKIPPED, DECLINED), "" when it gave none."""

    request_id: int
    profile_id: int
    outcome: Outcome
    at: datetime
    value_eur: float | None = None
    waited: timedelta | None = None
    open_referrals: int | None = None
    reason: str = ""


LabelValue = str | int


def fill(template: str, values: Mapping[str, LabelValue]) -> str:
    """A label's words: the template with its values, whole numbers grouped by thousands ("1,234"), and the
    spaces around an empty value collapsed ("similar  deals" -> "similar deals"). Only plain spaces collapse: a
    value's no-break space (Russian groups thousands with one: "16 500") keeps the number on one line."""
    shown = {key: f"{value:,}" if isinstance(value, int) else value for key, value in values.items()}
    return " ".join(word for word in (template % shown).split(" ") if word)


@dataclass(frozen=True)
class Label:
    """Words a partner understands, kept as a message template (one of matching/engine/labels.py) and its
    values (numbers, and codes such as an industry's), so that the product renders them in the reader's
    language (matching/explanations.py). str() gives the English."""

    template: str
    values: Mapping[str, LabelValue] = field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        return fill(self.template, self.values)


@dataclass(frozen=True)
class Contribution:
    """One signal's share of a score, in points that add up to the score, and words a partner understands
    ("you accepted 4 of 5 similar CRM deals", "12 km away", "answers within 6 h")."""

    signal: str
    label: Label
    points: float


@dataclass(frozen=True)
class Scored:
    """One eligible candidate: its expected value of sending and why."""

    profile_id: int
    score: float  # p_interested * p_accept * p_win * expected_value_eur * capacity discount
    p_interested: float
    p_accept: float
    p_win: float
    expected_value_eur: float
    contributions: tuple[Contribution, ...] = ()  # sum(points) == score
    boost: str = ""  # "exploration" or "new partner" when chosen for that reason, else ""
    propensity: float = 1.0  # the probability that the policy chose it, for off-policy evaluation


@dataclass(frozen=True)
class Decision:
    """A routing decision as stored and shown: every candidate with its score, and who was chosen."""

    policy: str
    model_version: str
    deal_id: int
    ranked: tuple[Scored, ...]  # eligible candidates, best first
    chosen: tuple[int, ...]  # profile ids, in the order they were chosen
    excluded: Mapping[int, str] = field(default_factory=dict)  # profile id -> hard rule that excluded it


class Policy(Protocol):
    """A routing policy: the production engine, and the simulator's baselines, all answer the same way."""

    name: str

    def decide(
        self, deal: Deal, partners: Sequence[Partner], count: int, asked: frozenset[int], now: datetime, rng: Random
    ) -> Decision: ...

    def observe(self, observation: Observation) -> None: ...
