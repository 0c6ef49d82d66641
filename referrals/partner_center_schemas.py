"""A Partner Center referral as the import reads it: the shape of the Microsoft Partner Center Referrals API
(GET /v1.0/engagements/referrals), for the OpenAPI document only. referrals.partner_center reads the items
(and says which field is wrong); other fields Partner Center sends are allowed and ignored."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from referrals.schemas import PartnerCenterStatus, PartnerCenterSubstatus


class _Item(BaseModel):
    model_config = ConfigDict(extra="allow")


class PartnerCenterAddress(_Item):
    addressLine1: str | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None
    country: str = Field(description="The customer's country: two- or three-letter code, e.g. DE or DEU")


class PartnerCenterContact(_Item):
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    phoneNumber: str | None = None


class PartnerCenterCustomer(_Item):
    name: str = Field(description="The customer's company")
    address: PartnerCenterAddress
    size: str | None = Field(None, description="e.g. 51to250employees; empty or null when unknown")
    team: list[PartnerCenterContact] | PartnerCenterContact = Field(description="The customer's contacts")


class PartnerCenterRequirements(_Item):
    industries: list[dict[str, str]] = Field(default_factory=list, description="Each with an id and a name")
    products: list[dict[str, str]] = Field(default_factory=list)
    services: list[dict[str, str]] = Field(default_factory=list)
    solutions: list[dict[str, str]] = Field(default_factory=list)


class PartnerCenterDetails(_Item):
    notes: str | None = Field(None, description="The customer's need")
    dealValue: Decimal | None = None
    currency: str | None = None
    closingDateTime: datetime | None = None
    requirements: PartnerCenterRequirements | None = None


class PartnerCenterConsent(_Item):
    consentToContact: bool | None = None
    consentToShareInfoWithOthers: bool | None = None


class PartnerCenterReferral(_Item):
    """One referral of a Partner Center export."""

    id: str | None = Field(None, description="Partner Center's referral id")
    engagementId: str = Field(description="Partner Center's engagement id: imported once per business profile")
    externalReferenceId: str | None = None
    name: str | None = None
    status: PartnerCenterStatus
    substatus: PartnerCenterSubstatus
    statusReason: str | None = None
    customerProfile: PartnerCenterCustomer
    details: PartnerCenterDetails | None = None
    consent: PartnerCenterConsent | None = None
    createdDateTime: datetime | None = None
    updatedDateTime: datetime | None = None
    expirationDateTime: datetime | None = None
