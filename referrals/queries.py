"""Reading referrals for a user: filtered, keyset-paginated, masked. Used by the API and exports."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q, QuerySet

from kernel.api_types import MAX_ID
from kernel.errors import InvalidInput
from partners.models import User
from referrals import list_sql
from referrals.access import visible_referrals
from referrals.lifecycle import CONTACTS_HIDDEN, State
from referrals.models import Referral
from referrals.presenters import ReferralView, present

MAX_LIMIT = 200


@dataclass(frozen=True)
class Filters:
    states: tuple[str, ...] = ()
    updated_since: datetime | None = None


def parse_states(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    states = tuple(s.strip() for s in raw.split(",") if s.strip())
    unknown = [s for s in states if s not in {x.value for x in State}]
    if unknown:
        raise InvalidInput({"state": "Unknown state: " + ", ".join(unknown)})
    return states


def encode_cursor(referral: Referral) -> str:
    raw = f"{referral.updated_at.isoformat()}|{referral.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.split("|")
        at, ident = datetime.fromisoformat(stamp), int(pk)
        # Only what encode_cursor makes: an aware time (in UTC for the database) and an id that fits.
        if at.tzinfo is None or not 0 < ident <= MAX_ID:
            raise ValueError(cursor)
        return at.astimezone(UTC), ident
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput({"cursor": "This cursor is not one we gave out."}) from None


def selected(user: User, filters: Filters) -> QuerySet[Referral]:
    qs = visible_referrals(user)
    if filters.states:
        qs = qs.filter(state__in=filters.states)
    if filters.updated_since is not None:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    return qs


def page(user: User, filters: Filters, limit: int, cursor: str | None) -> tuple[list[ReferralView], str | None]:
    """Oldest change first, so a CRM can sync with updated_since and follow next_cursor."""
    after = decode_cursor(cursor) if cursor else None
    rows = list_sql.page_rows(user, filters.states, filters.updated_since, after, limit + 1)
    following = encode_cursor(rows[limit - 1]) if len(rows) > limit else None  # type: ignore[arg-type]
    return [present(r) for r in rows[:limit]], following  # type: ignore[arg-type]


def all_selected(user: User, filters: Filters, chunk: int = 500) -> Iterator[ReferralView]:
    """Every selected referral, in chunks, for exports of any size."""
    cursor = None
    while True:
        views, cursor = page(user, filters, chunk, cursor)
        yield from views
        if cursor is None:
            return


def visible_one(user: User, referral_id: int) -> Referral | None:
    return (
        visible_referrals(user)
        .select_related("engagement")
        .prefetch_related("engagement__contacts")
        .filter(pk=referral_id)
        .first()
    )


def search(qs: QuerySet[Referral], text: str) -> QuerySet[Referral]:
    """Referrals whose need, city or (where the partner may see it) company contains `text`.

    The company is matched only outside the masked states: a search must not reveal a masked name.
    """
    if not text:
        return qs
    hidden = [s.value for s in CONTACTS_HIDDEN]
    return qs.filter(
        Q(engagement__need__icontains=text)
        | Q(engagement__customer_city__icontains=text)
        | (Q(engagement__customer_company__icontains=text) & ~Q(state__in=hidden))
    )
