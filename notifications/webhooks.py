"""Webhooks: events written to the outbox with the change, signed and POSTed by the worker.

Each event is one outbox row (channel 'webhook'); its id `evt_<row id>` is stable across retries, so
a receiver can drop duplicates. The body is rendered at delivery from the referral's masked view, with the
change the row was written for (`data.change`, kept in the row's payload).
Two signatures of the same bytes, each with every secret in use (two while a rotation overlaps):
`Leadshare-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=...]` (Stripe's scheme) and
Standard Webhooks' `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256(key,
"<id>.<t>.<body>")>[ v1,...]`, the key as `standard_key` reads it from the secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import http.client
import json
import logging
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.dateparse import parse_datetime

from notifications import delivery, egress
from notifications.models import OutboxMessage, Webhook, WebhookDelivery

log = logging.getLogger(__name__)

CREATED = "referral.created"
UPDATED = "referral.updated"
PING = "ping"
GIVE_UP_AFTER = timedelta(hours=24)
SIGNATURE_HEADER = "Leadshare-Signature"
STANDARD_PREFIX = "whsec_"


def sign(secrets: str | list[str], timestamp: int, body: bytes) -> str:
    """`Leadshare-Signature`: one `v1` per secret, newest first, as Stripe's verifiers read it."""
    signed = f"{timestamp}.".encode() + body
    digests = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in _listed(secrets)]
    return ",".join([f"t={timestamp}", *(f"v1={d}" for d in digests)])


def standard_key(secret: str) -> bytes:
    """The Standard Webhooks key of a secret (decision in docs/webhooks.md, "Which key").

    `whsec_` followed by standard base64 is the spec's own form: the key is the decoded bytes. Any other
    secret (a partner's own string, or one we made before with URL-safe base64) is its UTF-8 bytes, which
    the receiver gives its library as `whsec_` + base64 of the secret.
    """
    if secret.startswith(STANDARD_PREFIX):
        try:
            key = base64.b64decode(secret.removeprefix(STANDARD_PREFIX), validate=True)
        except binascii.Error:
            key = b""
        if key:
            return key
    return secret.encode()


def standard_signature(secrets: str | list[str], message_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: one `v1,<base64>` per secret, space-separated, newest first."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digests = [hmac.new(standard_key(s), signed, hashlib.sha256).digest() for s in _listed(secrets)]
    return " ".join(f"v1,{base64.b64encode(d).decode()}" for d in digests)


def _listed(secrets: str | list[str]) -> list[str]:
    return [secrets] if isinstance(secrets, str) else secrets


def signed_headers(hook: Webhook, message_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """Both signature schemes with the secrets that sign at `at` (the time of sending)."""
    secrets, timestamp = hook.secrets_at(at), int(at.timestamp())
    return {
        SIGNATURE_HEADER: sign(secrets, timestamp, body),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secrets, message_id, timestamp, body),
    }


def _subscribed(partner_ids: Iterable[int], event_type: str) -> dict[int, list[int]]:
    hooks: dict[int, list[int]] = {}
    for hook_id, partner_id, events in Webhook.objects.filter(partner_id__in=set(partner_ids), active=True).values_list(
        "id", "partner_id", "events"
    ):
        if event_type in events:
            hooks.setdefault(partner_id, []).append(hook_id)
    return hooks


def event_row(
    webhook_id: int, event_type: str, referral_id: int | None, now: datetime, change: dict[str, Any] | None = None
) -> OutboxMessage:
    return OutboxMessage(
        channel=OutboxMessage.Channel.WEBHOOK,
        template=event_type,
        to_address="",
        webhook_id=webhook_id,
        referral_id=referral_id,
        payload={"change": change} if change is not None else {},
        created_at=now,
        due_at=now,
    )


# (partner_id, referral_id, data.change): a change as the referrals' writer describes it (transitions.described).
Event = tuple[int, int, dict[str, Any]]


def events_for(changes: Iterable[Event], event_type: str, now: datetime) -> list[OutboxMessage]:
    """Unsaved outbox rows for the changes; save them in the change's transaction."""
    changes = list(changes)
    hooks = _subscribed((p for p, _r, _c in changes), event_type)
    return [event_row(h, event_type, r, now, c) for p, r, c in changes for h in hooks.get(p, [])]


def event_id(message: OutboxMessage) -> str:
    return f"evt_{message.pk}"


def body(message: OutboxMessage) -> bytes:
    from referrals.models import Referral
    from referrals.presenters import present
    from referrals.schemas import referral_out

    data: dict[str, Any] = {}
    if message.referral_id is not None:
        referral = (
            Referral.objects.select_related("engagement")
            .prefetch_related("engagement__contacts")
            .get(pk=message.referral_id)
        )
        data = {"referral": referral_out(present(referral))}
        if "change" in message.payload:
            data["change"] = _change(message.payload["change"])
    event = {"id": event_id(message), "type": message.template, "created_at": message.created_at, "data": data}
    return json.dumps(event, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def _change(stored: dict[str, Any]) -> dict[str, Any]:
    # Both writers store `at` as ISO text (Python's and PostgreSQL's spellings differ); sent as every other time.
    return stored | {"at": parse_datetime(stored["at"])}


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1, 2, 4 … minutes, at most an hour apart, until the event is a day old."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _finish_failed(message: OutboxMessage, now: datetime, error: str) -> None:
    retry_at = now + retry_delay(message.attempts)
    changes: dict[str, object] = {"due_at": retry_at}
    if retry_at - message.created_at >= GIVE_UP_AFTER:
        changes = {"due_at": None, "failed_at": now}
    OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(
        claimed_until=None, last_error=error[:2000], **changes
    )


@dataclass(frozen=True)
class _Send:
    """One claimed event, rendered and ready to go: everything the sending thread needs, no database."""

    message: OutboxMessage
    hook: Webhook
    payload: bytes


@dataclass(frozen=True)
class _Outcome:
    at: datetime
    status: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _post(send: _Send, clock: delivery.Clock, timeout: float) -> _Outcome:
    """Runs in a pool thread: check the address, connect, sign with the time of sending, POST."""
    message = send.message
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Leadshare-Webhooks/1",
        "Leadshare-Event-Id": event_id(message),
        "Leadshare-Event-Type": message.template,
    }
    started = time.monotonic()
    status: int | None = None
    excerpt = error = ""
    try:
        target = egress.check_url(send.hook.url)
        with egress.connect(target, timeout) as connection:
            # Signed once connected, so that t= is the time the receiver gets it (its tolerance is 300 s).
            headers |= signed_headers(send.hook, event_id(message), clock(), send.payload)
            status, excerpt = connection.post(send.payload, headers)
    except (OSError, ValueError, http.client.HTTPException) as exc:  # UnsafeUrl is a ValueError
        error = f"{type(exc).__name__}: {exc}"
    if status is not None and not 200 <= status < 300:
        error = f"HTTP {status}"
    return _Outcome(clock(), status, excerpt, error, int((time.monotonic() - started) * 1000))


def _prepare(message_id: int, clock: delivery.Clock) -> _Send | None:
    """Claim and render one event, or None if another worker has it or its webhook is switched off."""
    if not delivery.claim(message_id, clock()):
        return None
    message = OutboxMessage.objects.select_related("webhook").get(pk=message_id)
    assert message.webhook is not None  # webhook rows always name their webhook
    if not message.webhook.active:
        _drop(message, clock())
        return None
    try:
        return _Send(message, message.webhook, body(message))
    except Exception as exc:  # a row that cannot be rendered must not stop the others
        log.exception("webhook event %s cannot be rendered", message.pk)
        _finish_failed(message, clock(), f"{type(exc).__name__}: {exc}")
        return None


def _drop(message: OutboxMessage, now: datetime) -> None:
    """A switched-off webhook gets nothing more: its queued events are given up unsent."""
    OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(
        due_at=None, claimed_until=None, failed_at=now, last_error="Not sent: the webhook is switched off."
    )


def _record(send: _Send, outcome: _Outcome) -> None:
    message = send.message
    WebhookDelivery.objects.create(
        webhook=send.hook, event_id=event_id(message), event_type=message.template, attempt=message.attempts,
        at=outcome.at, status_code=outcome.status, ok=outcome.ok, error=outcome.error,
        duration_ms=outcome.duration_ms, response_excerpt=outcome.excerpt,
    )  # fmt: skip
    if outcome.ok:
        delivery.mark_sent(message, outcome.at)
    else:
        _finish_failed(message, outcome.at, outcome.error)


def _due_by_webhook(now: datetime, limit: int) -> dict[int, deque[int]]:
    rows = (
        OutboxMessage.objects.filter(delivery.due(now), channel=OutboxMessage.Channel.WEBHOOK)
        .order_by("due_at", "id")
        .values_list("webhook_id", "id")[:limit]
    )
    queues: dict[int, deque[int]] = {}
    for webhook_id, message_id in rows:
        queues.setdefault(webhook_id, deque()).append(message_id)
    return queues


def deliver_due(now: datetime, limit: int = delivery.BATCH, clock: delivery.Clock | None = None) -> int:
    """POST what is due at `now`; returns how many were accepted. Call outside a transaction.

    Endpoints are served side by side (WEBHOOK_CONCURRENCY at a time), each one event at a time, so a slow
    receiver holds up only its own events; one that fails or times out gets no more this pass. No event is
    started once the pass's time (OUTBOX_PASS_SECONDS) is spent. `clock` as in delivery.deliver_due.
    """
    clock = clock or delivery.standing_at(now)
    ends = delivery.pass_ends(clock)
    queues = _due_by_webhook(now, limit)
    if not queues:
        return 0
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    width = max(int(getattr(settings, "WEBHOOK_CONCURRENCY", 8)), 1)
    waiting = deque(queues)  # endpoints with events to send, in turn
    running: dict[Future[_Outcome], tuple[int, _Send]] = {}
    accepted = 0
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="webhook") as pool:
        while waiting or running:
            while waiting and len(running) < width and clock() < ends:
                webhook_id = waiting.popleft()
                send = _next_of(queues[webhook_id], clock)
                if send is not None:
                    running[pool.submit(_post, send, clock, timeout)] = (webhook_id, send)
            if clock() >= ends:
                waiting.clear()
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                webhook_id, send = running.pop(future)
                ok = _finish(send, future, clock)
                accepted += ok
                if ok and queues[webhook_id]:
                    waiting.append(webhook_id)
    return accepted


def _next_of(queue: deque[int], clock: delivery.Clock) -> _Send | None:
    while queue:
        send = _prepare(queue.popleft(), clock)
        if send is not None:
            return send
    return None


def _finish(send: _Send, future: Future[_Outcome], clock: delivery.Clock) -> bool:
    try:
        outcome = future.result()
    except Exception as exc:  # a bug in one send must not stop the others
        log.exception("webhook event %s failed", send.message.pk)
        _finish_failed(send.message, clock(), f"{type(exc).__name__}: {exc}")
        return False
    _record(send, outcome)
    return outcome.ok


def ping(hook: Webhook, now: datetime) -> OutboxMessage:
    """Queue a test event for this webhook; the worker delivers it like any other."""
    row = event_row(hook.pk, PING, None, now)
    row.save()
    return row
