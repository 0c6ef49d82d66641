"""REST endpoints for webhooks: CRUD, the delivery log, and a test event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from kernel.api_types import Input, ObjectId, problems
from kernel.problems import problem
from notifications import webhook_service, webhooks
from notifications.models import Webhook, WebhookDelivery
from notifications.webhook_schemas import EventName
from partners.auth import current_user

router = Router(tags=["webhooks"])


class WebhookIn(Input):
    url: str = Field(max_length=500, description="http:// or https://; we POST signed JSON events here")
    events: list[EventName] = Field(min_length=1)
    secret: str | None = Field(
        None, max_length=200, description="At least 16 characters; left out, we make one and return it"
    )
    active: bool = True


class WebhookPatch(Input):
    url: str | None = Field(None, max_length=500)
    events: list[EventName] | None = None
    secret: str | None = Field(None, max_length=200)
    active: bool | None = None


class WebhookOut(Schema):
    id: int
    url: str
    events: list[EventName]
    active: bool
    created_at: datetime
    previous_secret_until: datetime | None = Field(
        description="During a secret rotation, until when the replaced secret signs as well; otherwise null"
    )


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Shown once: keep it to verify the signatures (docs/webhooks.md, 'Which key')")


class SecretRotation(Input):
    secret: str | None = Field(
        None, max_length=200, description="At least 16 characters; left out, we make one and return it"
    )
    previous_valid_until: datetime = Field(
        description="Until when the current secret signs as well (with its offset; from now to 30 days ahead)"
    )


class DeliveryOut(Schema):
    event_id: str
    event_type: str
    attempt: int
    at: datetime
    status_code: int | None
    ok: bool
    error: str
    duration_ms: int


class TestQueued(Schema):
    event_id: str
    detail: str


def _out(hook: Webhook) -> dict[str, Any]:
    return {
        "id": hook.pk, "url": hook.url, "events": hook.events, "active": hook.active, "created_at": hook.created_at,
        "previous_secret_until": webhook_service.overlap_until(hook, timezone.now()),
    }  # fmt: skip


def _delivery_out(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "event_id": d.event_id, "event_type": d.event_type, "attempt": d.attempt, "at": d.at,
        "status_code": d.status_code, "ok": d.ok, "error": d.error, "duration_ms": d.duration_ms,
    }  # fmt: skip


@router.get(
    "/webhooks",
    response={200: list[WebhookOut], **problems(403)},
    summary="Your organisation's webhooks",
    operation_id="listWebhooks",
)
def list_webhooks(request: HttpRequest) -> list[dict[str, Any]]:
    return [_out(h) for h in webhook_service.owned(current_user(request))]


@router.post(
    "/webhooks", response={201: WebhookCreated, **problems(403)}, summary="Add a webhook", operation_id="createWebhook"
)
def create_webhook(request: HttpRequest, body: WebhookIn) -> Status:
    data = webhook_service.WebhookInput(body.url, list(body.events), body.secret, body.active)
    hook = webhook_service.create(current_user(request), data, timezone.now())
    return Status(201, _out(hook) | {"secret": hook.secret})


@router.get(
    "/webhooks/{webhook_id}",
    response={200: WebhookOut, **problems(403, 404)},
    summary="Read a webhook",
    operation_id="getWebhook",
)
def read_webhook(request: HttpRequest, webhook_id: ObjectId) -> dict[str, Any]:
    return _out(webhook_service.get(current_user(request), webhook_id))


@router.patch(
    "/webhooks/{webhook_id}",
    response={200: WebhookOut, **problems(403, 404)},
    summary="Change a webhook",
    operation_id="updateWebhook",
)
def update_webhook(request: HttpRequest, webhook_id: ObjectId, body: WebhookPatch) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    data = webhook_service.WebhookInput(
        fields.get("url"), list(fields["events"]) if fields.get("events") is not None else None,
        fields.get("secret"), fields.get("active"),
    )  # fmt: skip
    return _out(webhook_service.update(current_user(request), webhook_id, data))


@router.delete(
    "/webhooks/{webhook_id}",
    response={204: None, **problems(403, 404)},
    summary="Remove a webhook",
    operation_id="deleteWebhook",
)
def delete_webhook(request: HttpRequest, webhook_id: ObjectId) -> Status:
    webhook_service.delete(current_user(request), webhook_id)
    return Status(204, None)


@router.post(
    "/webhooks/{webhook_id}/secret",
    response={200: WebhookCreated, **problems(403, 404)},
    summary="Rotate the secret",
    description="Both secrets sign every event until previous_valid_until (docs/webhooks.md, 'Rotating the secret').",
    operation_id="rotateWebhookSecret",
)
def rotate_secret(request: HttpRequest, webhook_id: ObjectId, body: SecretRotation) -> dict[str, Any]:
    user = current_user(request)
    hook = webhook_service.rotate_secret(user, webhook_id, body.secret, body.previous_valid_until, timezone.now())
    return _out(hook) | {"secret": hook.secret}


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response={200: list[DeliveryOut], **problems(403, 404)},
    summary="The delivery log, newest first",
    operation_id="listWebhookDeliveries",
)
def list_deliveries(
    request: HttpRequest, webhook_id: ObjectId, limit: int = Query(50, ge=1, le=200)
) -> list[dict[str, Any]]:
    return [_delivery_out(d) for d in webhook_service.deliveries(current_user(request), webhook_id, limit)]


@router.post(
    "/webhooks/{webhook_id}/test",
    response={202: TestQueued, **problems(403, 404, 429)},
    summary="Queue a test event (type ping); its delivery shows in the log",
    description="Limited per organisation (docs/webhooks.md): over the limit, 429 with Retry-After.",
    operation_id="testWebhook",
)
def test_webhook(request: HttpRequest, webhook_id: ObjectId) -> Status | HttpResponse:
    try:
        row = webhook_service.test(current_user(request), webhook_id, timezone.now())
    except webhook_service.TooManyTests as exc:
        response = problem(429, str(exc))
        response["Retry-After"] = str(exc.retry_after)
        return response
    return Status(202, {"event_id": webhooks.event_id(row), "detail": "Queued: the worker delivers it within seconds."})
