"""Reading referrals as the Microsoft Partner Center Referrals API returns them, in Leadshare's terms.

Pure: no Django, no database, no clock. `items_of` reads what a caller sent (the API's response wrapper
`{"@odata.context", "value": [...], "@odata.nextLink"}` or a bare array); `parse` turns one item into an
`Imported` record or raises `Skip` with a sentence saying which field is wrong; `moves_to` says which
lifecycle actions take a referral to the status of a later version; referrals.importing writes the records.
The reference lists to map onto (our tags, reasons, country codes) are passed in (`Vocabulary`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from referrals import lifecycle
from referrals.lifecycle import Action, State

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

# Microsoft's names for products, services and industries (Partner Center requirement ids, the names its pages
# show, and older product names still in old exports), normalised, -> our tag codes (taxonomy.seed). The one
# mapping table: a name that is neither here nor one of our own codes or English names is reported, item by item.
TAXONOMY: dict[str, dict[str, str]] = {
    "products": {
        **dict.fromkeys(
            (
                "office", "office365", "microsoft365", "m365", "microsoft365apps", "officeproplus", "exchange",
                "exchangeonline", "exchangeserver", "sharepoint", "sharepointonline", "sharepointserver", "onedrive",
                "onedriveforbusiness", "outlook",
            ),
            "office-suite",
        ),
        **dict.fromkeys(
            ("teams", "microsoftteams", "teamsphonesystem", "teamsrooms", "skypeforbusiness", "lync"), "collaboration"
        ),
        **dict.fromkeys(
            (
                "dynamics365", "dynamics365sales", "dynamics365customerservice", "dynamics365marketing",
                "dynamics365fieldservice", "dynamics365customerinsights", "dynamics365customerengagement",
                "dynamicscrm", "dynamicscrmonline", "microsoftdynamicscrm", "dynamics365forsales",
            ),
            "crm",
        ),
        **dict.fromkeys(
            (
                "dynamics365finance", "dynamics365financeandoperations", "dynamics365businesscentral",
                "dynamics365supplychainmanagement", "dynamics365commerce", "dynamics365operations", "dynamicsax",
                "dynamicsnav", "dynamicsgp", "dynamicssl", "microsoftdynamicsax", "microsoftdynamicsnav",
                "microsoftdynamicsgp", "microsoftdynamicssl",
            ),
            "erp",
        ),
        **dict.fromkeys(
            (
                "enterprisemobilitysecurity", "enterprisemobilityandsecurity", "ems", "intune", "microsoftintune",
                "azureactivedirectory", "microsoftentraid", "entraid", "microsoftdefender", "microsoftsentinel",
                "microsoftsecurity", "microsoftpurview",
            ),
            "security",
        ),
        **dict.fromkeys(
            ("azure", "microsoftazure", "azureinfrastructure", "windowsserver", "sqlserver", "azurevirtualdesktop"),
            "cloud-platform",
        ),
        **dict.fromkeys(("powerbi", "microsoftfabric", "azuresynapseanalytics", "azuredata"), "analytics"),
        **dict.fromkeys(("surface", "surfacehub", "hololens", "windowsdevices"), "devices"),
        **dict.fromkeys(("azureai", "azureopenai", "copilot", "microsoft365copilot", "microsoftcopilot"), "ai"),
    },
    "services": {
        **dict.fromkeys(("consulting", "advisory", "assessment", "strategyconsulting"), "consulting"),
        **dict.fromkeys(("implementation", "integration", "systemintegration"), "implementation"),
        **dict.fromkeys(("deployment", "deploymentormigration", "migration", "cloudmigration"), "migration"),
        **dict.fromkeys(("managedservices", "managedservicesmsp", "msp"), "managed-services"),
        **dict.fromkeys(("learningandcertification", "training"), "training"),
        **dict.fromkeys(("licensing", "licensingandsubscriptions", "cloudsolutionprovider", "csp"), "licensing"),
        **dict.fromkeys(
            (
                "customsolution", "customsolutions", "customapplicationdevelopment", "applicationdevelopment",
                "customdevelopment",
            ),
            "custom-development",
        ),
        **dict.fromkeys(("support", "technicalsupport", "premiersupport"), "support"),
    },
    "industries": {
        **dict.fromkeys(
            (
                "automotive", "discretemanufacturing", "processmanufacturing", "manufacturingandresources",
                "manufacturingandmobility", "chemicals",
            ),
            "manufacturing",
        ),
        **dict.fromkeys(("retailandconsumergoods", "consumergoods", "consumerproductsandservices"), "retail"),
        **dict.fromkeys(("banking", "capitalmarkets", "insurance", "financialservices"), "finance"),
        **dict.fromkeys(("health", "healthandlifesciences", "lifesciences", "pharmaceuticals"), "healthcare"),
        **dict.fromkeys(("highereducation", "primaryandsecondaryeducation", "k12"), "education"),
        **dict.fromkeys(
            (
                "publicsector", "federalgovernment", "stateandlocalgovernment", "publicsafetyandjustice",
                "defenseandintelligence", "nationalandfederalgovernment",
            ),
            "government",
        ),
        **dict.fromkeys(("partnerprofessionalservices", "legal"), "professional-services"),
        **dict.fromkeys(
            ("mediaandentertainment", "mediaandcommunications", "telecommunications", "telecommunicationsandmedia"),
            "media",
        ),
        **dict.fromkeys(("powerandutilities", "oilandgas", "utilities", "energyandresources"), "energy"),
        **dict.fromkeys(("transportation", "travelandtransportation", "logistics", "distribution"), "transport"),
        **dict.fromkeys(("hospitalityandtravel", "travel"), "hospitality"),
        **dict.fromkeys(("nonprofits", "notforprofit", "nonprofitorganizations"), "nonprofit"),
    },
}  # fmt: skip

# statusReason is free text: words in it (normalised) -> our reason code, per reason kind (taxonomy Reason.kind),
# tried in order after an exact match of one of our reasons. No match is 'other', with the text as the comment.
STATUS_REASONS: dict[str, tuple[tuple[str, str], ...]] = {
    "lose": (
        ("competitor", "competitor"), ("price", "price"), ("pricing", "price"), ("cost", "price"),
        ("budget", "price"), ("nodecision", "no-decision"), ("notinterested", "no-decision"),
        ("unresponsive", "no-decision"), ("timing", "timing"), ("timeline", "timing"), ("postpone", "timing"),
        ("requirement", "requirements-not-met"), ("notafit", "requirements-not-met"),
    ),
    "decline": (
        ("duplicate", "duplicate"), ("spam", "spam"), ("fake", "spam"), ("toosmall", "customer-too-small"),
        ("toolarge", "customer-too-large"), ("toobig", "customer-too-large"), ("region", "region-not-served"),
        ("geograph", "region-not-served"), ("capacity", "no-capacity"), ("bandwidth", "no-capacity"),
        ("notafit", "not-our-field"), ("expertise", "not-our-field"), ("outofscope", "not-our-field"),
    ),
    "skip": (
        ("spam", "spam"), ("fake", "spam"), ("region", "region-not-served"), ("geograph", "region-not-served"),
        ("capacity", "no-capacity"), ("bandwidth", "no-capacity"), ("notafit", "not-our-field"),
        ("expertise", "not-our-field"), ("outofscope", "not-our-field"),
    ),
}  # fmt: skip
# The reason kind each action that takes a reason asks for (referrals.validation.REASON_KIND's kinds).
REASON_KINDS = {Action.LOSE: "lose", Action.DECLINE: "decline", Action.SKIP: "skip"}
# A referral imported straight into one of these states took that action in Partner Center.
ENDED_BY = {State.LOST: Action.LOSE, State.DECLINED: Action.DECLINE}

# Lengths of the columns the values go into (referrals.models), so that nothing is refused by the database.
LIMITS = {"company": 200, "city": 120, "address": 300, "name": 200, "phone": 40, "id": 100, "comment": 2000}


class Skip(Exception):
    """This item cannot be imported; the message says why, naming the field."""


class NotAnExport(ValueError):
    """The body is neither an array of referrals nor Partner Center's response wrapper."""


def items_of(body: Any) -> tuple[list[Any], str]:
    """(the items, the `@odata.nextLink` to fetch next or "") of a bare array or a response wrapper."""
    if isinstance(body, list):
        return body, ""
    if isinstance(body, Mapping) and isinstance(body.get("value"), list):
        following = body.get("@odata.nextLink")
        return body["value"], following if isinstance(following, str) else ""
    raise NotAnExport(
        "Send a JSON array of referrals, or Partner Center's response as it came: an object whose `value` is one."
    )


def normalise(text: str) -> str:
    """'Professional services', 'professional-services' and 'ProfessionalServices' read alike."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


@dataclass(frozen=True)
class Vocabulary:
    """Our tag codes, each reachable by normalise(code) and normalise(English name)."""

    industries: Mapping[str, str] = field(default_factory=dict)
    products: Mapping[str, str] = field(default_factory=dict)
    services: Mapping[str, str] = field(default_factory=dict)
    # {reason kind: {normalised code or English name: code}} of the active reasons (taxonomy.Reason).
    reasons: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # {ISO alpha-2 or alpha-3 code: alpha-2 code} (partners.cities.country_codes).
    countries: Mapping[str, str] = field(default_factory=dict)

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
    external_reference_id: str
    status: str
    substatus: str
    status_reason: str
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
    # One sentence per Microsoft name we could not map onto our lists (kept in `need`).
    unmapped: tuple[str, ...] = ()


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


def _country(address: Mapping[str, Any], countries: Mapping[str, str]) -> str:
    """The alpha-2 code of a two- or three-letter country code ("USA" -> "US")."""
    raw = _text(address, "country", "customerProfile.address.").upper()
    code = countries.get(raw) if raw.isascii() and raw.isalpha() else None
    if code is None:
        raise Skip(f"customerProfile.address.country '{raw}' is not a two- or three-letter country code we know.")
    return code


def _size(profile: Mapping[str, Any]) -> str:
    """Our band, or "" when Partner Center does not know the size (null or empty, as most real items send)."""
    raw = _text(profile, "size", "customerProfile.")
    if not raw:
        return ""
    size = SIZES.get(raw.casefold()) or (raw if raw in SIZES.values() else "")
    if not size:
        raise Skip(f"customerProfile.size '{raw}' is not a company size we know.")
    return size


def _customer(item: Mapping[str, Any], countries: Mapping[str, str]) -> tuple[str, str, str, str, str]:
    profile = _object(item, "customerProfile", "")
    company = _text(profile, "name", "customerProfile.", LIMITS["company"])
    if not company:
        raise Skip("customerProfile.name is missing: the customer's company is needed.")
    address = _object(profile, "address", "customerProfile.")
    country = _country(address, countries)
    city = _text(address, "city", "customerProfile.address.", LIMITS["city"])
    lines = [_text(address, n, "customerProfile.address.") for n in ("addressLine1", "addressLine2")]
    street = ", ".join(x for x in lines if x)[: LIMITS["address"]]
    return company, country, city, street, _size(profile)


def _contacts(item: Mapping[str, Any]) -> tuple[tuple[Contact, ...], str]:
    team = _get(_object(item, "customerProfile", ""), "team") or []
    if isinstance(team, Mapping):
        team = [team]  # real exports give a team of one as the member itself
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
    """(our codes, the names we could not map), in the order given. Solutions are named, the rest are ids."""
    raw = _get(requirements, kind) or []
    if not isinstance(raw, list):
        raise Skip(f"details.requirements.{kind} is not a list.")
    known, unknown = [], []
    microsoft = TAXONOMY.get(kind, {})
    codes = set(vocabulary.values())
    order = ("name", "id") if kind == "solutions" else ("id", "name")
    for i, entry in enumerate(raw):
        if isinstance(entry, Mapping):
            where = f"details.requirements.{kind}.{i}."
            ident = _text(entry, order[0], where) or _text(entry, order[1], where)
        else:
            ident = str(entry).strip()
        key = normalise(ident)
        code = vocabulary.get(key) or (microsoft[key] if microsoft.get(key) in codes else None)
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
    company, country, city, street, size = _customer(item, vocabulary.countries)
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
    unmapped = tuple(
        f"details.requirements.{kind} '{name}' is not in our {kind}: kept in the need text."
        for kind, names in (
            ("industries", other_industries),
            ("products", other_products),
            ("services", other_services),
        )
        for name in names
    )
    return Imported(
        engagement_id=engagement_id,
        referral_id=_text(item, "id", "", LIMITS["id"]),
        external_reference_id=_text(item, "externalReferenceId", "", LIMITS["id"]),
        status=status,
        substatus=substatus,
        status_reason=_text(item, "statusReason", "", LIMITS["comment"]),
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
        unmapped=unmapped,
    )


def reason_code(kind: str, text: str, reasons: Mapping[str, Mapping[str, str]]) -> str:
    """Our reason of `kind` for Partner Center's statusReason text: one of ours named exactly, else the first
    word of STATUS_REASONS found in it, else 'other'; "" when the kind has none of these active."""
    ours = reasons.get(kind, {})
    key = normalise(text)
    found = ours.get(key) if key else None
    if found is None:
        found = next((code for word, code in STATUS_REASONS.get(kind, ()) if key and word in key), None)
    codes = set(ours.values())
    if found in codes:
        return found
    return "other" if "other" in codes else ""


def expired_state(state: str, expires_at: datetime | None, now: datetime) -> str:
    """The state an item is imported in: a referral whose Partner Center expiry passed before `now` arrives
    as the timer would have left it (new -> missed, evaluating -> expired), never with a fresh deadline."""
    timer = lifecycle.timer_action(State(state))
    if timer is None or expires_at is None or expires_at > now:
        return state
    return lifecycle.next_state(State(state), timer).value


def moves_to(state: str, status: str, substatus: str) -> tuple[Action, ...] | None:
    """The fewest lifecycle moves from `state` to a state Partner Center shows as status/substatus: () when it is
    there already, None when no path of moves leads there (backwards, or from an end)."""
    wanted = (status.casefold(), substatus.casefold())

    def shows(candidate: State) -> bool:
        shown = lifecycle.PARTNER_CENTER_STATUS[candidate]
        return (shown[0].casefold(), shown[1].casefold()) == wanted

    start = State(state)
    paths: dict[State, tuple[Action, ...]] = {start: ()}
    frontier = [start]
    while frontier:
        current = frontier.pop(0)
        if shows(current):
            return paths[current]
        for (source, action), target in lifecycle.MOVES.items():
            if source == current and target not in paths:
                paths[target] = (*paths[current], action)
                frontier.append(target)
    return None
