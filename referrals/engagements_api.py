"""REST endpoints for the operator's staff and intake integrations: create an engagement, read it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Header, Router, Status

from kernel.api_types import ObjectId, problems, response_headers
from partners.auth import current_user
from partners.models import User
from referrals import idempotency, permissions, services
from referrals.actors import ActorRef
from referrals.engagement_schemas import EngagementIn, EngagementOut, engagement_out
from referrals.models import Engagement

router = Router(tags=["engagements"])

IDEMPOTENCY_KEY = Header(
    None,
    alias=idempotency.HEADER,
    description=(
        "Required: a new random value (e.g. a UUID) per request. A retry with the same key and body gets the first "
        "response again with 200; the same key with another body is a 422; no key is a 400."
    ),
)


def _operator(request: HttpRequest) -> User:
    user = current_user(request)
    if not permissions.is_operator(user):
        raise PermissionDenied("Only the operator's agents and programme admins can create and read engagements.")
    return user


def _input(body: EngagementIn) -> services.EngagementInput:
    customer = body.customer
    return services.EngagementInput(
        company=customer.company,
        size=customer.size,
        industry=customer.industry,
        country=customer.country,
        city=customer.city,
        address=customer.address,
        contacts=[services.ContactInput(c.name, c.email, c.phone) for c in customer.contacts],
        need=body.need,
        requested_industries=body.requirements.industries,
        requested_products=body.requirements.products,
        requested_services=body.requirements.services,
        budget=body.budget,
        budget_currency=body.budget_currency,
        timeline=body.timeline,
        language=body.language,
        consent_contact=body.consent.contact_by_selected_partners,
        consent_share=body.consent.share_with_other_partners,
        source=body.source,
        campaign_id=body.campaign_id,
        targets=list(body.targets),
        route_count=body.route.count if body.route else None,
    )


@router.post(
    "/engagements",
    response={200: EngagementOut, 201: EngagementOut, **problems(400, 403)},
    openapi_extra=response_headers({200: ("Location", "Idempotent-Replayed"), 201: ("Location",)}),
    summary="Send a customer's request to chosen or routed business profiles (agents, programme admins, intake)",
    description=(
        "Creates the engagement and one new referral per target profile, and alerts each profile's contacts. "
        "Instead of `targets`, `route: {count: n}` lets the routing engine choose the n partners most likely to "
        "win it (1 to 6; fewer if fewer can take it; a 422 if nobody can). "
        "Send an `Idempotency-Key` header: 201 the first time; a retry with the same key and the same body "
        "gets the same engagement with 200 (header `Idempotent-Replayed: true`) and creates nothing; the same "
        "key with a different body is a 422; a missing key is a 400. Refused requests (4xx) are not stored: "
        "fix the body and send it again under the same key."
    ),
    operation_id="createEngagement",
)
def create_engagement(
    request: HttpRequest, body: EngagementIn, response: HttpResponse, idempotency_key: str | None = IDEMPOTENCY_KEY
) -> Status[dict[str, Any]]:
    user = _operator(request)
    key = idempotency.clean_key(idempotency_key)
    now = timezone.now()
    request_digest = idempotency.digest("POST", "/engagements", body.model_dump(mode="json"))
    actor = ActorRef.api(user, getattr(getattr(request, "auth", None), "name", ""))

    def produce() -> tuple[int, dict[str, Any]]:
        engagement = services.create_engagement(_input(body), actor, now)
        return 201, idempotency.as_sent(EngagementOut, engagement_out(engagement))

    outcome = idempotency.run(user, key, request_digest, now, produce)
    response["Location"] = reverse("api:read_engagement", kwargs={"engagement_id": outcome.body["id"]})
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
        return Status(200, outcome.body)
    return Status(outcome.status_code, outcome.body)


@router.get(
    "/engagements/{engagement_id}",
    response={200: EngagementOut, **problems(403, 404)},
    summary="Read an engagement with its referrals' ids and states (agents, programme admins)",
    operation_id="getEngagement",
)
def read_engagement(request: HttpRequest, engagement_id: ObjectId) -> dict[str, Any]:
    _operator(request)
    engagement = Engagement.objects.filter(pk=engagement_id).prefetch_related("contacts").first()
    if engagement is None:
        raise Http404("No such engagement.")
    return engagement_out(engagement)
