"""REST endpoint to import referrals exported from Partner Center (a partner's referrals admin)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

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


class ImportCreatedOut(Schema):
    index: int = Field(description="The item's position in the array sent, from 0")
    engagement_id: int = Field(description="Our engagement")
    referral_id: int = Field(description="Our referral, for your profile in the customer's country")
    state: StateName
    partner_center_engagement_id: str


class ImportSkippedOut(Schema):
    index: int
    engagement_id: str | None = Field(description="Partner Center's engagementId as sent, if readable")
    reason: str = Field(description="Why it was not imported, naming the field")


class ImportOut(Schema):
    created: list[ImportCreatedOut]
    skipped: list[ImportSkippedOut]


@router.post(
    "/import/partner-center",
    response={200: ImportOut, **problems(403)},
    summary="Import referrals exported from Partner Center (referrals admins)",
    description=(
        "Send a JSON array of referrals as the Partner Center Referrals API returns them (the `value` of "
        "GET /v1.0/engagements/referrals). Each becomes an engagement (source `import`) and a referral for your "
        f"business profile in the customer's country, in the state its status/substatus maps to. At most "
        f"{importing.MAX_ITEMS} per request. An engagementId already imported for that profile is skipped as a "
        "duplicate, so the same export can be sent again. Every item is either in `created` or in `skipped` with "
        "a reason. Nothing is e-mailed."
    ),
    operation_id="importPartnerCenterReferrals",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"items": documented(PartnerCenterReferral), "maxItems": importing.MAX_ITEMS}
                }
            }
        }
    },
)
def import_partner_center(request: HttpRequest, body: list[Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    user = current_user(request)
    actor = ActorRef.api(user, getattr(getattr(request, "auth", None), "name", ""))
    result = importing.import_partner_center(user, body, actor, timezone.now())
    return {"created": [asdict(c) for c in result.created], "skipped": [asdict(s) for s in result.skipped]}
