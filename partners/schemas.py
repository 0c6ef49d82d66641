"""API shapes of tokens, partner organisations and business profiles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import Field, Strict, model_validator

from kernel.api_types import Input, RowId, SharedEnum
from partners.models import ApiToken, BusinessProfile, Partner

TokenKind = Annotated[
    str,
    SharedEnum(
        "TokenKind",
        ApiToken.Kind.values,
        "personal: acts as you. integration: acts as a service user of your organisation and role, named after "
        "the token, so history shows the integration; it cannot sign in",
    ),
]
ProfileStatus = Annotated[
    str, SharedEnum("ProfileStatus", BusinessProfile.Status.values, "A paused profile gets no new referrals")
]
PartnerStatus = Annotated[
    str, SharedEnum("PartnerStatus", Partner.Status.values, "A suspended partner gets no new referrals")
]

# JSON's types, not Python's conversions: false is not 0, "1" is not true.
Count = Annotated[int, Strict()]
Flag = Annotated[bool, Strict()]
Degrees = Annotated[float, Strict()]

# --- Tokens --------------------------------------------------------------------------------------


class TokenIn(Input):
    name: str = Field(description="Where the token is used, e.g. 'CRM sync'; up to 100 characters")
    kind: TokenKind = "personal"


class TokenOut(Schema):
    id: int
    name: str
    kind: TokenKind
    prefix: str = Field(description="The token's first characters, to tell tokens apart")
    created_at: datetime
    last_used_at: datetime | None = Field(description="To the minute")
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself. Shown this once: store it now")


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "kind": token.kind,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


# --- Partner organisations -----------------------------------------------------------------------


class PartnerIn(Input):
    name: str
    admin_email: str = Field(description="The referrals admin, invited by e-mail to set a password")
    country: str = Field(description="Two-letter code of the head office, e.g. DE")
    language: Literal["en", "ru"] = Field("en", description="The admin's language, also of the invitation")


class PartnerOut(Schema):
    id: int
    name: str
    country: str
    status: PartnerStatus
    verified: bool
    created_at: datetime


class PartnerAdminOut(Schema):
    id: int
    email: str


class PartnerCreated(PartnerOut):
    admin: PartnerAdminOut


class PartnerPage(Schema):
    items: list[PartnerOut]
    next_cursor: str | None


def partner_out(partner: Partner) -> dict[str, Any]:
    return {
        "id": partner.pk,
        "name": partner.name,
        "country": partner.country,
        "status": partner.status,
        "verified": partner.verified,
        "created_at": partner.created_at,
    }


# --- Business profiles ---------------------------------------------------------------------------


class ProfileLocationIn(Input):
    id: Annotated[RowId, Strict()] | None = Field(
        None, description="An existing location to keep; leave out to add one"
    )
    address: str = ""
    city: str
    lat: Degrees = Field(description="Latitude, -90 to 90")
    lon: Degrees = Field(description="Longitude, -180 to 180")


class ProfileLocationOut(Schema):
    id: int
    address: str
    city: str
    lat: float
    lon: float


class ProfileContactIn(Input):
    name: str = ""
    email: str
    language: Literal["en", "ru"] = "en"


class ProfileContactOut(Schema):
    name: str
    email: str
    language: str


TAGS_HELP = "Codes from the taxonomy"


class ProfileIn(Input):
    country: str = Field(description="Two-letter code; one profile per country")
    locations: list[ProfileLocationIn] = Field(description="1 to 5 places, for proximity search")
    contacts: list[ProfileContactIn] = Field(description="Who receives the referral alerts (at least one)")
    description: str = ""
    website: str = ""
    languages: list[str] = Field(default_factory=list, description="Two-letter language codes spoken")
    industries: list[str] = Field(default_factory=list, description=TAGS_HELP + "; at most 5")
    products: list[str] = Field(default_factory=list, description=TAGS_HELP)
    services: list[str] = Field(default_factory=list, description=TAGS_HELP)
    keywords: list[str] = Field(default_factory=list, description="Free-form skills and solutions; at most 30")
    target_sizes: list[str] = Field(default_factory=list, description="Company size codes, e.g. 50-249")
    only_target_sizes: Flag = Field(False, description="Receive no referrals from companies of other sizes")
    status: ProfileStatus = "active"
    capacity: Count | None = Field(None, description="The most open referrals wanted at once; null for no limit")


class ProfilePatch(Input):
    """The fields to change; lists replace what was there. Locations keep their id when sent with it."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        # Every field is optional, and ninja's Schema reads attributes of anything: refuse a non-object.
        if not isinstance(data._obj if isinstance(data, DjangoGetter) else data, dict):
            raise ValueError("Send a JSON object with the fields to change.")
        return data

    country: str | None = Field(None, description="Cannot change; sent only to confirm")
    locations: list[ProfileLocationIn] | None = None
    contacts: list[ProfileContactIn] | None = None
    description: str | None = None
    website: str | None = None
    languages: list[str] | None = None
    industries: list[str] | None = None
    products: list[str] | None = None
    services: list[str] | None = None
    keywords: list[str] | None = None
    target_sizes: list[str] | None = None
    only_target_sizes: Flag | None = None
    status: ProfileStatus | None = None
    capacity: Count | None = None


class ProfileOut(Schema):
    id: int
    country: str
    locations: list[ProfileLocationOut]
    contacts: list[ProfileContactOut]
    description: str
    website: str
    languages: list[str]
    industries: list[str]
    products: list[str]
    services: list[str]
    keywords: list[str]
    target_sizes: list[str]
    only_target_sizes: bool
    status: ProfileStatus
    capacity: int | None
    created_at: datetime
    updated_at: datetime


def profile_out(profile: BusinessProfile) -> dict[str, Any]:
    """From a profile with its related rows prefetched (partners.services.profiles_of)."""
    return {
        "id": profile.pk,
        "country": profile.country,
        "locations": [
            {"id": x.pk, "address": x.address, "city": x.city, "lat": x.lat, "lon": x.lon}
            for x in profile.locations.all()
        ],
        "contacts": [{"name": c.name, "email": c.email, "language": c.language} for c in profile.contacts.all()],
        "description": profile.description,
        "website": profile.website,
        "languages": list(profile.languages),
        "industries": sorted(t.code for t in profile.industries.all()),
        "products": sorted(t.code for t in profile.products.all()),
        "services": sorted(t.code for t in profile.services.all()),
        "keywords": list(profile.keywords),
        "target_sizes": [t.code for t in sorted(profile.target_sizes.all(), key=lambda s: s.sort)],
        "only_target_sizes": profile.only_target_sizes,
        "status": profile.status,
        "capacity": profile.capacity,
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
    }
