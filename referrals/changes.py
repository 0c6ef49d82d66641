"""What changed in a person's referrals while they were away: the list, and how many they have not read.

A change is a history row (`ReferralEvent`) of a referral the person may work, made by anyone but themselves:
a new referral, a colleague's or the timer's move, an assignment, notes. Only the last `WINDOW` counts, so
the count stays cheap (the index on `at`, read from now back to the person's marker, or to the cap) and a long
absence does not bury the list.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from partners.models import User
from referrals.access import visible_referrals
from referrals.models import ChangesSeen, ReferralEvent
from referrals.permissions import works_referrals

WINDOW = timedelta(days=30)
# The navigation shows "99+" beyond this: counting further would only cost time.
MAX_COUNTED = 99
LISTED = 50


def seen_at(user: User) -> datetime | None:
    return ChangesSeen.objects.filter(user=user).values_list("seen_at", flat=True).first()


def _changes(user: User, now: datetime) -> QuerySet[ReferralEvent]:
    if not works_referrals(user):
        return ReferralEvent.objects.none()
    return (
        ReferralEvent.objects.filter(referral__in=visible_referrals(user).values("pk"), at__gt=now - WINDOW)
        .exclude(actor=user)
        .order_by("-at", "-id")
    )


def unread_count(user: User, now: datetime) -> int:
    """How many changes the person has not read, up to MAX_COUNTED + 1 (shown as "99+")."""
    return _unread(user, now)[: MAX_COUNTED + 1].count()


def _unread(user: User, now: datetime) -> QuerySet[ReferralEvent]:
    # One statement on every page: the person's marker read inside it; a person without one has read nothing.
    marker = ChangesSeen.objects.filter(user=user).values("seen_at")[:1]
    unread = _changes(user, now).filter(at__gt=Coalesce(Subquery(marker), Value(now - WINDOW)))
    return unread.order_by(*_newest_first())


def _newest_first() -> tuple[str, ...]:
    """The order in which each database counts the unread changes cheapest, stopping at the cap.

    PostgreSQL, asked for the newest first, walks the `at` index back from now to the marker and checks each
    change's referral by primary key; unordered, it joins every referral of the partner to every change of the
    window (4,900 rows read at 10,000 referrals). SQLite reads each referral's changes through (referral, at)
    whichever the order: unordered it stops at the cap, ordered it would sort them all first (docs/decisions.md 68)."""
    return ("-at",) if connection.vendor == "postgresql" else ()


def recent(user: User, now: datetime) -> list[tuple[ReferralEvent, bool]]:
    """The newest LISTED changes, each with whether it is unread."""
    since = seen_at(user)
    events = _changes(user, now).select_related("actor")[:LISTED]
    return [(event, since is None or event.at > since) for event in events]


def mark_read(user: User, now: datetime) -> None:
    """Everything up to `now` is read (a change made meanwhile stays unread)."""
    ChangesSeen.objects.update_or_create(user=user, defaults={"seen_at": now})
