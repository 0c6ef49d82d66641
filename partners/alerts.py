"""Who receives a referral's alerts: the profile's alert contacts and the team members who cover the
referral's location, less anyone who switched that kind of alert off.

A contact is a person when its address is a user's of the same partner; that user's notification
preferences then apply. Contacts who are not users (a shared sales inbox) receive alerts unless a one-click
unsubscribe link of theirs switched that kind off (RFC 8058; `unsubscribe`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core import signing
from django.db import transaction

from partners.models import ProfileContact, User

NEW_REFERRALS = "notify_new_referrals"
REMINDERS = "notify_reminders"
PREFERENCES = (NEW_REFERRALS, REMINDERS)
_UNSUBSCRIBE_SALT = "partners.alerts.unsubscribe"

# (referral id, profile id, location id or None)
Target = tuple[int, int, int | None]


def recipients(targets: Iterable[Target], preference: str) -> dict[int, list[tuple[str, str]]]:
    """(address, language) for each referral, each address once, contacts first."""
    targets = list(targets)
    contacts: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for profile_id, partner_id, address, language in ProfileContact.objects.filter(
        profile_id__in={t[1] for t in targets}, **{preference: True}
    ).values_list("profile_id", "profile__partner_id", "email", "language"):
        contacts[profile_id].append((partner_id, address, language))
    partners = {p for rows in contacts.values() for p, _a, _l in rows}
    muted = {
        (partner_id, email.casefold())
        for partner_id, email in User.objects.filter(
            partner_id__in=partners, is_active=True, **{preference: False}
        ).values_list("partner_id", "email")
    }
    covering: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for covered, email, language in User.objects.filter(
        locations__in={t[2] for t in targets if t[2] is not None}, is_active=True, **{preference: True}
    ).values_list("locations", "email", "language"):
        if covered is not None:
            covering[covered].append((email, language))
    result: dict[int, list[tuple[str, str]]] = {}
    for referral_id, profile_id, location_id in targets:
        chosen: dict[str, tuple[str, str]] = {}
        for partner_id, address, language in contacts[profile_id]:
            if (partner_id, address.casefold()) not in muted:
                chosen.setdefault(address.casefold(), (address, language))
        for address, language in covering.get(location_id, []) if location_id is not None else []:
            chosen.setdefault(address.casefold(), (address, language))
        result[referral_id] = list(chosen.values())
    return result


def _user(partner_id: int, address: str) -> User | None:
    return User.objects.filter(partner_id=partner_id, email__iexact=address, is_active=True).first()


def time_zone_of(partner_id: int, address: str) -> str:
    """The time zone an alert to `address` shows its times in: the user's own, or UTC for a shared inbox."""
    user = _user(partner_id, address)
    return user.time_zone if user is not None else "UTC"


@dataclass(frozen=True)
class Unsubscribe:
    """Who stops which kind of alert: one address of one partner, one preference."""

    partner_id: int
    address: str
    preference: str
    language: str


def unsubscribe_token(partner_id: int, address: str, preference: str, language: str) -> str:
    """The signed part of a one-click unsubscribe link; it never expires (mail programs keep it for years)."""
    assert preference in PREFERENCES
    return signing.dumps([partner_id, address, preference, language], salt=_UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe(token: str) -> Unsubscribe | None:
    """The request a link stands for, or None if it was not made by us (tampered, truncated, another salt)."""
    try:
        partner_id, address, preference, language = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if preference not in PREFERENCES:
        return None
    return Unsubscribe(int(partner_id), str(address), preference, str(language))


@transaction.atomic
def unsubscribe(request: Unsubscribe) -> None:
    """Switch that kind of alert off for the address: the user's preference (the settings page switches it back
    on), or, for an address that is no user's, its profile contacts' at the partner."""
    user = _user(request.partner_id, request.address)
    if user is not None:
        User.objects.filter(pk=user.pk).update(**{request.preference: False})
        return
    ProfileContact.objects.filter(profile__partner_id=request.partner_id, email__iexact=request.address).update(
        **{request.preference: False}
    )
