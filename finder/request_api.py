"""POST /api/v1/finder/requests: a customer's request to up to three partners, public."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Status
from pydantic import Field, Strict

from accounts.forms import client_ip
from finder import requests
from finder.throttle import FinderRateThrottle
from kernel.api_types import Input, Output, RowId, problems
from kernel.problems import problem
from kernel.text import Line
from referrals.engagement_validation import MAX_NEED

router = Router(tags=["finder"])


class FinderRequestIn(Input):
    profile_ids: list[Annotated[RowId, Strict()]] = Field(
        description="The business profiles to ask (profile_id of the finder's results), 1 to 3"
    )
    company: Line = Field(max_length=200)
    size: str = Field(description="A company size code, e.g. 50-249")
    industry: str = Field(description="An industry code, e.g. manufacturing")
    country: str = Field(description="Two-letter code, e.g. DE")
    city: Line = Field(max_length=120, description="A city of that country, e.g. Berlin")
    contact_name: Line = Field(max_length=200)
    email: Line = Field(max_length=254)
    phone: Line = Field(max_length=40)
    # The need's and the budget's rules are referrals.engagement_validation's (finder.requests runs them, and
    # its refusals are problem+json by field); the schema only documents them.
    need: str = Field(
        description=f"What the customer needs, in their words, up to {MAX_NEED} characters",
        json_schema_extra={"maxLength": MAX_NEED},
    )
    budget: Decimal | None = Field(None, description="Greater than zero, at most two decimals; needs budget_currency")
    budget_currency: str = Field("", description="Three-letter code of the budget, e.g. EUR; required with a budget")
    timeline: Line = Field("", max_length=120)
    language: str = Field("en", description="The customer's language, for the confirmation e-mail: en or ru")
    consent_contact: Annotated[bool, Strict()] = Field(
        description="Must be true: the chosen partners may contact the customer"
    )
    consent_share: Annotated[bool, Strict()] = Field(
        False, description="May the request go to other suitable partners if these cannot help?"
    )


class FinderRequestOut(Output):
    profile_ids: list[int] = Field(description="The profiles the request is for, as sent")
    detail: str


def _accepted(data: requests.RequestInput) -> dict[str, Any]:
    return {
        "profile_ids": list(dict.fromkeys(data.profile_ids)),
        "detail": "The request is on its way. A confirmation goes to the e-mail address it gave.",
    }


def _input(body: FinderRequestIn) -> requests.RequestInput:
    return requests.RequestInput(
        profile_ids=list(body.profile_ids),
        company=body.company,
        size=body.size,
        industry=body.industry,
        country=body.country,
        city=body.city,
        contact_name=body.contact_name,
        email=body.email,
        phone=body.phone,
        need=body.need,
        budget=body.budget,
        budget_currency=body.budget_currency,
        timeline=body.timeline,
        language=body.language,
        consent_contact=body.consent_contact,
        consent_share=body.consent_share,
    )


@router.post(
    "/finder/requests",
    auth=None,
    throttle=[FinderRateThrottle()],
    response={202: FinderRequestOut, **problems(429)},
    summary="Send a customer's request to up to 3 partners from the finder (public, no token)",
    description=(
        "Creates one engagement (source `finder`) with one new referral per profile, alerts the partners, and "
        "e-mails the customer a confirmation with the request's link. Partners this e-mail already asked in the "
        "last 24 hours are not asked again; the owner of the address is told by e-mail. The answer is the same "
        "either way (202), so that it tells nobody what an address asked before. Requests are limited per "
        "client address and per e-mail: a 429 says when to retry (`Retry-After`, in seconds)."
    ),
    operation_id="sendFinderRequest",
)
def send_request(request: HttpRequest, body: FinderRequestIn) -> Status[dict[str, Any]] | HttpResponse:
    data = _input(body)
    try:
        requests.send_request(data, client_ip(request), timezone.now())
    except requests.RateLimited as exc:
        response = problem(429, str(exc))
        response["Retry-After"] = str(exc.retry_after)
        return response
    return Status(202, _accepted(data))
