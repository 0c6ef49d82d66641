"""The one routing service: which partners get a request, by the learning engine (matching/engine/), and the
record of every decision (candidates, scores, each signal's points, the model version, the propensities).

The hard rules are the engine's (`matching.engine.eligibility`); "already asked" is every profile of a partner
that has a referral of the request. Intake that names no partners (`"route": {"count": n}`) and the agent's "send to the
best 3" reach `route` through `referrals.services.create_engagement`, which asks the chooser this app installs
(matching/apps.py); the agent's proposals are `preview`, which stores nothing and chooses nobody.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from random import Random

from django.db.models import QuerySet
from threadpoolctl import ThreadpoolController

from matching import explanations, learning
from matching.engine.types import Contribution, Deal, Decision, Scored
from matching.models import RoutingCandidate, RoutingDecision
from partners.models import BusinessProfile
from referrals.models import Engagement, Referral
from referrals.services import EngagementInput

PREVIEW_ID = 0  # the request id of a request not yet stored (engagement ids start at 1)
_blas = ThreadpoolController()


def route(
    engagement: Engagement, count: int, now: datetime, exclude: Collection[int] = (), keep_empty: bool = True
) -> Decision:
    """The engine's `count` partners for the engagement (fewer if fewer may get it), never one already asked
    nor one in `exclude`; the decision is stored with every candidate (unless it chose nobody and not
    `keep_empty`)."""
    asked = already_asked(engagement)
    decision = _decide(learning.deal_of(engagement), count, asked | frozenset(exclude), now)
    if decision.chosen or keep_empty:
        _store(engagement, decision, count, now)
    return decision


def already_asked(engagement: Engagement) -> frozenset[int]:
    """Every profile of the partners that have a referral of the request: a partner is asked once per request,
    whichever of its profiles."""
    partners = Referral.objects.filter(engagement=engagement).values("partner_id")
    return frozenset(BusinessProfile.objects.filter(partner_id__in=partners).values_list("pk", flat=True))


def choose_targets(engagement: Engagement, count: int, now: datetime) -> list[int]:
    """`route`'s choice as referrals.services.create_engagement asks for it."""
    return list(route(engagement, count, now).chosen)


def alternatives(engagement: Engagement, now: datetime, limit: int) -> list[Proposal]:
    """The engine's best partners for a stored request that were not asked yet, one profile per partner, in its
    order of expected value without exploration: what the customer's note offers when a partner will not follow
    up. Nothing is stored, nobody is chosen (the customer's click chooses)."""
    ranked = _decide(learning.deal_of(engagement), 0, already_asked(engagement), now).ranked
    by_id = _profiles().in_bulk([s.profile_id for s in ranked])
    offered: list[Proposal] = []
    partners: set[int] = set()
    for scored in ranked:
        profile = by_id.get(scored.profile_id)
        if profile is None or profile.partner_id in partners:
            continue
        partners.add(profile.partner_id)
        offered.append(_proposal(profile, scored, engagement.customer_city))
        if len(offered) == limit:
            break
    return offered


def refusal(engagement: Engagement, profile_id: int, now: datetime) -> str | None:
    """Why the engine's hard rules (already asked among them) keep this profile from the request now, or None
    if it may take it: asked again when the customer clicks an alternative offered days ago."""
    decision = _decide(learning.deal_of(engagement), 0, already_asked(engagement), now)
    return decision.excluded.get(profile_id)


@dataclass(frozen=True)
class Proposal:
    """One candidate as the agent's page shows it, best first."""

    profile_id: int
    partner_name: str
    country: str
    city: str
    tags: list[str]
    score: float
    why: tuple[Contribution, ...]


def preview(data: EngagementInput, now: datetime, limit: int) -> list[Proposal]:
    """The engine's order of the partners for a request not yet sent (its expected value of sending, no
    exploration): what the agent sees before choosing. Nothing is stored, nobody is chosen."""
    deal = learning.deal(
        PREVIEW_ID,
        now,
        industry=data.industry,
        requested_industries=data.requested_industries,
        products=data.requested_products,
        services=data.requested_services,
        size=data.size,
        budget=data.budget,
        budget_currency=data.budget_currency,
        country=data.country,
        city=data.city,
        language=data.language,
        source=data.source,
        need=data.need,
    )
    ranked = _decide(deal, 0, frozenset(), now).ranked[:limit]
    by_id = _profiles().in_bulk([s.profile_id for s in ranked])
    return [_proposal(by_id[s.profile_id], s, data.city) for s in ranked if s.profile_id in by_id]


def _profiles() -> QuerySet[BusinessProfile]:
    return BusinessProfile.objects.select_related("partner").prefetch_related(
        "locations", "industries", "products", "services"
    )


def _proposal(profile: BusinessProfile, scored: Scored, city: str) -> Proposal:
    places = [loc.city for loc in profile.locations.all()]
    tags = [str(t) for field in ("industries", "products", "services") for t in getattr(profile, field).all()]
    return Proposal(
        profile_id=profile.pk,
        partner_name=profile.partner.name,
        country=profile.country,
        city=city if city in places else (places[0] if places else ""),
        tags=tags,
        score=scored.score,
        why=tuple(c for c in scored.contributions if c.signal != "base" or c.points),
    )


def decision_stream(request_id: int) -> Random:
    """The random numbers the engine draws for a request: one stream per request, so the same request routed
    again draws the same way (tests, replays, the simulator's run through the services)."""
    return Random(learning.SEED * 1_000_003 + request_id)


def _decide(deal: Deal, count: int, asked: frozenset[int], now: datetime) -> Decision:
    known = learning.partners()
    # One BLAS thread: with one per core, a 512-wide embedding product over the profiles waits on threads the
    # other web workers keep busy (2,000 profiles: 28 ms instead of 0.06 ms on a loaded 2-core machine).
    with learning.current.lock, _blas.limit(limits=1, user_api="blas"):
        policy = learning.current.get()
        return policy.decide(deal, known, count, asked, now, decision_stream(deal.request_id))


def _store(engagement: Engagement, decision: Decision, count: int, now: datetime) -> RoutingDecision:
    row = RoutingDecision.objects.create(
        engagement=engagement,
        policy=decision.policy,
        model_version=decision.model_version,
        created_at=now,
        count=count,
        excluded=dict(Counter(decision.excluded.values())),
    )
    chosen = set(decision.chosen)
    RoutingCandidate.objects.bulk_create(
        RoutingCandidate(
            decision=row,
            profile_id=scored.profile_id,
            rank=rank,
            score=scored.score,
            p_interested=scored.p_interested,
            p_accept=scored.p_accept,
            p_win=scored.p_win,
            expected_value_eur=scored.expected_value_eur,
            contributions=[explanations.stored(c) for c in scored.contributions],
            boost=scored.boost,
            propensity=scored.propensity,
            chosen=scored.profile_id in chosen,
        )
        for rank, scored in enumerate(decision.ranked, start=1)
    )
    return row
