"""API shapes of referrals. Built from the masked view (referrals.presenters), never from the model."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from kernel.api_types import Input, Output, RowId, SharedEnum
from referrals import actors
from referrals.lifecycle import PARTNER_CENTER_STATUS, State
from referrals.models import ReferralEvent
from referrals.presenters import ReferralView
from referrals.routing_why import Routing
from referrals.validation import MAX_NOTES

# The enums of the API, from their owners: the lifecycle's states and Partner Center pairs, the history's actions.
StateName = Annotated[str, SharedEnum("ReferralState", (s.value for s in State), "A referral's state")]
PartnerCenterStatus = Annotated[
    str,
    SharedEnum(
        "PartnerCenterStatus",
        dict.fromkeys(status for status, _ in PARTNER_CENTER_STATUS.values()),
        "The Partner Center Referrals API's status",
    ),
]
PartnerCenterSubstatus = Annotated[
    str,
    SharedEnum(
        "PartnerCenterSubstatus",
        dict.fromkeys(substatus for _, substatus in PARTNER_CENTER_STATUS.values()),
        "The Partner Center Referrals API's substatus",
    ),
]
EventAction = Annotated[
    str,
    SharedEnum(
        "EventAction",
        (value for value, _ in ReferralEvent._meta.get_field("action").choices or ()),
        "What a change in a referral's history did: a lifecycle action, create or edit",
    ),
]


class ContactOut(Output):
    name: str
    email: str
    phone: str


class CustomerOut(Output):
    company: str | None = Field(description="Hidden (null) until the partner is interested")
    size: str = Field(description='Company size band, or "" when unknown (e.g. imported without one)')
    industry: str
    country: str
    city: str
    contacts: list[ContactOut] | None = Field(description="Hidden (null) while the referral is masked")


class RequirementsOut(Output):
    industries: list[str]
    products: list[str]
    services: list[str]


class DealOut(Output):
    value: Decimal | None
    currency: str
    expected_close_date: date | None
    final_value: Decimal | None


class PartnerCenterOut(Output):
    id: str = Field(description="Partner Center's referral id")
    engagement_id: str = Field(description="Partner Center's engagementId")
    external_reference_id: str = Field(description="Partner Center's externalReferenceId (your CRM's id), or \"\"")


class ReferralOut(Output):
    id: int
    engagement_id: int
    profile_id: int
    state: StateName
    status: PartnerCenterStatus
    substatus: PartnerCenterSubstatus
    version: int
    created_at: datetime
    updated_at: datetime
    state_entered_at: datetime
    respond_by: datetime | None = Field(description="The running deadline, or null")
    customer: CustomerOut
    need: str
    requirements: RequirementsOut
    deal: DealOut
    reason: str
    comment: str
    notes: str
    assignee: int | None
    source: str
    campaign_id: str
    partner_center: PartnerCenterOut | None = Field(
        description="Partner Center's ids of a referral imported from it, so a CRM can match both ways; else null"
    )


class ReasonOut(Output):
    signal: str = Field(description="The engine's signal, e.g. distance, accepted before, boost")
    label: str = Field(description="The reason in words, in the caller's language")
    points: float = Field(description="What the signal added to the score")


class RoutingOut(Output):
    policy: str
    model_version: str
    why: list[ReasonOut] = Field(description="The signals that raised the score, the biggest first, then a boost")


class ReferralDetailOut(ReferralOut):
    routing: RoutingOut | None = Field(
        description="Why the routing engine chose this partner; null when the customer or an agent named it"
    )


class ReferralPage(Output):
    items: list[ReferralOut]
    next_cursor: str | None


class EventOut(Output):
    at: datetime
    actor_kind: Literal["user", "api", "system"]
    actor: str
    action: EventAction
    from_state: StateName | Literal[""] = Field(description="Empty for the create event")
    to_state: StateName
    reason: str
    comment: str


class SkipIn(Input):
    reason: str = ""
    comment: str = Field("", max_length=2000)


class AcceptIn(Input):
    deal_value: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3)
    expected_close_date: date


class DeclineIn(Input):
    reason: str = Field(min_length=1)
    comment: str = Field("", max_length=2000)


class WinIn(Input):
    deal_value: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=2)


class ReferralPatch(Input):
    notes: str | None = Field(None, max_length=MAX_NOTES)
    assignee: RowId | None = Field(
        None, description="A user id of your team's referrals admins and users (who can open it); null to unassign"
    )


def referral_out(view: ReferralView) -> dict[str, object]:
    return {
        "id": view.id,
        "engagement_id": view.engagement_id,
        "profile_id": view.profile_id,
        "state": view.state.value,
        "status": view.status,
        "substatus": view.substatus,
        "version": view.version,
        "created_at": view.created_at,
        "updated_at": view.updated_at,
        "state_entered_at": view.state_entered_at,
        "respond_by": view.respond_by,
        "customer": {
            "company": view.company,
            "size": view.company_size,
            "industry": view.industry,
            "country": view.country,
            "city": view.city,
            "contacts": None
            if view.contacts is None
            else [{"name": c.name, "email": c.email, "phone": c.phone} for c in view.contacts],
        },
        "need": view.need,
        "requirements": {
            "industries": view.requested_industries,
            "products": view.requested_products,
            "services": view.requested_services,
        },
        "deal": {
            "value": view.deal_value,
            "currency": view.deal_currency,
            "expected_close_date": view.expected_close_date,
            "final_value": view.final_value,
        },
        "reason": view.reason,
        "comment": view.comment,
        "notes": view.notes,
        "assignee": view.assignee_id,
        "source": view.source,
        "campaign_id": view.campaign_id,
        "partner_center": {
            "id": view.partner_center_id,
            "engagement_id": view.partner_center_engagement_id,
            "external_reference_id": view.external_reference_id,
        }
        if view.partner_center_engagement_id
        else None,
    }


def routing_out(routing: Routing | None) -> dict[str, object] | None:
    if routing is None:
        return None
    return {
        "policy": routing.policy,
        "model_version": routing.model_version,
        "why": [{"signal": r.signal, "label": r.label, "points": r.points} for r in routing.why],
    }


def event_out(event: ReferralEvent) -> dict[str, object]:
    return {
        "at": event.at,
        "actor_kind": event.actor_kind,
        "actor": actors.shown(event.actor_kind, event.actor_label),
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "comment": event.comment,
    }
