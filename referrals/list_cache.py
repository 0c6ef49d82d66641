"""A CRM polls the same page of referrals again and again; answer from memory while nothing changed.

Each partner has a change counter (`ReferralListVersion`). Every writer of a partner's referrals, and of
who in its team sees which, calls `changed(partner_ids)`, which bumps the counters once its transaction
has committed. A page is kept in this process with the counter it was built under, and served again
only while the counter is unchanged (one primary-key read) and for at most MAX_AGE.

Why this is safe: the counter is read before the page is built, and bumped only after the change is
visible. A page built from newer data under an older counter is rebuilt once more, never the reverse.
A process that dies between its commit and the bump leaves a page stale for MAX_AGE at most.
Pages are kept per user (and role): nobody is ever served a page built for someone else.
Operators' lists (every partner's referrals) are not kept.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connection, transaction

from kernel.rawrows import Columns
from partners.models import User
from referrals import permissions
from referrals.models import ReferralListVersion

MAX_AGE_SECONDS = 30.0
_VERSIONS = Columns(ReferralListVersion, "v")


@dataclass(frozen=True)
class Page:
    body: bytes
    etag: str


@dataclass(frozen=True)
class _Kept:
    version: int
    page: Page
    expires: float


_pages: OrderedDict[tuple[object, ...], _Kept] = OrderedDict()
_lock = threading.Lock()


def _capacity() -> int:
    return int(getattr(settings, "API_LIST_CACHE_SIZE", 0))


def changed(partner_ids: Iterable[int | None]) -> None:
    """Bump these partners' counters once the current transaction commits (at once outside one)."""
    ids = sorted({p for p in partner_ids if p is not None})
    if ids:
        transaction.on_commit(lambda: _bump(ids))


def _bump(ids: list[int]) -> None:
    # In partner order, as one statement: two bumps never wait on each other in a cycle.
    table, partner = _VERSIONS.bare_table(), _VERSIONS.bare("partner_id")
    values = ", ".join(["(%s, 1)"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({partner}, version) VALUES {values} "
            f"ON CONFLICT ({partner}) DO UPDATE SET version = {table}.version + 1",
            ids,
        )


@cache
def _read_sql(vendor: str) -> str:
    v = _VERSIONS
    return f"SELECT {v.column('version')} FROM {v.table()} WHERE {v.column('partner_id')} = %s"


def version(partner_id: int) -> int:
    # Hand-written: read on every polled request, where compiling the ORM query would cost more than it.
    with connection.cursor() as cursor:
        cursor.execute(_read_sql(connection.vendor), [partner_id])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def page(user: User, query: tuple[object, ...], build: Callable[[], bytes]) -> Page:
    """The page `build` makes for this user and query, from memory while the partner's counter stands."""
    capacity = _capacity()
    if capacity <= 0 or user.partner_id is None or permissions.referral_scope(user) not in ("partner", "member"):
        body = build()
        return Page(body, _etag(body))
    key = (user.pk, user.role, user.partner_id, *query)
    current = version(user.partner_id)  # before building: see the module's note
    now = time.monotonic()
    with _lock:
        kept = _pages.get(key)
        if kept is not None and kept.version == current and kept.expires > now:
            _pages.move_to_end(key)
            return kept.page
    body = build()
    made = Page(body, _etag(body))
    with _lock:
        _pages[key] = _Kept(current, made, now + MAX_AGE_SECONDS)
        _pages.move_to_end(key)
        while len(_pages) > capacity:
            _pages.popitem(last=False)
    return made


def forget_all() -> None:
    """For tests: start from an empty memory."""
    with _lock:
        _pages.clear()
