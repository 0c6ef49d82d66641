"""What the operator's agents do: propose partners for a customer's request (the routing engine's order), send it
once to the ticked partners or to the engine's best, read leads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet

from kernel.errors import NotFound
from matching import routing
from matching.routing import preview
from partners.models import User
from referrals import idempotency, lifecycle, permissions, services
from referrals.actors import ActorRef
from referrals.models import Engagement, Referral
from referrals.services import EngagementInput

PROPOSALS = 10  # how many ranked partners the agent sees for one request
ROUTED = 3  # "Send to the best 3": how many partners the routing engine chooses for the agent
LEAD_SOURCES = (Engagement.Source.ADVERTISING, Engagement.Source.API)
# Idempotency keys are per user; this prefix keeps the console's form tokens apart from API clients' keys.
FORM_KEY_PREFIX = "console-new-referral:"


def require_operator(user: User) -> User:
    """The user, if the operator's agents' pages are theirs (agents and programme admins); 403 otherwise."""
    if not permissions.is_operator(user):
        raise PermissionDenied("The console is for the operator's agents and programme admins.")
    return user


# --- Proposals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    hits: list[routing.Proposal]  # the routing engine's order, best first, each with its signals' points


def propose(data: EngagementInput, now: datetime, limit: int = PROPOSALS) -> Proposal:
    """The partners the routing engine would send the request to, best first, with why (nothing is stored)."""
    return Proposal(preview(data, now, limit))


# --- Sending ----------------------------------------------------------------------------------


def send_referral(agent: User, token: str, data: EngagementInput, now: datetime) -> tuple[int, bool]:
    """Create the engagement (source agent, created by the agent) once per form token.

    Returns its id and whether it existed already: a form sent twice (double click, back and resend)
    gets the first engagement back and creates nothing. Raises InvalidInput for a refused request,
    which leaves nothing behind, not even the token's record.
    """
    require_operator(agent)

    def produce() -> tuple[int, dict[str, int]]:
        engagement = services.create_engagement(data, ActorRef.person(agent), now)
        return 201, {"engagement_id": engagement.pk}

    # The digest covers the token alone: whatever the second submission holds, the token was spent.
    outcome = idempotency.run(
        agent, FORM_KEY_PREFIX + token, idempotency.digest("POST", "console:new-referral", token), now, produce
    )
    return int(outcome.body["engagement_id"]), outcome.replayed


# --- Reading ----------------------------------------------------------------------------------


def _referrals() -> Prefetch:
    return Prefetch("referrals", queryset=Referral.objects.select_related("partner", "location").order_by("id"))


def engagement(engagement_id: int) -> Engagement:
    """One engagement with its contacts and referrals, for the operator's read-only page."""
    try:
        return (
            Engagement.objects.select_related("customer_size", "customer_industry", "created_by")
            .prefetch_related("contacts", _referrals())
            .get(pk=engagement_id)
        )
    except Engagement.DoesNotExist:
        raise NotFound() from None


def start_of_day(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def leads(campaign: str | None, since: date | None, until: date | None, zone: tzinfo) -> QuerySet[Engagement]:
    """Engagements from advertising and intake integrations, newest first, within the period (dates in `zone`)."""
    rows = Engagement.objects.filter(source__in=LEAD_SOURCES)
    if campaign:
        rows = rows.filter(campaign_id=campaign)
    if since:
        rows = rows.filter(created_at__gte=start_of_day(since, zone))
    if until:
        rows = rows.filter(created_at__lt=start_of_day(until + timedelta(days=1), zone))
    return rows.select_related("customer_size").prefetch_related(_referrals()).order_by("-created_at", "-id")


def campaigns(limit: int = 200) -> list[str]:
    """The campaign ids leads came with, for the filter's suggestions."""
    rows = Engagement.objects.filter(source__in=LEAD_SOURCES).exclude(campaign_id="")
    return list(rows.order_by("campaign_id").values_list("campaign_id", flat=True).distinct()[:limit])


@dataclass(frozen=True)
class Counts:
    leads_today: int
    leads_this_week: int
    mine_this_week: int
    mine_waiting: int  # referrals of my engagements still waiting for the partner's first answer


def counts(agent: User, now: datetime, zone: tzinfo) -> Counts:
    """The console home's numbers; days and weeks (from Monday) in the agent's time zone."""
    today = now.astimezone(zone).date()
    day_start = start_of_day(today, zone)
    week_start = start_of_day(today - timedelta(days=today.weekday()), zone)
    leads_ = Engagement.objects.filter(source__in=LEAD_SOURCES)
    mine = Engagement.objects.filter(created_by=agent, source=Engagement.Source.AGENT)
    return Counts(
        leads_today=leads_.filter(created_at__gte=day_start).count(),
        leads_this_week=leads_.filter(created_at__gte=week_start).count(),
        mine_this_week=mine.filter(created_at__gte=week_start).count(),
        mine_waiting=Referral.objects.filter(engagement__in=mine, state=lifecycle.AWAITING_ANSWER).count(),
    )


def recent_engagements(agent: User, limit: int = 5) -> list[Engagement]:
    rows = Engagement.objects.filter(created_by=agent, source=Engagement.Source.AGENT)
    return list(rows.prefetch_related(_referrals()).order_by("-created_at", "-id")[:limit])
