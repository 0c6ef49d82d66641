"""Idempotency-Key: a retried request gets the first one's response instead of doing it twice.

The record of a key is written in the same transaction as the effect it stands for, and first:

- the first request inserts the record (claiming the key), does the work, stores the response, commits;
  a crash anywhere before the commit leaves neither the record nor the work;
- a concurrent duplicate's insert waits on the unique (user, key) index until the first commits, then
  fails and reads the stored response (if the first rolled back instead, the duplicate does the work);
- a later retry finds the record and gets its response, if the body is the same; a different body
  under the same key is refused, because the key would then name two different requests.

Only successes are kept: a request refused for its input leaves nothing, so it can be fixed and sent
again under the same key. Keys belong to a user (an integration has its own service user). A key is
remembered for KEPT_FOR (Stripe keeps its keys a day; a week also covers a client that was down over a
weekend); each worker pass forgets older ones, a batch at a time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from ninja import Schema
from ninja.responses import NinjaJSONEncoder

from partners.models import User
from referrals.models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(days=7)
FORGET_BATCH = 1000
MAX_KEY_LENGTH = 255


class KeyMissing(Exception):
    """No usable Idempotency-Key header (mapped to 400)."""

    def __init__(self) -> None:
        super().__init__(
            f"Send an {HEADER} header (up to {MAX_KEY_LENGTH} printable characters, such as a UUID) so that a "
            "retry of this request cannot create a second engagement."
        )


class KeyReused(Exception):
    """The key was used before for a different request (mapped to 422)."""

    def __init__(self) -> None:
        super().__init__(
            f"This {HEADER} was already used with a different request body. Use a new key for a new request; "
            "a retry must send exactly the same body."
        )


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def clean_key(raw: str | None) -> str:
    key = (raw or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise KeyMissing()
    return key


def digest(method: str, path: str, payload: Any) -> str:
    """The request's fingerprint: the same JSON body, however its keys are ordered or spaced, gives the same."""
    canonical = json.dumps([method.upper(), path, payload], sort_keys=True, separators=(",", ":"), cls=NinjaJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def as_sent(schema: type[Schema], data: dict[str, Any]) -> dict[str, Any]:
    """`data` as the API sends it in JSON, so that a replay is byte for byte the first response."""
    return dict(json.loads(json.dumps(schema.model_validate(data).model_dump(), cls=NinjaJSONEncoder)))


def _stored(user: User, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(user=user, key=key).first()


def _replay(record: IdempotencyRecord, request_digest: str) -> Outcome:
    if record.request_digest != request_digest:
        raise KeyReused()
    return Outcome(record.status_code, dict(record.response), replayed=True)


def run(
    user: User, key: str, request_digest: str, now: datetime, produce: Callable[[], tuple[int, dict[str, Any]]]
) -> Outcome:
    """The stored outcome of (user, key), or `produce()`'s, recorded in its transaction.

    Call outside any transaction: the re-read after a lost race must see the winner's commit.
    """
    stored = _stored(user, key)
    if stored is not None:
        return _replay(stored, request_digest)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=user, key=key, request_digest=request_digest, status_code=0, response={}, created_at=now
            )
            status_code, body = produce()
            record.status_code, record.response = status_code, body
            record.save(update_fields=["status_code", "response"])
    except IntegrityError:
        stored = IdempotencyRecord.objects.filter(user=user, key=key).first()  # the winner's, committed
        if stored is None:
            raise  # not the key: some other constraint
        return _replay(stored, request_digest)
    return Outcome(status_code, body, replayed=False)


def forget_expired(now: datetime, batch: int = FORGET_BATCH) -> int:
    """Delete up to `batch` records older than KEPT_FOR, oldest first (the created_at index finds them)."""
    expired = IdempotencyRecord.objects.filter(created_at__lt=now - KEPT_FOR).order_by("created_at")
    ids = list(expired.values_list("pk", flat=True)[:batch])
    if not ids:
        return 0
    deleted, _ = IdempotencyRecord.objects.filter(pk__in=ids).delete()
    return deleted
