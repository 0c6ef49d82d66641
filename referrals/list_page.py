"""One page of the inbox, found by its place in the sort order (keyset), never by skipping rows.

A page is read in two steps: the sort keys of its rows (a narrow query an index answers in order, and stops
after a page), then those rows with what the page shows of them (by primary key). Next and Previous links carry
a cursor, the sort key of the row they continue from, so page 200 costs what page 1 costs; they also carry the
page number, which only labels the page. A link without a cursor (a bookmark, an older link) is read by its
page number, skipping the narrow keys only. A cursor that is odd, or made for another sort, is ignored.
See docs/decisions.md, "The inbox pages by keyset".
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, replace
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Count, F, OrderBy, Q, QuerySet

from kernel.api_types import MAX_ID
from referrals.forms import PER_PAGE
from referrals.models import Referral


@dataclass(frozen=True)
class Key:
    """One column of a sort: its direction, and where its NULLs go (None for a column without NULLs)."""

    field: str
    descending: bool = False
    nulls_last: bool | None = None

    def reversed(self) -> Key:
        flipped = None if self.nulls_last is None else not self.nulls_last
        return replace(self, descending=not self.descending, nulls_last=flipped)

    def ordering(self) -> OrderBy:
        if self.nulls_last is None:
            return F(self.field).desc() if self.descending else F(self.field).asc()
        nulls = {"nulls_last": True} if self.nulls_last else {"nulls_first": True}
        return F(self.field).desc(**nulls) if self.descending else F(self.field).asc(**nulls)


# The inbox's sorts; each ends with the id, so that no two rows share a place.
ORDERS: dict[str, tuple[Key, ...]] = {
    "newest": (Key("created_at", descending=True), Key("id", descending=True)),
    "oldest": (Key("created_at"), Key("id")),
    "deadline": (Key("deadline_at", nulls_last=True), Key("created_at", descending=True), Key("id", descending=True)),
}
Place = tuple[Any, ...]  # the values of a sort's keys for one row


def ordered(qs: QuerySet[Referral], sort: str) -> QuerySet[Referral]:
    """The referrals in the inbox's order for `sort` (the CSV download's order too)."""
    return qs.order_by(*(key.ordering() for key in ORDERS[sort]))


# --- Where a row is -----------------------------------------------------------------------------------


def _past(key: Key, value: Any) -> Q | None:
    """Rows whose `key` comes after `value` in the sort; None when none can."""
    if value is None:
        return None if key.nulls_last else Q(**{f"{key.field}__isnull": False})
    past = Q(**{f"{key.field}__{'lt' if key.descending else 'gt'}": value})
    return past | Q(**{f"{key.field}__isnull": True}) if key.nulls_last else past


def _same(key: Key, value: Any) -> Q:
    return Q(**{f"{key.field}__isnull": True}) if value is None else Q(**{key.field: value})


def after(keys: tuple[Key, ...], place: Place) -> Q:
    """Rows that come after `place` in the order `keys` (lexicographic, NULLs where each key puts them)."""
    branches, equal = [], Q()
    for key, value in zip(keys, place, strict=True):
        past = _past(key, value)
        if past is not None:
            branches.append(equal & past)
        equal &= _same(key, value)
    found = reduce(or_, branches, Q(pk__in=[]))
    first, value = keys[0], place[0]
    if first.nulls_last is None:
        # The plain bound on the first key lets an index scan start at the place (the OR alone does not).
        found &= Q(**{f"{first.field}__{'lte' if first.descending else 'gte'}": value})
    return found


# --- Cursors ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    sort: str
    forward: bool  # rows after `place`; else the rows before it
    place: Place


def encode(cursor: Cursor) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in cursor.place]
    raw = json.dumps([cursor.sort, "a" if cursor.forward else "b", *values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _value(key: Key, raw: Any) -> Any:
    if key.field == "id":
        if type(raw) is not int or not 0 < raw <= MAX_ID:
            raise ValueError(raw)
        return raw
    if raw is None and key.nulls_last is not None:
        return None
    at = datetime.fromisoformat(raw)
    if at.tzinfo is None:
        raise ValueError(raw)
    return at


def decode(token: str, sort: str) -> Cursor | None:
    """The cursor a link of ours carries for this sort; None for anything else."""
    if not token or len(token) > 200:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        made_for, direction, *values = raw
        keys = ORDERS[sort]
        if made_for != sort or direction not in ("a", "b") or len(values) != len(keys):
            return None
        return Cursor(sort, direction == "a", tuple(_value(k, v) for k, v in zip(keys, values, strict=True)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError):
        return None


# --- A page ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxPage:
    rows: list[Referral]
    number: int
    pages: int | None  # None: a search, not counted
    next_cursor: str | None
    previous_cursor: str | None
    has_next: bool
    has_previous: bool

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def by_state(visible: QuerySet[Referral]) -> dict[str, int]:
    """How many referrals each state holds, in one grouped COUNT for every tab's number."""
    # Only a member's list (joined to their locations) can repeat a row. Without DISTINCT, COUNT(*) is answered
    # from the (partner, state) index alone on PostgreSQL, without reading the rows.
    counted = Count("id", distinct=True) if visible.query.distinct else Count("*")
    return {row["state"]: row["n"] for row in visible.order_by().values("state").annotate(n=counted).order_by()}


def total(search: str, states: list[str], by_state: dict[str, int]) -> int | None:
    """How many referrals the list holds, from the tabs' counts; None for a search, which is not counted: a count
    reads every referral the search passes over (all of the partner's for a rare word), the page only enough."""
    if search:
        return None
    return sum(by_state.get(state, 0) for state in states)


def _number(raw: str, pages: int | None) -> int:
    number = int(raw) if raw.isdigit() and len(raw) < 7 else 1
    number = max(number, 1)
    return min(number, pages) if pages else number


def _places(listed: QuerySet[Referral], keys: tuple[Key, ...]) -> QuerySet[Any]:
    return listed.order_by(*(k.ordering() for k in keys)).values_list(*(k.field for k in keys))


def _rows(listed: QuerySet[Referral], keys: tuple[Key, ...], places: list[Place]) -> list[Referral]:
    """The rows at these places, in that order; asked of the same list, so its filters hold again."""
    at = [k.field for k in keys].index("id")
    ids = [place[at] for place in places]
    found = {r.pk: r for r in listed.order_by().filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


def inbox_page(listed: QuerySet[Referral], sort: str, page: str, cursor: str, pages_total: int | None) -> InboxPage:
    """The page a link asks for: by its cursor when it has one of ours, else by its page number."""
    keys = ORDERS[sort]
    if pages_total == 0:  # counted already: nothing to look for
        return InboxPage([], 1, 1, None, None, has_next=False, has_previous=False)
    pages = None if pages_total is None else -(-pages_total // PER_PAGE)
    found = decode(cursor, sort)
    if found is not None:
        number = max(_number(page, pages), 2)
        if found.forward:
            places = list(_places(listed.filter(after(keys, found.place)), keys)[: PER_PAGE + 1])
            if places:
                return _page(listed, sort, places, number, pages, more_after=len(places) > PER_PAGE, more_before=True)
        else:
            backwards = tuple(k.reversed() for k in keys)
            places = list(_places(listed.filter(after(backwards, found.place)), backwards)[: PER_PAGE + 1])
            # Fewer than a page before it: that is the first page, shown from the top.
            if len(places) > PER_PAGE:
                places = places[:PER_PAGE][::-1]
                return _page(listed, sort, places, number, pages, more_after=True, more_before=True)
        return _by_number(listed, sort, 1, pages)
    return _by_number(listed, sort, _number(page, pages), pages)


def _by_number(listed: QuerySet[Referral], sort: str, number: int, pages: int | None) -> InboxPage:
    start = (number - 1) * PER_PAGE
    places = list(_places(listed, ORDERS[sort])[start : start + PER_PAGE + 1])
    if not places and number > 1:
        return _by_number(listed, sort, 1, pages)
    return _page(listed, sort, places, number, pages, more_after=len(places) > PER_PAGE, more_before=number > 1)


def _page(
    listed: QuerySet[Referral],
    sort: str,
    places: list[Place],
    number: int,
    pages: int | None,
    more_after: bool,
    more_before: bool,
) -> InboxPage:
    places = places[:PER_PAGE]
    # Page 1 is always read from the top, so the link back to it carries no cursor.
    back = encode(Cursor(sort, False, places[0])) if more_before and number > 2 else None
    return InboxPage(
        rows=_rows(listed, ORDERS[sort], places),
        number=number,
        pages=pages,
        next_cursor=encode(Cursor(sort, True, places[-1])) if more_after else None,
        previous_cursor=back,
        has_next=more_after,
        has_previous=more_before,
    )
