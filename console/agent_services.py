"""What the operator's agents do: propose partners for a customer's request, send it once, read leads."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from finder.search import Criteria, Hit, InvalidCriteria, search
from kernel.errors import NotFound
from partners import cities
from partners.models import User
from referrals import idempotency, lifecycle, permissions, services
from referrals.actors import ActorRef
from referrals.models import Engagement, Referral
from referrals.services import EngagementInput

PROPOSALS = 10  # how many ranked partners the agent sees for one request
# Around the customer's city: a metropolitan area and the towns a partner's consultants drive to in a day.
RADIUS_KM = 100.0
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
    hits: list[Hit]
    criteria: Criteria
    relaxed: bool  # True when nobody matched every criterion and fewer were used

    @property
    def used(self) -> str:
        """The criteria the partners shown match, in words."""
        return describe(self.criteria)


def describe(criteria: Criteria) -> str:
    parts = [str(_("country")), str(_("company size"))]
    if criteria.city and criteria.radius_km is not None:
        parts.append(str(_("within %(km)d km of %(city)s") % {"km": criteria.radius_km, "city": criteria.city}))
    named = (
        (criteria.language, _("language")),
        (criteria.industry, _("industry")),
        (criteria.product, _("product")),
        (criteria.service, _("service")),
        (criteria.q, _("the words of the need")),
    )
    parts += [str(name) for value, name in named if value]
    return ", ".join(parts)


def criteria_ladder(data: EngagementInput) -> list[Criteria]:
    """Search criteria built from the customer's request, strictest first, without repeats.

    The country and the size are always kept: a business profile serves one country, and a partner that
    opted out of the customer's size cannot receive the referral (create_engagement would refuse it).
    The rest go in the order we trust them least: the need's free text and the language first (prose,
    where tags drive matching; and many profiles list no language), then the city radius (many partners
    work across their country), then industry and service, keeping the requested product, the core of
    what is asked, to the last.
    """
    city = cities.lookup(data.country, data.city) if data.city else None
    industry = data.requested_industries[0] if data.requested_industries else data.industry
    product = data.requested_products[0] if data.requested_products else ""
    service = data.requested_services[0] if data.requested_services else ""
    tags = Criteria(country=data.country, size=data.size, industry=industry, product=product, service=service)
    nearby = replace(tags, city=city.name, radius_km=RADIUS_KM) if city else tags
    ladder = [
        replace(nearby, q=data.need, language=data.language),
        nearby,
        tags,
        Criteria(country=data.country, size=data.size, product=product),
        Criteria(country=data.country, size=data.size),
    ]
    unique: list[Criteria] = []
    for criteria in ladder:
        if criteria not in unique:
            unique.append(criteria)
    return unique


def propose(data: EngagementInput, now: datetime, limit: int = PROPOSALS) -> Proposal:
    """The best-ranked partners for the request, from the strictest criteria that find any."""
    ladder = criteria_ladder(data)
    for i, criteria in enumerate(ladder):
        try:
            results = search(criteria, now, limit=limit)
        except InvalidCriteria:
            continue  # e.g. a city the finder does not know: try without it
        if results.hits:
            return Proposal(results.hits, criteria, relaxed=i > 0)
    return Proposal([], ladder[-1], relaxed=len(ladder) > 1)


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
