"""The customer's status page of their request, without an account: which partners were asked, what each did in the
customer's words, and, once a partner dropped out, the alternatives of the customer's note (finder/alternatives.py:
the same partners and the same one-click links, never a second way to send the request).

The page's address is a capability: the request's public token and a signature of the time the link was made, with
a salt that holds the token, so one request's signature never opens another's page; it is good for `LINK_VALID`.
It goes to the customer's address alone (the confirmation e-mail): the thank-you page answers the same whoever sent
the request (decision 31), so it never links here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from console.models import SpamVerdict
from finder.alternatives import Alternative, for_note
from partners.models import BusinessProfile, Location
from referrals import lifecycle
from referrals.lifecycle import State
from referrals.models import Engagement, Referral

LINK_VALID = timedelta(days=180)
_SALT = "finder.status:"

# What the customer reads for each state of a referral: what the partner did, never why (reasons, notes and deal
# values are the partner's own).
WORDS: dict[State, Promise] = {
    State.NEW: gettext_lazy("Has not answered yet"),
    State.EVALUATING: gettext_lazy("Interested: will get in touch with you"),
    State.NEGOTIATING: gettext_lazy("Preparing an offer with you"),
    State.WON: gettext_lazy("Agreed a deal with you"),
    State.LOST: gettext_lazy("Closed without a deal"),
    State.SKIPPED: gettext_lazy("Cannot help with this request"),
    State.DECLINED: gettext_lazy("Decided not to go ahead"),
    State.MISSED: gettext_lazy("Did not answer in time"),
    State.EXPIRED: gettext_lazy("Did not follow up in time"),
}


class NotFound(Exception):
    """The link opens no page: not made by us, of no request, or expired (all the same to the visitor)."""


@dataclass(frozen=True)
class Asked:
    """One partner the request went to, as the customer may see it."""

    partner_name: str
    profile_url: str  # its public page; "" once customers can no longer find it
    state: State
    words: Promise
    since: datetime
    dropped_out: bool


@dataclass(frozen=True)
class Status:
    company: str
    sent_at: datetime
    asked: list[Asked]
    alternatives: list[Alternative]
    more_url: str  # the finder's search for this request, leaving out the partners asked


def link(engagement: Engagement, now: datetime) -> str:
    issued = signing.b62_encode(int(now.timestamp()))
    signed = _signer(engagement.public_token).sign(issued)
    return settings.SITE_ROOT + reverse("finder:status", args=[engagement.public_token, signed])


def engagement_of(token: str, signed: str, now: datetime) -> Engagement:
    """The request a link opens now; NotFound if it opens none."""
    # The signature first: a guessed or altered link costs no query.
    try:
        issued = signing.b62_decode(_signer(token).unsign(signed))
    except (signing.BadSignature, ValueError):
        raise NotFound from None
    engagement = Engagement.objects.filter(public_token=token).first() if token else None
    if engagement is None or now.timestamp() - issued > LINK_VALID.total_seconds():
        raise NotFound
    return engagement


def read(token: str, signed: str, now: datetime) -> Status:
    """The page a link opens, as things are now; NotFound if it opens none. Changes nothing."""
    engagement = engagement_of(token, signed, now)
    referrals = list(engagement.referrals.select_related("partner").order_by("pk"))
    asked = _asked(referrals)
    return Status(
        company=engagement.customer_company,
        sent_at=engagement.created_at,
        asked=asked,
        alternatives=_alternatives(engagement, asked, now),
        more_url=reverse("finder:search") + "?" + urlencode({"request": engagement.public_token}),
    )


def _asked(referrals: list[Referral]) -> list[Asked]:
    states_of_partner: dict[int, list[State]] = defaultdict(list)
    for referral in referrals:
        states_of_partner[referral.partner_id].append(State(referral.state))
    pages = _public_pages(referrals)
    shown = []
    for referral in referrals:
        state = State(referral.state)
        others = list(states_of_partner[referral.partner_id])
        others.remove(state)
        shown.append(
            Asked(
                partner_name=referral.partner.name,
                profile_url=pages.get(referral.pk, ""),
                state=state,
                words=WORDS[state],
                since=referral.state_entered_at,
                dropped_out=lifecycle.customer_told_partner_will_not_follow_up(state, others),
            )
        )
    return shown


def _public_pages(referrals: list[Referral]) -> dict[int, str]:
    """Each referral's partner page in the finder (the location it was sent to, else the profile's first), for the
    profiles customers may still find."""
    visible = set(
        BusinessProfile.objects.visible().filter(pk__in=[r.profile_id for r in referrals]).values_list("pk", flat=True)
    )
    locations: dict[int, list[int]] = defaultdict(list)
    for location_id, profile_id in Location.objects.filter(profile_id__in=visible).values_list("pk", "profile_id"):
        locations[profile_id].append(location_id)
    pages = {}
    for referral in referrals:
        own = locations.get(referral.profile_id)
        if own:
            location_id = referral.location_id if referral.location_id in own else own[0]
            pages[referral.pk] = reverse("finder:profile", args=[location_id])
    return pages


def _alternatives(engagement: Engagement, asked: list[Asked], now: datetime) -> list[Alternative]:
    """The note's alternatives, once a partner will not follow up; none for a request confirmed as spam, which
    nothing sends on."""
    if not any(a.dropped_out for a in asked) or SpamVerdict.objects.confirms(engagement.pk):
        return []
    return for_note(engagement, now)


def _signer(token: str) -> signing.Signer:
    return signing.Signer(salt=_SALT + token)
