"""How the finder (and the console, until the matching engine exists) orders profiles. Pure: no Django.

A profile's score is a weighted sum of signals, each a value in [0, 1]:

    tags            share of the query's words found in its tags and keywords
    text            share of the query's words found only in its description (counts far less)
    meaning         cosine of the need with its closest keyword phrase across languages, from
                    finder.semantic.THRESHOLD up (0 below it)
    proximity       1 at the searched city, falling linearly to 0 at the edge of the radius
    size_fit        1 if it targets the customer's size, 0.5 if it lists no sizes, 0 if it targets others
    responsiveness  smoothed share of referrals answered in time (the prior, below)
    outcomes        smoothed share of closed deals won (the prior, below)
    fit             the matching engine's learned fit of the partner for deals like the one searched
                    (matching.fit: its own record on them; 0.5 when it has none)

Only the signals the search asks about take part (no query: no tags/text/meaning; no need's embedding: no
meaning; no city: no proximity; no size: no size fit; nothing said of the deal: no fit), and their weights are
scaled to add up to 1, so every score is in [0, 1].

Responsiveness and outcomes start from a neutral prior, as if a profile had already had PRIOR_REFERRALS
half-good referrals: a new partner gets a fair middle place, each timely answer raises it a little, and
only a run of missed or expired referrals brings it down far. The same for won/lost deals.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import asin, cos, radians, sin, sqrt
from typing import NamedTuple

EARTH_RADIUS_KM = 6371.0088

WEIGHTS: dict[str, float] = {
    "tags": 0.40,
    "text": 0.10,
    "meaning": 0.20,
    "proximity": 0.20,
    "size_fit": 0.10,
    "responsiveness": 0.15,
    "outcomes": 0.05,
    "fit": 0.15,
}
# Order of the explanation ("why here").
SIGNALS = tuple(WEIGHTS)

# Pseudo-referrals of the prior: how much evidence it takes to move a profile away from neutral.
PRIOR_REFERRALS = 4.0
NEUTRAL = 0.5
# An answer after the first 24 hours but before the deadline is worth this much of a timely one.
LATE_ANSWER_CREDIT = 0.5
# A size-blind profile (no target sizes listed) fits any size half-way.
SIZE_UNKNOWN = 0.5


@dataclass(frozen=True)
class Signal:
    signal: str
    value: float  # in [0, 1]
    weight: float  # after scaling to the signals that take part
    points: float  # value * weight


class Candidate(NamedTuple):
    """What ranking needs to know of one profile for one search (a tuple: searches make thousands)."""

    tag_hits: int = 0  # query words found in tags/keywords
    text_hits: int = 0  # query words found only in the description
    distance_km: float | None = None
    target_sizes: frozenset[str] = frozenset()
    responsiveness: float = NEUTRAL  # the precomputed prior, see responsiveness_prior
    outcomes: float = NEUTRAL
    meaning: float = 0.0  # the need's cosine with its closest phrase, 0 below the threshold
    fit: float = NEUTRAL  # the engine's learned fit for deals like the one searched


@dataclass(frozen=True)
class Query:
    """What ranking needs to know of the search."""

    words: int = 0  # distinct stems in the query
    radius_km: float | None = None  # with a city
    size: str = ""
    meaning: bool = False  # the need's embedding is known: meaning takes part (with words)
    learned: bool = False  # the search says what kind of deal it is: the learned fit takes part


def responsiveness_prior(answered: int, answered_timely: int, missed: int, expired: int) -> float:
    """Smoothed share of referrals answered in time: timely answers count 1, later ones half, missed and
    expired ones 0; PRIOR_REFERRALS neutral pseudo-referrals keep few referrals from deciding much."""
    answered_timely = min(answered_timely, answered)
    credit = answered_timely + LATE_ANSWER_CREDIT * (answered - answered_timely)
    settled = answered + missed + expired
    return (credit + NEUTRAL * PRIOR_REFERRALS) / (settled + PRIOR_REFERRALS)


def outcomes_prior(won: int, lost: int) -> float:
    """Smoothed share of closed deals won."""
    return (won + NEUTRAL * PRIOR_REFERRALS) / (won + lost + PRIOR_REFERRALS)


def prior(responsiveness: float, outcomes: float) -> float:
    """The query-independent part of the score, in [0, 1]: the order among otherwise equal profiles."""
    total = WEIGHTS["responsiveness"] + WEIGHTS["outcomes"]
    return (WEIGHTS["responsiveness"] * responsiveness + WEIGHTS["outcomes"] * outcomes) / total


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance."""
    p1, p2 = radians(lat1), radians(lat2)
    dp, dl = p2 - p1, radians(lon2 - lon1)
    h = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))


def active_weights(query: Query) -> dict[str, float]:
    """The weights of the signals this query uses, scaled to add up to 1."""
    used = {"responsiveness", "outcomes"}
    if query.words:
        used |= {"tags", "text"} | ({"meaning"} if query.meaning else set())
    if query.learned:
        used.add("fit")
    if query.radius_km is not None:
        used.add("proximity")
    if query.size:
        used.add("size_fit")
    total = sum(WEIGHTS[s] for s in used)
    return {s: WEIGHTS[s] / total for s in SIGNALS if s in used}


def values(candidate: Candidate, query: Query) -> dict[str, float]:
    """Each signal's value in [0, 1] (all of them; active_weights says which count)."""
    words = max(query.words, 1)
    proximity = 0.0
    if candidate.distance_km is not None and query.radius_km:
        proximity = max(0.0, 1.0 - candidate.distance_km / query.radius_km)
    size_fit = 1.0 if query.size in candidate.target_sizes else 0.0
    if not candidate.target_sizes:
        size_fit = SIZE_UNKNOWN
    return {
        "tags": min(1.0, candidate.tag_hits / words),
        "text": min(1.0, candidate.text_hits / words),
        "proximity": proximity,
        "size_fit": size_fit,
        "responsiveness": candidate.responsiveness,
        "outcomes": candidate.outcomes,
        "meaning": candidate.meaning,
        "fit": candidate.fit,
    }


def score(candidate: Candidate, query: Query, weights: dict[str, float] | None = None) -> float:
    """The total score in [0, 1]; pass `weights` (active_weights(query)) when scoring many candidates.
    The same sum as explain() gives, written out: a search scores every result it finds."""
    w = weights if weights is not None else active_weights(query)
    total = w.get("responsiveness", 0.0) * candidate.responsiveness + w.get("outcomes", 0.0) * candidate.outcomes
    if query.words:
        words = query.words
        total += w.get("tags", 0.0) * min(1.0, candidate.tag_hits / words)
        total += w.get("text", 0.0) * min(1.0, candidate.text_hits / words)
        total += w.get("meaning", 0.0) * candidate.meaning
    total += w.get("fit", 0.0) * candidate.fit
    if "proximity" in w and candidate.distance_km is not None and query.radius_km:
        total += w["proximity"] * max(0.0, 1.0 - candidate.distance_km / query.radius_km)
    if "size_fit" in w:
        sizes = candidate.target_sizes
        total += w["size_fit"] * (SIZE_UNKNOWN if not sizes else 1.0 if query.size in sizes else 0.0)
    return total


def explain(candidate: Candidate, query: Query) -> list[Signal]:
    """Each signal that takes part, with its value, weight and points; the points add up to score()."""
    found = values(candidate, query)
    return [
        Signal(signal, round(found[signal], 4), round(weight, 4), round(found[signal] * weight, 4))
        for signal, weight in active_weights(query).items()
    ]
