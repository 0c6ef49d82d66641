"""API shapes of engagements as the operator's staff and intake integrations send and read them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, Strict

from kernel.api_types import Input, RowId
from referrals.engagement_validation import MAX_NEED, MAX_ROUTED
from referrals.models import Engagement
from referrals.schemas import StateName


class EngagementContactIn(Input):
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    phone: str = Field("", max_length=40)


class EngagementCustomerIn(Input):
    company: str = Field(max_length=200)
    size: str = Field(description="A company size code, e.g. 50-249")
    industry: str = Field("", description="An industry code")
    country: str = Field(description="Two-letter code, e.g. DE")
    city: str = Field("", max_length=120)
    address: str = Field("", max_length=300)
    contacts: list[EngagementContactIn] = Field(description="1 to 5 people the partners may contact")


class EngagementRequirementsIn(Input):
    industries: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)


class EngagementConsentIn(Input):
    contact_by_selected_partners: Annotated[bool, Strict()] = Field(
        description="Must be true: the chosen partners will get in touch"
    )
    share_with_other_partners: Annotated[bool, Strict()] = False


class EngagementRouteIn(Input):
    count: Annotated[int, Strict()] = Field(description=f"How many partners, 1 to {MAX_ROUTED}")


class EngagementIn(Input):
    customer: EngagementCustomerIn
    # The need's and the budget's rules are referrals.engagement_validation's (run by the service, whose
    # refusals are problem+json by field); the schema only documents them.
    need: str = Field(
        description=f"What the customer needs, up to {MAX_NEED} characters", json_schema_extra={"maxLength": MAX_NEED}
    )
    requirements: EngagementRequirementsIn = Field(default_factory=EngagementRequirementsIn)
    budget: Decimal | None = Field(None, description="Greater than zero, at most two decimals; needs budget_currency")
    budget_currency: str = Field("", description="Three-letter code of the budget, e.g. EUR; required with a budget")
    timeline: str = Field("", max_length=120)
    language: str = Field("en", description="The customer's language: en or ru")
    consent: EngagementConsentIn
    source: Literal["agent", "advertising", "api"]
    campaign_id: str = Field("", max_length=100)
    targets: list[Annotated[RowId, Strict()]] = Field(
        default_factory=list,
        description="Business profile ids, 1 to 10; each gets one referral. Or leave out and send `route`.",
    )
    route: EngagementRouteIn | None = Field(
        None, description="Instead of `targets`: let the routing engine choose the partners (exactly one of the two)"
    )


class EngagementContactOut(Schema):
    name: str
    email: str
    phone: str


class EngagementCustomerOut(Schema):
    company: str
    size: str
    industry: str
    country: str
    city: str
    address: str
    contacts: list[EngagementContactOut]


class EngagementRequirementsOut(Schema):
    industries: list[str]
    products: list[str]
    services: list[str]


class EngagementConsentOut(Schema):
    contact_by_selected_partners: bool
    share_with_other_partners: bool


class EngagementReferralOut(Schema):
    id: int
    profile_id: int
    partner_id: int
    state: StateName


class EngagementOut(Schema):
    id: int
    created_at: datetime
    source: str
    campaign_id: str
    language: str
    customer: EngagementCustomerOut
    need: str
    requirements: EngagementRequirementsOut
    budget: Decimal | None
    budget_currency: str
    timeline: str
    consent: EngagementConsentOut
    referrals: list[EngagementReferralOut]


def engagement_out(engagement: Engagement) -> dict[str, Any]:
    return {
        "id": engagement.pk,
        "created_at": engagement.created_at,
        "source": engagement.source,
        "campaign_id": engagement.campaign_id,
        "language": engagement.language,
        "customer": {
            "company": engagement.customer_company,
            "size": engagement.customer_size_id,
            "industry": engagement.customer_industry_id or "",
            "country": engagement.customer_country,
            "city": engagement.customer_city,
            "address": engagement.customer_address,
            "contacts": [{"name": c.name, "email": c.email, "phone": c.phone} for c in engagement.contacts.all()],
        },
        "need": engagement.need,
        "requirements": {
            "industries": engagement.requested_industries,
            "products": engagement.requested_products,
            "services": engagement.requested_services,
        },
        "budget": engagement.budget,
        "budget_currency": engagement.budget_currency,
        "timeline": engagement.timeline,
        "consent": {
            "contact_by_selected_partners": engagement.consent_contact,
            "share_with_other_partners": engagement.consent_share,
        },
        "referrals": [
            {"id": r.pk, "profile_id": r.profile_id, "partner_id": r.partner_id, "state": r.state}
            for r in engagement.referrals.order_by("id")
        ],
    }
