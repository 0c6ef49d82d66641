"""A customer's request from the finder: up to three partners, one engagement, and bots kept out.

One function, `send_request`, used by the finder's page and the public API alike. It checks every field,
stops bots (a honeypot, a per-address and per-e-mail rate limit), skips partners this e-mail already
asked in the last 24 hours, and writes one engagement (source "finder") with one referral per partner
and the customer's confirmation e-mail, in one transaction. A customer who chose nobody (a search that found
no one) may leave the choice to the programme (`route`): its routing engine picks up to MAX_PARTNERS.
Messages are in English (marked with `_` = gettext_noop for the finder's catalogue); pages translate them.

Whoever sends a request may not own the e-mail address in it: what the sender is shown never depends on
what that address asked before (the page and the API answer alike whether partners were asked now or had
been already). The owner of the address is told by e-mail instead (CUSTOMER_ALREADY_ASKED). The check and
the write hold a lock on the address's row (RequestSender), so the same request sent many times at once
asks each partner once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop as _

from finder.models import RequestSender
from kernel.errors import InvalidInput, ServiceError
from notifications import outbox
from partners import cities
from partners.models import BusinessProfile
from referrals import engagement_validation, services
from referrals.actors import ActorRef
from referrals.models import Engagement, Referral
from taxonomy.models import CompanySize, Industry

MAX_PARTNERS = 3
# Successful (or bot) requests per client address and per e-mail address within the window.
REQUESTS_PER_WINDOW = 5
RATE_WINDOW = timedelta(hours=1)
DUPLICATE_WINDOW = timedelta(hours=24)
PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
LANGUAGES = ("en", "ru")

# What the customer sees in the history of each referral.
ACTOR = ActorRef.system("partner finder")


@dataclass
class RequestInput:
    profile_ids: list[int]
    company: str
    size: str
    industry: str
    country: str
    city: str
    contact_name: str
    email: str
    phone: str
    need: str
    consent_contact: bool
    consent_share: bool = False
    budget: Decimal | None = None
    budget_currency: str = ""
    timeline: str = ""
    language: str = "en"
    # A field people never see (hidden on the page); only bots fill it in.
    honeypot: str = ""
    # With no partner chosen: the programme's routing chooses up to MAX_PARTNERS (a search that found nobody).
    route: bool = False


@dataclass(frozen=True)
class RequestOutcome:
    """What happened. `engagement` is None when nothing was created: every chosen partner was already
    asked by this e-mail within 24 hours (`already_asked`), or a bot filled the honeypot (both empty)."""

    engagement: Engagement | None
    referral_ids: list[int] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # names of the partners asked now
    already_asked: list[str] = field(default_factory=list)  # names of the partners not asked again
    already_asked_ids: list[int] = field(default_factory=list)

    @property
    def all_duplicates(self) -> bool:
        return self.engagement is None and bool(self.already_asked_ids)


class RateLimited(ServiceError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(_("Too many requests from this address. Please try again later."))
        self.retry_after = retry_after


# --- Rate limit --------------------------------------------------------------------------------


def _key(kind: str, value: str) -> str:
    return f"finder-request:{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()}"


def _recent(key: str, now: datetime) -> list[float]:
    """The times (Unix seconds) of the requests within the window, oldest first."""
    since = (now - RATE_WINDOW).timestamp()
    return [t for t in cache.get(key, []) if t > since]


def _retry_after(keys: list[str], now: datetime) -> int | None:
    """Seconds until one more request is allowed under every key, or None if it is allowed now."""
    waits = []
    for key in keys:
        stamps = _recent(key, now)
        if len(stamps) >= REQUESTS_PER_WINDOW:
            oldest_that_counts = stamps[-REQUESTS_PER_WINDOW]
            waits.append(oldest_that_counts + RATE_WINDOW.total_seconds() - now.timestamp())
    return max(1, int(max(waits)) + 1) if waits else None


def _count(keys: list[str], now: datetime) -> None:
    # A sliding window: each key keeps the times of its recent requests (not atomic across processes,
    # which at worst lets a few more through; the limit is against bots, not an accounting).
    for key in keys:
        cache.set(key, [*_recent(key, now), now.timestamp()], int(RATE_WINDOW.total_seconds()))


# --- Checks ------------------------------------------------------------------------------------


def check(data: RequestInput) -> dict[str, str]:
    """Every field's problem, by field name; empty if the request can go."""
    errors: dict[str, str] = {}
    ids = data.profile_ids
    if not ids and not data.route:
        errors["profile_ids"] = _("Choose at least one partner.")
    elif len(set(ids)) > MAX_PARTNERS:
        errors["profile_ids"] = _("Choose at most 3 partners.")
    company = data.company.strip()
    if not company:
        errors["company"] = _("Enter your company's name.")
    elif len(company) > 200:
        errors["company"] = _("Keep the company name under 200 characters.")
    if not data.size:
        errors["size"] = _("Choose your company's size.")
    elif not CompanySize.objects.filter(code=data.size).exists():
        errors["size"] = _("Choose a company size from the list.")
    if not data.industry:
        errors["industry"] = _("Choose your industry.")
    elif not Industry.objects.filter(code=data.industry).exists():
        errors["industry"] = _("Choose an industry from the list.")
    country_known = data.country.upper() in dict(cities.countries())
    if not data.country:
        errors["country"] = _("Choose your country.")
    elif not country_known:
        errors["country"] = _("Choose a country from the list.")
    if not data.city.strip():
        errors["city"] = _("Enter your city.")
    elif country_known and cities.lookup(data.country, data.city) is None:
        errors["city"] = _("We do not know this city in the chosen country. Check the spelling.")
    name = data.contact_name.strip()
    if not name:
        errors["contact_name"] = _("Enter your name.")
    elif len(name) > 200:
        errors["contact_name"] = _("Keep the name under 200 characters.")
    try:
        validate_email(data.email.strip())
    except ValidationError:
        errors["email"] = _("Enter a valid e-mail address, such as anna@example.com.")
    phone = data.phone.strip()
    digits = sum(ch.isdigit() for ch in phone)
    if not phone:
        errors["phone"] = _("Enter your phone number.")
    elif not PHONE.match(phone) or not 6 <= digits <= 20 or len(phone) > 40:
        errors["phone"] = _("Enter a phone number of 6 to 20 digits; spaces, +, - and brackets are fine.")
    if not data.need.strip():
        errors["need"] = _("Describe what you need.")
    errors |= engagement_validation.need_errors(data.need)
    errors |= engagement_validation.budget_errors(data.budget, data.budget_currency)
    if len(data.timeline.strip()) > 120:
        errors["timeline"] = _("Keep the timeline under 120 characters.")
    if not data.consent_contact:
        errors["consent_contact"] = _(
            "Agree to be contacted by the partners you chose, or we cannot send your request."
        )
    if data.language not in LANGUAGES:
        errors["language"] = _("Use en or ru.")
    if "profile_ids" not in errors and "size" not in errors:
        found = services.targetable_profiles(data.size).filter(pk__in=ids).values_list("pk", flat=True)
        if set(ids) - set(found):
            errors["profile_ids"] = _("Some of the partners you chose cannot take requests now. Choose others.")
    return errors


@dataclass(frozen=True)
class EarlierRequest:
    """The first referral through which this e-mail asked a profile in the last 24 hours."""

    referral_id: int
    email: str  # as the earlier request wrote it
    language: str


def _already_asked(data: RequestInput, now: datetime) -> dict[int, EarlierRequest]:
    """The chosen profiles this e-mail asked in the last 24 hours, through any engagement."""
    rows = (
        Referral.objects.filter(
            profile_id__in=data.profile_ids,
            engagement__created_at__gt=now - DUPLICATE_WINDOW,
            engagement__contacts__email__iexact=data.email.strip(),
        )
        .order_by("pk")
        .values_list("profile_id", "pk", "engagement__contacts__email", "engagement__language")
    )
    found: dict[int, EarlierRequest] = {}
    for profile_id, referral_id, email, language in rows:
        if email.casefold() == data.email.strip().casefold():
            found.setdefault(profile_id, EarlierRequest(referral_id, email, language))
    return found


def _hold_sender(email: str, now: datetime) -> None:
    """Lock the address's row until the transaction ends (made on its first request): requests from one
    address are checked and written one at a time. An UPDATE, not SELECT ... FOR UPDATE: on SQLite too it
    takes the write lock before the check reads."""
    digest = hashlib.sha256(email.strip().casefold().encode()).hexdigest()
    if RequestSender.objects.filter(email_digest=digest).update(last_request_at=now):
        return
    try:
        with transaction.atomic():
            RequestSender.objects.create(email_digest=digest, last_request_at=now)
    except IntegrityError:  # made by a concurrent request a moment ago, which has committed: wait for none
        RequestSender.objects.filter(email_digest=digest).update(last_request_at=now)


def _tell_owner(earlier: dict[int, EarlierRequest], repeated: list[int], now: datetime) -> None:
    """Tell the address's owner (in the language of their earlier request) that these partners were asked
    again: not the sender, who may be someone else probing whom that address asked."""
    first = min((earlier[pk] for pk in repeated), key=lambda e: e.referral_id)
    names = partner_names(repeated)
    outbox.add(
        [
            outbox.email(
                outbox.CUSTOMER_ALREADY_ASKED, first.email, first.language, now, first.referral_id, partners=names
            )
        ]
    )


def partner_names(profile_ids: list[int]) -> list[str]:
    """The names of these profiles' partners, in their order (those customers may find)."""
    names = dict(BusinessProfile.objects.visible().filter(pk__in=profile_ids).values_list("pk", "partner__name"))
    return [names[pk] for pk in profile_ids if pk in names]


# --- The action --------------------------------------------------------------------------------


def send_request(data: RequestInput, client_ip: str, now: datetime) -> RequestOutcome:
    """Send the customer's request to the chosen partners. Raises RateLimited or InvalidInput (by field)."""
    ip_key = _key("ip", client_ip or "unknown")
    wait = _retry_after([ip_key], now)
    if wait is not None:
        raise RateLimited(wait)
    if data.honeypot.strip():
        # Pretend it went: a bot learns nothing, and nothing is written or sent.
        _count([ip_key], now)
        return RequestOutcome(engagement=None)
    errors = check(data)
    if errors:
        raise InvalidInput(errors)
    keys = [ip_key, _key("email", data.email)]
    wait = _retry_after(keys, now)
    if wait is not None:
        raise RateLimited(wait)
    _count(keys, now)
    chosen = list(dict.fromkeys(data.profile_ids))
    if not chosen:
        return _route(data, now)
    with transaction.atomic():
        _hold_sender(data.email, now)
        earlier = _already_asked(data, now)
        fresh = [pk for pk in chosen if pk not in earlier]
        repeated = [pk for pk in chosen if pk in earlier]
        if repeated:
            _tell_owner(earlier, repeated, now)
        if not fresh:
            return RequestOutcome(engagement=None, already_asked=partner_names(repeated), already_asked_ids=repeated)
        try:
            engagement = services.create_engagement(_engagement_input(data, fresh), ACTOR, now)
        except InvalidInput as exc:  # its "targets" are the partners chosen here
            raise InvalidInput({"profile_ids" if k == "targets" else k: v for k, v in exc.errors.items()}) from None
        referral_ids = _confirm(engagement, data, now)
    return RequestOutcome(
        engagement=engagement,
        referral_ids=referral_ids,
        asked=partner_names(fresh),
        already_asked=partner_names(repeated),
        already_asked_ids=repeated,
    )


def _route(data: RequestInput, now: datetime) -> RequestOutcome:
    """The programme's routing chooses the partners: nobody was chosen, so none can have been asked before."""
    with transaction.atomic():
        try:
            engagement = services.create_engagement(_engagement_input(data, [], MAX_PARTNERS), ACTOR, now)
        except InvalidInput as exc:
            if set(exc.errors) - {"route"}:
                raise
            raise InvalidInput({"route": _("No partner can take your request now. Please try again later.")}) from None
        referral_ids = _confirm(engagement, data, now)
    profiles = list(engagement.referrals.order_by("pk").values_list("profile_id", flat=True))
    return RequestOutcome(engagement=engagement, referral_ids=referral_ids, asked=partner_names(profiles))


def _confirm(engagement: Engagement, data: RequestInput, now: datetime) -> list[int]:
    """The request's referrals, and its one confirmation to the customer (naming it through its first referral),
    in the caller's transaction."""
    referral_ids = list(engagement.referrals.order_by("pk").values_list("pk", flat=True))
    outbox.add([outbox.email(outbox.CUSTOMER_REQUEST_SENT, data.email.strip(), data.language, now, referral_ids[0])])
    return referral_ids


def _engagement_input(data: RequestInput, targets: list[int], route: int | None = None) -> services.EngagementInput:
    city = cities.lookup(data.country, data.city)
    return services.EngagementInput(
        company=data.company.strip(),
        size=data.size,
        industry=data.industry,
        country=data.country.upper(),
        city=city.name if city else data.city.strip(),
        need=data.need.strip(),
        contacts=[services.ContactInput(data.contact_name.strip(), data.email.strip(), data.phone.strip())],
        consent_contact=data.consent_contact,
        consent_share=data.consent_share,
        source=Engagement.Source.FINDER,
        targets=targets,
        route_count=route,
        budget=data.budget,
        budget_currency=data.budget_currency if data.budget is not None else "",
        timeline=data.timeline.strip(),
        language=data.language,
    )


# --- A customer's follow-up (the "this partner will not follow up" e-mail's link) ----------------------


def asked_profiles(engagement: Engagement) -> frozenset[int]:
    """The profiles this request already asked: never proposed to the customer again."""
    return frozenset(engagement.referrals.values_list("profile_id", flat=True))


def follow_up_values(engagement: Engagement) -> dict[str, Any]:
    """What a new request from this one's link starts with: the company and the need, never the contact's
    name, e-mail or phone (the link may have been forwarded)."""
    return {
        "company": engagement.customer_company,
        "size": engagement.customer_size_id,
        "industry": engagement.customer_industry_id or "",
        "country": engagement.customer_country,
        "city": engagement.customer_city,
        "need": engagement.need,
        "timeline": engagement.timeline,
    }
