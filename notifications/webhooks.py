"""Webhooks: events written to the outbox with the change, signed and POSTed by the worker.

Each event is one outbox row (channel 'webhook'); its id `evt_<row id>` is stable across retries, so
a receiver can drop duplicates. The body is rendered at delivery from the referral's masked view.
Signature: `Leadshare-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from notifications import delivery
from notifications.models import OutboxMessage, Webhook, WebhookDelivery

log = logging.getLogger(__name__)

CREATED = "referral.created"
UPDATED = "referral.updated"
PING = "ping"
GIVE_UP_AFTER = timedelta(hours=24)
SIGNATURE_HEADER = "Leadshare-Signature"


class UnsafeUrl(ValueError):
    pass


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def check_url(url: str) -> None:
    """Only http(s), and (unless allowed for development) no loopback or private addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("Use an http:// or https:// URL with a host name.")
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl(f"The host {parts.hostname} does not resolve.") from None
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global:
            raise UnsafeUrl(f"The host {parts.hostname} is not a public address.")


def _subscribed(partner_ids: Iterable[int], event_type: str) -> dict[int, list[int]]:
    hooks: dict[int, list[int]] = {}
    for hook_id, partner_id, events in Webhook.objects.filter(partner_id__in=set(partner_ids), active=True).values_list(
        "id", "partner_id", "events"
    ):
        if event_type in events:
            hooks.setdefault(partner_id, []).append(hook_id)
    return hooks


def event_row(webhook_id: int, event_type: str, referral_id: int | None, now: datetime) -> OutboxMessage:
    return OutboxMessage(
        channel=OutboxMessage.Channel.WEBHOOK,
        template=event_type,
        to_address="",
        webhook_id=webhook_id,
        referral_id=referral_id,
        created_at=now,
        due_at=now,
    )


def events_for(changes: Iterable[tuple[int, int]], event_type: str, now: datetime) -> list[OutboxMessage]:
    """Unsaved outbox rows for (partner_id, referral_id) changes; save them in the change's transaction."""
    changes = list(changes)
    hooks = _subscribed((p for p, _ in changes), event_type)
    return [event_row(h, event_type, r, now) for p, r in changes for h in hooks.get(p, [])]


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
    event = {"id": event_id(message), "type": message.template, "created_at": message.created_at, "data": data}
    return json.dumps(event, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a receiver that redirects has a wrong URL: it shows in the delivery log


_opener = urllib.request.build_opener(_NoRedirects())


def post(url: str, payload: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    request = urllib.request.Request(url, data=payload, headers=headers, method="POST")  # noqa: S310 - checked
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read(500).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(500).decode(errors="replace")


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


def deliver(message: OutboxMessage, now: datetime) -> bool:
    assert message.webhook_id is not None  # webhook rows always name their webhook
    hook = Webhook.objects.get(pk=message.webhook_id)
    payload = body(message)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Leadshare-Webhooks/1",
        "Leadshare-Event-Id": event_id(message),
        "Leadshare-Event-Type": message.template,
        SIGNATURE_HEADER: sign(hook.secret, timestamp, payload),
    }
    started = time.monotonic()
    status: int | None = None
    excerpt = error = ""
    try:
        check_url(hook.url)
        status, excerpt = post(hook.url, payload, headers, settings.WEBHOOK_TIMEOUT_SECONDS)
    except (UnsafeUrl, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    ok = status is not None and 200 <= status < 300
    if status is not None and not ok:
        error = f"HTTP {status}"
    WebhookDelivery.objects.create(
        webhook=hook, event_id=event_id(message), event_type=message.template, attempt=message.attempts, at=now,
        status_code=status, ok=ok, error=error, duration_ms=int((time.monotonic() - started) * 1000),
        response_excerpt=excerpt,
    )  # fmt: skip
    if ok:
        delivery.mark_sent(message, now)
    else:
        _finish_failed(message, now, error)
    return ok


def deliver_due(now: datetime, limit: int = delivery.BATCH) -> int:
    """POST what is due at `now`; returns how many were accepted. Call outside a transaction."""
    candidates = list(
        OutboxMessage.objects.filter(delivery.due(now), channel=OutboxMessage.Channel.WEBHOOK)
        .order_by("due_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    accepted = 0
    for message_id in candidates:
        if not delivery.claim(message_id, now):
            continue
        message = OutboxMessage.objects.get(pk=message_id)
        try:
            accepted += deliver(message, now)
        except Exception as exc:  # a broken row must not stop the others
            log.exception("webhook event %s failed", message.pk)
            _finish_failed(message, now, f"{type(exc).__name__}: {exc}")
    return accepted


def ping(hook: Webhook, now: datetime) -> OutboxMessage:
    """Queue a test event for this webhook; the worker delivers it like any other."""
    row = event_row(hook.pk, PING, None, now)
    row.save()
    return row
