"""The alternatives in the customer's note: when a partner will not follow up, the note names up to
`NOTE_ALTERNATIVES` partners the routing engine ranks best among those not yet asked (matching.routing), each with
a link that sends the request to it in one click; the click is the customer's consent. A request confirmed as spam
is sent nowhere, whatever link the customer kept.

A link is the request's public token and a signature of the profile id and the time the note was rendered, made
with a salt that holds the token: it cannot add partners to another request, and it is good for `LINK_VALID`.
Following it (GET) only shows what a click would do; the POST sends, through referrals.services.offer_to_more, which
allows one referral per partner, so a second click changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from console.models import SpamVerdict
from kernel.errors import InvalidInput
from matching import routing
from matching.engine import eligibility
from partners.models import BusinessProfile
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Engagement

NOTE_ALTERNATIVES = 3
LINK_VALID = timedelta(days=14)
CUSTOMER = ActorRef.system("customer")
COMMENT = "Chosen by the customer from the alternatives"
_SALT = "finder.alternatives:"


class LinkRefused(Exception):
    """The link cannot send the request; `reason` is one of the messages below (the page says it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


INVALID = "This link is not valid. Please use the link from your e-mail as it is."
EXPIRED = "This link has expired. Please search for partners again."
ALREADY_ASKED = "This partner already has your request."
UNAVAILABLE = "This partner cannot take new requests now. Please search for other partners."
CLOSED = "This request was closed by the programme and can no longer be sent to partners."


@dataclass(frozen=True)
class Alternative:
    """One partner as the note names it, with the link that sends the request to it."""

    profile_id: int
    partner_name: str
    city: str
    country: str  # the city's, so that the note names it in its reader's language
    url: str


def for_note(engagement: Engagement, now: datetime) -> list[Alternative]:
    """The note's alternatives, chosen when it is rendered (the outbox renders from current data)."""
    return [
        Alternative(p.profile_id, p.partner_name, p.city, p.country, link(engagement, p.profile_id, now))
        for p in routing.alternatives(engagement, now, NOTE_ALTERNATIVES)
    ]


def link(engagement: Engagement, profile_id: int, now: datetime) -> str:
    issued = signing.b62_encode(int(now.timestamp()))
    signed = _signer(engagement.public_token).sign(f"{profile_id}.{issued}")
    return settings.SITE_ROOT + reverse("finder:alternative", args=[engagement.public_token, signed])


@dataclass(frozen=True)
class Offer:
    """What a valid link would do: send `engagement` to `profile`."""

    engagement: Engagement
    profile: BusinessProfile


def read(token: str, signed: str, now: datetime) -> Offer:
    """The offer a link makes, checked now; LinkRefused if it is not valid, has expired, or the partner may no
    longer get the request. Changes nothing."""
    engagement = Engagement.objects.filter(public_token=token).first() if token else None
    if engagement is None:
        raise LinkRefused(INVALID)
    try:
        profile_part, issued_part = _signer(token).unsign(signed).split(".")
        profile_id, issued = int(profile_part), signing.b62_decode(issued_part)
    except (signing.BadSignature, ValueError):
        raise LinkRefused(INVALID) from None
    if now.timestamp() - issued > LINK_VALID.total_seconds():
        raise LinkRefused(EXPIRED)
    if SpamVerdict.objects.confirms(engagement.pk):
        raise LinkRefused(CLOSED)
    profile = BusinessProfile.objects.select_related("partner").filter(pk=profile_id).first()
    if profile is None:
        raise LinkRefused(UNAVAILABLE)
    refused = routing.refusal(engagement, profile.pk, now)
    if refused:
        raise LinkRefused(ALREADY_ASKED if refused == eligibility.ALREADY_ASKED else UNAVAILABLE)
    return Offer(engagement, profile)


def send(token: str, signed: str, now: datetime) -> Offer:
    """The customer's click: the request sent to the link's partner (one referral, its history row and alerts);
    LinkRefused, and nothing changed, if the link may not send it."""
    offer = read(token, signed, now)
    try:
        services.offer_to_more(offer.engagement.pk, [offer.profile.pk], CUSTOMER, now, comment=COMMENT)
    except InvalidInput as exc:
        # Another click or the cascade asked the partner meanwhile (offer_to_more holds the request's lock).
        asked = exc.errors.get("targets") == services.ONE_PER_PARTNER
        raise LinkRefused(ALREADY_ASKED if asked else UNAVAILABLE) from None
    return offer


def _signer(token: str) -> signing.Signer:
    return signing.Signer(salt=_SALT + token)
