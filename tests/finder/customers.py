"""A customer's request to the finder's partners, as the service, the page and the API tests make it."""

from __future__ import annotations

from typing import Any

from partners.models import BusinessProfile
from tests import factories


def request_fields(profile_ids: list[int], **overrides: Any) -> dict[str, Any]:
    """A valid request to these profiles, with `overrides`."""
    fields: dict[str, Any] = {
        "profile_ids": profile_ids,
        "company": "Contoso GmbH",
        "size": "50-249",
        "industry": "manufacturing",
        "country": "DE",
        "city": "Berlin",
        "contact_name": "Anna Schmidt",
        "email": "anna@contoso.example",
        "phone": "+49 30 1234567",
        "need": "Move 200 mailboxes to the cloud",
        "consent_contact": True,
    }
    return fields | overrides


def two_partners() -> tuple[BusinessProfile, BusinessProfile]:
    alpha = factories.profile(factories.partner("Alpha Cloud"), contacts=("alerts@alpha.example",))
    bravo = factories.profile(factories.partner("Bravo Systems"), contacts=("alerts@bravo.example",))
    return alpha, bravo
