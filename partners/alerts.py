"""Who receives a profile's alerts: its contacts, less the team members who switched that alert off.

A contact is a person when its address is a user's of the same partner; that user's notification
preferences then apply. Contacts who are not users (a shared sales inbox) always receive alerts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from partners.models import ProfileContact, User

NEW_REFERRALS = "notify_new_referrals"
REMINDERS = "notify_reminders"


def recipients(profile_ids: Iterable[int], preference: str) -> dict[int, list[tuple[str, str]]]:
    """(address, language) of each profile's contacts that want this kind of alert."""
    by_profile: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = list(
        ProfileContact.objects.filter(profile_id__in=set(profile_ids)).values_list(
            "profile_id", "profile__partner_id", "email", "language"
        )
    )
    muted = {
        (partner_id, email.casefold())
        for partner_id, email in User.objects.filter(
            partner_id__in={r[1] for r in rows}, is_active=True, **{preference: False}
        ).values_list("partner_id", "email")
    }
    for profile_id, partner_id, address, language in rows:
        if (partner_id, address.casefold()) not in muted:
            by_profile[profile_id].append((address, language))
    return by_profile
