"""Who receives a referral's alerts: the profile's alert contacts and the team members who cover the
referral's location, less anyone who switched that kind of alert off.

A contact is a person when its address is a user's of the same partner; that user's notification
preferences then apply. Contacts who are not users (a shared sales inbox) always receive alerts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from partners.models import ProfileContact, User

NEW_REFERRALS = "notify_new_referrals"
REMINDERS = "notify_reminders"

# (referral id, profile id, location id or None)
Target = tuple[int, int, int | None]


def recipients(targets: Iterable[Target], preference: str) -> dict[int, list[tuple[str, str]]]:
    """(address, language) for each referral, each address once, contacts first."""
    targets = list(targets)
    contacts: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for profile_id, partner_id, address, language in ProfileContact.objects.filter(
        profile_id__in={t[1] for t in targets}
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
