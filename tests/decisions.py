"""Stored routing decisions with known reasons, for the pages and the API that show them."""

from __future__ import annotations

from typing import Any

from matching.models import RoutingCandidate, RoutingDecision
from partners.models import BusinessProfile
from referrals.models import Engagement
from tests.factories import NOW

MINE = [
    {"signal": "base", "label": "a typical request", "points": 10.0},
    {"signal": "distance", "label": "12 km away", "points": 2.5},
    {"signal": "accepted before", "label": "you accepted 4 of 5 similar office-suite deals", "points": 7.0},
    {"signal": "responsiveness", "label": "answers within 6 h", "points": 1.5},
    {"signal": "capacity", "label": "3 of 5 open referrals", "points": -0.5},
    {"signal": "boost", "label": "new partner: a fair chance", "points": 0.0},
]
THEIRS = [
    {"signal": "base", "label": "a typical request", "points": 10.0},
    {"signal": "distance", "label": "480 km away", "points": 1.0},
    {"signal": "won before", "label": "you won 9 of 9 similar office-suite deals", "points": 5.0},
]


def decided(
    engagement: Engagement, candidates: list[tuple[BusinessProfile, list[dict[str, Any]], bool, str]]
) -> RoutingDecision:
    """A decision of the request ranking `candidates` (profile, contributions, chosen, boost) in the given order."""
    decision = RoutingDecision.objects.create(
        engagement=engagement, policy="engine", model_version="engine-7", created_at=NOW, count=1
    )
    for rank, (profile, parts, chosen, boost) in enumerate(candidates, start=1):
        RoutingCandidate.objects.create(
            decision=decision,
            profile=profile,
            rank=rank,
            score=sum(p["points"] for p in parts),
            p_interested=0.5,
            p_accept=0.5,
            p_win=0.5,
            expected_value_eur=1000.0,
            contributions=parts,
            boost=boost,
            propensity=0.5,
            chosen=chosen,
        )
    return decision
