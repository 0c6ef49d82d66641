"""Delivering the outbox: at least once, each message under a stable Message-ID.

A worker claims a row with a conditional UPDATE that sets a lease, sends, then marks it sent. If
the worker dies after sending but before marking, the lease runs out and the message is sent again
with the same Message-ID, which the receiving side can drop. If it dies before sending, the lease
runs out and another worker sends it. Nothing is lost; nothing is sent twice under two identities.
The two places where a crash matters are marked with notifications.faults.crash_point, for the tests
that kill a real worker there (tests/notifications/test_crash.py).

A claim commits at once (autocommit), so call deliver_due outside any transaction. Each row is claimed
just before it is sent, with a lease that runs from the clock's current time, so a long pass never sends
under a lease that has already run out (another worker would then send the same row). A pass stops
claiming once its share of time (`OUTBOX_PASS_SECONDS`) is spent, so that webhooks are not kept waiting.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import F, Q

from notifications import emails
from notifications.faults import crash_point
from notifications.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BATCH = 100


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes, at most 4 hours: MAX_ATTEMPTS tries over about 16 hours before giving up."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 240))


def due(now: datetime) -> Q:
    return Q(due_at__lte=now) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def claim(message_id: int, at: datetime) -> bool:
    """Take the row for one send, if it is due and nobody's lease runs at `at`, the current time."""
    lease = at + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    return bool(
        OutboxMessage.objects.filter(due(at), pk=message_id).update(claimed_until=lease, attempts=F("attempts") + 1)
    )


Clock = Callable[[], datetime]


def standing_at(now: datetime) -> Clock:
    """A clock that does not move: tests that pass only `now` see every step happen at `now`."""
    return lambda: now


def running_from(now: datetime) -> Clock:
    """The wall clock as it moves on from `now` (the worker's pass), for leases, signatures and sent times."""
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


def pass_ends(clock: Clock) -> datetime:
    """When a channel's pass stops claiming: each channel gets its own share, so neither waits on the other."""
    return clock() + timedelta(seconds=getattr(settings, "OUTBOX_PASS_SECONDS", 10))


def mark_sent(message: OutboxMessage, now: datetime) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=now, due_at=None, claimed_until=None, last_error="")


def mark_failed(message: OutboxMessage, now: datetime, error: str) -> None:
    """Schedule a retry, or give up after MAX_ATTEMPTS. A row another worker has sent meanwhile stays sent."""
    changes: dict[str, object]
    if message.attempts >= MAX_ATTEMPTS:
        changes = {"due_at": None, "failed_at": now}
    else:
        changes = {"due_at": now + retry_delay(message.attempts)}
    OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(
        claimed_until=None, last_error=error[:2000], **changes
    )


def _send(connection: BaseEmailBackend, message: OutboxMessage, now: datetime) -> None:
    email = emails.build(message, now)
    connection.open()  # reuses the open connection, or opens one after a failure closed it
    if connection.send_messages([email]) != 1:
        raise smtplib.SMTPException("the server took no recipient")


def deliver_due(now: datetime, limit: int = BATCH, clock: Clock | None = None) -> int:
    """Send what is due at `now`; returns how many were sent.

    `clock` is the current time, read for each claim, the sent time and the pass's time budget; it defaults
    to one standing at `now`. The worker passes `running_from(now)`.
    """
    clock = clock or standing_at(now)
    ends = pass_ends(clock)
    candidates = list(
        OutboxMessage.objects.filter(due(now), channel=OutboxMessage.Channel.EMAIL)
        .order_by("due_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    if not candidates:
        return 0
    sent = 0
    connection = get_connection()
    try:
        for message_id in candidates:
            if clock() >= ends:
                break  # the rest waits for the next pass
            if not claim(message_id, clock()):
                continue  # another worker has it
            crash_point("after_claim")
            message = OutboxMessage.objects.get(pk=message_id)
            try:
                _send(connection, message, clock())
            except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried later
                log.warning("outbox %s to %s failed: %s", message.pk, message.to_address, exc)
                mark_failed(message, clock(), f"{type(exc).__name__}: {exc}")
                _close(connection)
                continue
            crash_point("after_send")
            mark_sent(message, clock())
            sent += 1
    finally:
        _close(connection)
    return sent


def _close(connection: BaseEmailBackend) -> None:
    with contextlib.suppress(Exception):  # a connection that broke may fail to say goodbye
        connection.close()
