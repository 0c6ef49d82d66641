"""Managing a partner's webhooks: the rules live here; the API only parses and renders."""

from __future__ import annotations

import base64
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from kernel import throttle
from kernel.errors import InvalidInput
from notifications import egress, webhooks
from notifications.models import OutboxMessage, Webhook, WebhookDelivery
from partners.models import User
from referrals import permissions

MIN_SECRET = 16
# How long a replaced secret may keep signing after a rotation: long enough to roll out a receiver's new secret.
MAX_OVERLAP = timedelta(days=30)
MAX_WEBHOOKS_PER_PARTNER = 10
# Test events a partner may queue, over all its webhooks: each can hold a worker's connection for the timeout.
DEFAULT_TEST_RATE = "5/m"


class WebhookNotFound(Exception):
    def __init__(self) -> None:
        super().__init__("No such webhook.")


class TooManyTests(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many test events for your organisation. Try again in {retry_after} s (see Retry-After).")
        self.retry_after = retry_after


@dataclass(frozen=True)
class WebhookInput:
    url: str | None = None
    events: list[str] | None = None
    secret: str | None = None
    active: bool | None = None


def _partner_of_admin(user: User) -> int:
    if not permissions.is_referrals_admin(user) or user.partner_id is None:
        raise PermissionDenied("Only a referrals admin of a partner manages its webhooks.")
    return user.partner_id


def owned(user: User) -> QuerySet[Webhook]:
    return Webhook.objects.filter(partner_id=_partner_of_admin(user))


def get(user: User, webhook_id: int) -> Webhook:
    hook = owned(user).filter(pk=webhook_id).first()
    if hook is None:
        raise WebhookNotFound()
    return hook


def _clean(data: WebhookInput, creating: bool) -> dict[str, object]:
    errors: dict[str, str] = {}
    changes: dict[str, object] = {}
    if data.url is not None or creating:
        url = (data.url or "").strip()
        try:
            egress.check_url(url)
        except egress.UnsafeUrl as exc:
            errors["url"] = str(exc)
        changes["url"] = url
    if data.events is not None or creating:
        events = list(dict.fromkeys(data.events or []))
        unknown = [e for e in events if e not in Webhook.EVENTS]
        if not events:
            errors["events"] = "Choose at least one of: " + ", ".join(Webhook.EVENTS)
        elif unknown:
            errors["events"] = "Unknown events: " + ", ".join(unknown) + ". Use " + ", ".join(Webhook.EVENTS)
        changes["events"] = events
    if data.secret is not None:
        _check_secret(data.secret, errors)
        # Replaced at once: a secret set this way ends any overlap (rotate_secret keeps one).
        changes |= {"secret": data.secret, "previous_secret": "", "previous_secret_until": None}
    elif creating:
        changes["secret"] = new_secret()
    if data.active is not None:
        changes["active"] = data.active
    if errors:
        raise InvalidInput(errors)
    return changes


def new_secret() -> str:
    """Standard Webhooks' own form (`whsec_` + base64 of 32 random bytes), so any of its libraries takes it as is."""
    return webhooks.STANDARD_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _check_secret(secret: str, errors: dict[str, str]) -> None:
    if len(secret) < MIN_SECRET:
        errors["secret"] = f"Use a secret of at least {MIN_SECRET} characters (or leave it out to get one)."


def create(user: User, data: WebhookInput, now: datetime) -> Webhook:
    changes = _clean(data, creating=True)
    if owned(user).count() >= MAX_WEBHOOKS_PER_PARTNER:
        raise InvalidInput({"url": f"A partner can have at most {MAX_WEBHOOKS_PER_PARTNER} webhooks."})
    return Webhook.objects.create(partner_id=_partner_of_admin(user), created_at=now, **changes)


def update(user: User, webhook_id: int, data: WebhookInput) -> Webhook:
    hook = get(user, webhook_id)
    for name, value in _clean(data, creating=False).items():
        setattr(hook, name, value)
    hook.save()
    return hook


def rotate_secret(user: User, webhook_id: int, secret: str | None, previous_until: datetime, now: datetime) -> Webhook:
    """A new secret (the given one, or one we make) signs from now on; the current one signs as well until
    `previous_until` (now at the earliest: no overlap; MAX_OVERLAP ahead at the latest). A rotation during an
    overlap drops the secret it replaced then: at most two secrets sign."""
    hook = get(user, webhook_id)
    errors: dict[str, str] = {}
    if secret is not None:
        _check_secret(secret, errors)
        if secret in (hook.secret, hook.previous_secret):
            errors["secret"] = "Use a secret this webhook has not had (or leave it out to get one)."  # noqa: S105
    if previous_until.tzinfo is None:
        errors["previous_valid_until"] = "Give the time with its offset, e.g. 2030-01-31T12:00:00Z."
    elif not now <= previous_until <= now + MAX_OVERLAP:
        errors["previous_valid_until"] = f"Choose a time from now to {MAX_OVERLAP.days} days from now."
    if errors:
        raise InvalidInput(errors)
    hook.previous_secret, hook.previous_secret_until = hook.secret, previous_until
    hook.secret = secret if secret is not None else new_secret()
    hook.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return hook


def overlap_until(hook: Webhook, now: datetime) -> datetime | None:
    """Until when the replaced secret still signs, or None when only the current one does."""
    return hook.previous_secret_until if len(hook.secrets_at(now)) > 1 else None


def delete(user: User, webhook_id: int) -> None:
    get(user, webhook_id).delete()


def deliveries(user: User, webhook_id: int, limit: int) -> list[WebhookDelivery]:
    return list(get(user, webhook_id).deliveries.all()[:limit])


def test(user: User, webhook_id: int, now: datetime) -> OutboxMessage:
    """Queue a ping, at most WEBHOOK_TEST_RATE per partner (raises TooManyTests with the seconds to wait)."""
    hook = get(user, webhook_id)
    requests, period = throttle.parse_rate(getattr(settings, "WEBHOOK_TEST_RATE", DEFAULT_TEST_RATE))
    wait = throttle.admit(f"webhook_test_partner_{hook.partner_id}", requests, period, now.timestamp())
    if wait is not None:
        raise TooManyTests(math.ceil(wait))
    return webhooks.ping(hook, now)
