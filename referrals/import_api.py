"""REST endpoint to import referrals exported from Partner Center (a partner's referrals admin)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Router, Schema
from pydantic import Field

from kernel.api_types import documented, problems
from partners.auth import current_user
from referrals import importing
from referrals.actors import ActorRef
from referrals.partner_center_schemas import PartnerCenterReferral
from referrals.schemas import StateName

router = Router(tags=["import"])


class ImportItemOut(Schema):
    index: int = Field(description="The item's position in the array sent, from 0")
    outcome: Literal["imported", "updated", "unchanged", "skipped"]
    engagement_id: str | None = Field(description="Partner Center's engagementId as sent, if readable")
    referral_id: int | None = Field(description="Our referral, for your profile in the customer's country")
    state: StateName | None = Field(description="Our referral's state after the import")
    reason: str = Field(description='Why it was skipped or left unchanged, naming the field; "" otherwise')
    notes: list[str] = Field(description="What was imported but not mapped: names not in our lists, an expiry")


class ImportOut(Schema):
    imported: int
    updated: int
    unchanged: int
    skipped: int
    items: list[ImportItemOut] = Field(description="One per item sent, in order")
    next_link: str = Field(description='The export\'s @odata.nextLink: fetch it and send the next page too; "" if none')


@router.post(
    "/import/partner-center",
    response={200: ImportOut, **problems(403)},
    summary="Import referrals exported from Partner Center (referrals admins)",
    description=(
        'Send Partner Center\'s response to GET /v1.0/engagements/referrals as it came (`{"@odata.context", '
        '"value": [...], "@odata.nextLink"}`) or just its `value` array. A new item becomes an engagement '
        "(source `import`) and a referral for your business profile in the customer's country, in the state its "
        "status/substatus maps to (already missed or expired if its expirationDateTime has passed). A later version "
        "of an item already imported (same engagementId, later updatedDateTime) moves its referral forward through "
        "the same actions as answering it here (e.g. Active/Accepted, then Closed/Won), with a history row each; an "
        "older or identical version changes nothing. statusReason becomes the reason (our list, else `other`) with "
        f"the text as the comment. At most {importing.MAX_ITEMS} items per request. Every item is reported as "
        "imported, updated, unchanged or skipped, with the reason. Nothing is e-mailed."
    ),
    operation_id="importPartnerCenterReferrals",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {
                                "type": "array",
                                "items": documented(PartnerCenterReferral),
                                "maxItems": importing.MAX_ITEMS,
                            },
                            {
                                "type": "object",
                                "description": "Partner Center's response as it sends it",
                                "properties": {
                                    "@odata.context": {"type": "string"},
                                    "@odata.nextLink": {"type": ["string", "null"]},
                                    "value": {
                                        "type": "array",
                                        "items": documented(PartnerCenterReferral),
                                        "maxItems": importing.MAX_ITEMS,
                                    },
                                },
                                "required": ["value"],
                            },
                        ]
                    }
                }
            }
        }
    },
)
def import_partner_center(request: HttpRequest, body: Any = Body(...)) -> dict[str, Any]:  # noqa: B008
    user = current_user(request)
    actor = ActorRef.api(user, getattr(getattr(request, "auth", None), "name", ""))
    result = importing.import_partner_center(user, body, actor, timezone.now())
    counts = {
        o: result.count(o) for o in (importing.IMPORTED, importing.UPDATED, importing.UNCHANGED, importing.SKIPPED)
    }
    return {
        **counts,
        "items": [asdict(i) for i in result.items],
        "next_link": result.next_link,
    }
