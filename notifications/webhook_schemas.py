"""What a webhook receives, as pydantic models: the one description of each event's payload.

The OpenAPI document's `webhooks` section is built from these (leadshare.api); the event types are
notifications.webhooks' own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from kernel.api_types import Output, SharedEnum, documented
from notifications import webhooks
from referrals.lifecycle import Actor
from referrals.schemas import EventAction, ReferralOut, StateName

EventName = Annotated[
    str,
    SharedEnum("WebhookEventType", (webhooks.CREATED, webhooks.UPDATED), "An event a webhook can subscribe to"),
]


ActorKind = Annotated[str, SharedEnum("ActorKind", tuple(kind.value for kind in Actor), "Who acts on a referral")]


class ChangeActor(Output):
    kind: ActorKind = Field(description="A person, an integration (API token) or the platform")
    label: str = Field(description="Who, as the referral's history names them (an e-mail, a token's name, timer...)")


class ReferralChange(Output):
    """The change an event reports: two events of one referral never carry the same one."""

    model_config = ConfigDict(populate_by_name=True)

    action: EventAction
    from_: StateName | None = Field(alias="from", description="The state before; null when created")
    to: StateName = Field(description="The state after (the same as before for an edit)")
    at: datetime = Field(description="When the change was made")
    version: int = Field(description='The referral\'s version after the change (its ETag is "v<version>")')
    actor: ChangeActor = Field(description="Who made it, as in the referral's history")


class ReferralEventData(Output):
    referral: ReferralOut = Field(description="The referral as GET /api/v1/referrals/{id} shows it at delivery")
    change: ReferralChange


class ReferralEvent(Output):
    """A referral was created for your organisation, or it changed."""

    id: str = Field(description="evt_<n>: the same on every retry, so drop an id you have already processed")
    type: EventName
    created_at: datetime
    data: ReferralEventData


class PingEvent(Output):
    """A test event, queued by POST /api/v1/webhooks/{webhook_id}/test."""

    id: str
    type: Literal["ping"]
    created_at: datetime
    data: dict[str, Any] = Field(description="Empty")


EVENTS: dict[str, tuple[str, type[Output]]] = {
    webhooks.CREATED: ("onReferralCreated", ReferralEvent),
    webhooks.UPDATED: ("onReferralUpdated", ReferralEvent),
    webhooks.PING: ("onPing", PingEvent),
}

DELIVERY_HEADERS: dict[str, str] = {
    "Leadshare-Event-Id": "The event's id, the same on every retry",
    "Leadshare-Event-Type": "The event's type",
    webhooks.SIGNATURE_HEADER: 't=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with your secret>',
}


def _delivery(event_type: str, operation_id: str, model: type[Output]) -> dict[str, Any]:
    return {
        "post": {
            "operationId": operation_id,
            "summary": f"{event_type}: {(model.__doc__ or '').strip()}",
            "description": "Signed with your webhook's secret (docs/webhooks.md). Answer 2xx within 10 seconds.",
            "security": [],
            "parameters": [
                {"name": name, "in": "header", "required": True, "description": text, "schema": {"type": "string"}}
                for name, text in DELIVERY_HEADERS.items()
            ],
            "requestBody": {"required": True, "content": {"application/json": {"schema": documented(model)}}},
            "responses": {
                "200": {"description": "Received"},
                "400": {"description": "Refused: sent again with backoff for 24 hours, then given up"},
            },
        }
    }


def openapi_webhooks() -> dict[str, Any]:
    """The document's `webhooks` section: each event type with its payload."""
    return {event_type: _delivery(event_type, *described) for event_type, described in EVENTS.items()}
