"""Reading referrals as the Microsoft Partner Center Referrals API returns them, in Leadshare's terms.

Pure: no Django, no database, no clock. `parse` turns one JSON object into an `Imported` record or
raises `Skip` with a sentence saying which field is wrong; referrals.importing writes the records.
The reference lists to map tags onto are passed in (`Vocabulary`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# (status, substatus), lower-cased -> Leadshare state (lifecycle.PARTNER_CENTER_STATUS read backwards).
STATES: dict[tuple[str, str], str] = {
    ("new", "pending"): "new",
    ("new", "received"): "evaluating",
    ("active", "accepted"): "negotiating",
    ("closed", "won"): "won",
    ("closed", "lost"): "lost",
    ("closed", "declined"): "declined",
    ("closed", "expired"): "expired",
}

# Partner Center's customer sizes -> our bands (taxonomy.seed.COMPANY_SIZES). The three broad legacy
# sizes map to the band that holds their lower end; the largest ones all fall into 5000+.
SIZES: dict[str, str] = {
    "1to9employees": "1-9",
    "10to50employees": "10-49",
    "51to250employees": "50-249",
    "251to1000employees": "250-999",
    "1001to5000employees": "1000-4999",
    "5001to10000employees": "5000+",
    "10001to20000employees": "5000+",
    "morethan20000employees": "5000+",
    "1to50employees": "1-9",
    "51to500employees": "50-249",
    "morethan500employees": "250-999",
}

# Common Partner Center requirement ids -> our tag codes, where the names alone do not match.
ALIASES: dict[str, dict[str, str]] = {
    "products": {
        "microsoft365": "office-suite",
        "office365": "office-suite",
        "exchangeonline": "office-suite",
        "azure": "cloud-platform",
        "dynamics365enterprise": "crm",
        "dynamics365sales": "crm",
        "dynamics365customerservice": "crm",
        "dynamics365finance": "erp",
        "dynamics365businesscentral": "erp",
        "dynamics365supplychainmanagement": "erp",
        "powerbi": "analytics",
        "teams": "collaboration",
        "microsoftteams": "collaboration",
        "surface": "devices",
        "azureai": "ai",
        "azureopenai": "ai",
        "copilot": "ai",
        "microsoftsecurity": "security",
    },
    "services": {
        "deploymentormigration": "migration",
        "learningandcertification": "training",
        "managedservicesmsp": "managed-services",
        "managedservices": "managed-services",
        "customapplicationdevelopment": "custom-development",
        "applicationdevelopment": "custom-development",
        "licensing": "licensing",
        "consulting": "consulting",
        "implementation": "implementation",
        "support": "support",
    },
}

# Lengths of the columns the values go into (referrals.models), so that nothing is refused by the database.
LIMITS = {"company": 200, "city": 120, "address": 300, "name": 200, "phone": 40, "id": 100}


class Skip(Exception):
    """This item cannot be imported; the message says why, naming the field."""


def normalise(text: str) -> str:
    """'Professional services', 'professional-services' and 'ProfessionalServices' read alike."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


@dataclass(frozen=True)
class Vocabulary:
    """Our tag codes, each reachable by normalise(code) and normalise(English name)."""

    industries: Mapping[str, str] = field(default_factory=dict)
    products: Mapping[str, str] = field(default_factory=dict)
    services: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def index(terms: Iterable[tuple[str, str]]) -> dict[str, str]:
        """{normalised code or name: code} from (code, English name) pairs."""
        found: dict[str, str] = {}
        for code, name in terms:
            found.setdefault(normalise(code), code)
            found.setdefault(normalise(name), code)
        return found


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str


@dataclass(frozen=True)
class Imported:
    engagement_id: str
    referral_id: str
    status: str
    substatus: str
    state: str
    company: str
    size: str
    country: str
    city: str
    address: str
    contacts: tuple[Contact, ...]
    language: str
    consent_share: bool
    need: str
    industry: str
    industries: tuple[str, ...]
    products: tuple[str, ...]
    services: tuple[str, ...]
    deal_value: Decimal | None
    currency: str
    closing_date: date | None
    created_at: datetime | None
    updated_at: datetime | None
    expires_at: datetime | None


def _get(item: Mapping[str, Any], name: str) -> Any:
    """A member by name, in any letter case: exports differ (engagementId, EngagementID)."""
    if name in item:
        return item[name]
    wanted = name.casefold()
    for key, value in item.items():
        if isinstance(key, str) and key.casefold() == wanted:
            return value
    return None


def _object(item: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    value = _get(item, name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Skip(f"{where}{name} is not an object.")
    return value


def _text(item: Mapping[str, Any], name: str, where: str = "", limit: int | None = None) -> str:
    value = _get(item, name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Skip(f"{where}{name} is not text.")
    text = str(value).strip()
    return text[:limit] if limit else text


def engagement_id_of(item: Any) -> str | None:
    """The engagementId of an item, if it has a readable one (to name the item in a skip)."""
    if not isinstance(item, Mapping):
        return None
    value = _get(item, "engagementId")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip()[: LIMITS["id"]] or None


def _when(item: Mapping[str, Any], name: str, where: str = "") -> datetime | None:
    raw = _text(item, name, where)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise Skip(f"{where}{name} '{raw}' is not a date and time.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _state(item: Mapping[str, Any]) -> tuple[str, str, str]:
    status, substatus = _text(item, "status"), _text(item, "substatus")
    state = STATES.get((status.casefold(), substatus.casefold()))
    if state is None:
        raise Skip(f"status '{status}' with substatus '{substatus}' has no Leadshare state.")
    return status, substatus, state


def _customer(item: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    profile = _object(item, "customerProfile", "")
    company = _text(profile, "name", "customerProfile.", LIMITS["company"])
    if not company:
        raise Skip("customerProfile.name is missing: the customer's company is needed.")
    address = _object(profile, "address", "customerProfile.")
    country = _text(address, "country", "customerProfile.address.").upper()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise Skip(f"customerProfile.address.country '{country}' is not a two-letter country code.")
    city = _text(address, "city", "customerProfile.address.", LIMITS["city"])
    lines = [_text(address, n, "customerProfile.address.") for n in ("addressLine1", "addressLine2")]
    street = ", ".join(x for x in lines if x)[: LIMITS["address"]]
    raw_size = _text(profile, "size", "customerProfile.")
    size = SIZES.get(raw_size.casefold()) or (raw_size if raw_size in SIZES.values() else "")
    if not size:
        raise Skip(f"customerProfile.size '{raw_size}' is not a company size we know.")
    return company, country, city, street, size


def _contacts(item: Mapping[str, Any]) -> tuple[tuple[Contact, ...], str]:
    team = _get(_object(item, "customerProfile", ""), "team") or []
    if not isinstance(team, list):
        raise Skip("customerProfile.team is not a list.")
    contacts, language = [], ""
    for i, member in enumerate(team):
        where = f"customerProfile.team.{i}."
        if not isinstance(member, Mapping):
            raise Skip(f"customerProfile.team.{i} is not an object.")
        email = _text(member, "email", where)
        if not email:
            raise Skip(f"{where}email is missing.")
        name = " ".join(x for x in (_text(member, "firstName", where), _text(member, "lastName", where)) if x)
        phone = _text(member, "phoneNumber", where, LIMITS["phone"])
        contacts.append(Contact(name[: LIMITS["name"]] or email, email, phone))
        locale = _text(_object(member, "contactPreference", where), "locale", where + "contactPreference.")
        language = language or locale[:2].casefold()
    if not contacts:
        raise Skip("customerProfile.team has nobody in it: the customer needs a contact person.")
    return tuple(contacts), language if language in ("en", "ru") else "en"


def _consent(item: Mapping[str, Any]) -> bool:
    """Whether the request may go to other partners. A customer who refused contact cannot be imported."""
    consent = _object(item, "consent", "")
    if _get(consent, "consentToContact") is False:
        raise Skip("consent.consentToContact is false: the customer did not agree to be contacted.")
    # Partner Center's own sample spells it consentToToShareInfoWithOthers. Sharing with Microsoft's
    # sellers is not sharing with other partners, so consentToShareReferralWithMicrosoftSellers is not read.
    shared = _get(consent, "consentToShareInfoWithOthers")
    if shared is None:
        shared = _get(consent, "consentToToShareInfoWithOthers")
    return shared is True


def _tags(requirements: Mapping[str, Any], kind: str, vocabulary: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(our codes, the ids we could not map), in the order given. Solutions are named, the rest are ids."""
    raw = _get(requirements, kind) or []
    if not isinstance(raw, list):
        raise Skip(f"details.requirements.{kind} is not a list.")
    known, unknown = [], []
    aliases = ALIASES.get(kind, {})
    codes = set(vocabulary.values())
    order = ("name", "id") if kind == "solutions" else ("id", "name")
    for i, entry in enumerate(raw):
        if isinstance(entry, Mapping):
            where = f"details.requirements.{kind}.{i}."
            ident = _text(entry, order[0], where) or _text(entry, order[1], where)
        else:
            ident = str(entry).strip()
        key = normalise(ident)
        code = vocabulary.get(key) or (aliases[key] if aliases.get(key) in codes else None)
        if code:
            if code not in known:
                known.append(code)
        elif ident:
            unknown.append(ident)
    return known, unknown


def _deal(details: Mapping[str, Any]) -> tuple[Decimal | None, str]:
    raw = _get(details, "dealValue")
    value = None
    if raw is not None and raw != "":
        try:
            # Not rounded: referrals.importing checks it as an accepted deal's value is checked.
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            raise Skip(f"details.dealValue '{raw}' is not a number.") from None
        if isinstance(raw, bool) or not value.is_finite() or value < 0 or value >= Decimal("1e12"):
            raise Skip(f"details.dealValue '{raw}' is not an amount we can keep.")
    currency = _text(details, "currency", "details.").upper()
    if currency and (len(currency) != 3 or not currency.isascii() or not currency.isalpha()):
        raise Skip(f"details.currency '{currency}' is not a three-letter currency code.")
    if value is not None and not currency:
        raise Skip("details.currency is missing: a deal value needs its currency.")
    return value, currency


def parse(item: Any, vocabulary: Vocabulary) -> Imported:
    """One Partner Center referral in our terms; raises Skip saying which field stops it."""
    if not isinstance(item, Mapping):
        raise Skip("This item is not a JSON object.")
    engagement_id = engagement_id_of(item)
    if not engagement_id:
        raise Skip("engagementId is missing: it tells a re-import from a new referral.")
    status, substatus, state = _state(item)
    company, country, city, street, size = _customer(item)
    contacts, language = _contacts(item)
    consent_share = _consent(item)
    details = _object(item, "details", "")
    requirements = _object(details, "requirements", "details.")
    industries, other_industries = _tags(requirements, "industries", vocabulary.industries)
    products, other_products = _tags(requirements, "products", vocabulary.products)
    services, other_services = _tags(requirements, "services", vocabulary.services)
    solutions = _tags(requirements, "solutions", {})[1]
    deal_value, currency = _deal(details)
    closing = _when(details, "closingDateTime", "details.")
    notes = _text(details, "notes", "details.")
    extra = [
        f"{label}: {', '.join(values)}"
        for label, values in (
            ("industries", other_industries),
            ("products", other_products),
            ("services", other_services),
            ("solutions", solutions),
        )
        if values
    ]
    need = notes or "Imported from Partner Center without notes."
    if extra:
        need += "\n\nAlso requested in Partner Center (not in our lists): " + "; ".join(extra) + "."
    return Imported(
        engagement_id=engagement_id,
        referral_id=_text(item, "id", "", LIMITS["id"]),
        status=status,
        substatus=substatus,
        state=state,
        company=company,
        size=size,
        country=country,
        city=city,
        address=street,
        contacts=contacts,
        language=language,
        consent_share=consent_share,
        need=need,
        industry=industries[0] if industries else "",
        industries=tuple(industries),
        products=tuple(products),
        services=tuple(services),
        deal_value=deal_value,
        currency=currency,
        closing_date=closing.date() if closing else None,
        created_at=_when(item, "createdDateTime"),
        updated_at=_when(item, "updatedDateTime"),
        expires_at=_when(item, "expirationDateTime"),
    )
