"""The business rules for partner organisations, business profiles and API tokens.

The API (partners.api) and the management commands call these; each checks who may act, validates
by field (InvalidInput, mapped to 422) and writes in one transaction. Another partner's profile is
NotFound, never "forbidden", so its existence is not revealed.
"""

from __future__ import annotations

import io
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q, QuerySet

from kernel.errors import InvalidInput
from kernel.text import line_error, line_errors
from notifications import outbox
from partners import tokens
from partners.models import (
    MAX_INDUSTRIES_PER_PROFILE,
    MAX_LOCATIONS_PER_PROFILE,
    ApiToken,
    BusinessProfile,
    Location,
    Partner,
    ProfileContact,
    Role,
    User,
)
from referrals import permissions
from taxonomy.models import CompanySize, Industry, Product, ServiceType

LANGUAGES = ("en", "ru")
MAX_CONTACTS_PER_PROFILE = 20
MAX_KEYWORDS = 30
MAX_KEYWORD_LENGTH = 60
MAX_DESCRIPTION_LENGTH = 5000
MAX_CAPACITY = 100_000
MAX_EMAIL_LENGTH = 254  # EmailField's column
MAX_LOGO_BYTES = 1024 * 1024
# Formats told by the file's content (Pillow), never by its name; SVG can carry scripts and is refused.
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
# Integration users get an address under a reserved top-level domain (RFC 2606): nothing is ever sent there.
INTEGRATION_DOMAIN = "integrations.invalid"


class NotFound(Exception):
    """The object does not exist, or the caller may not know that it does (mapped to 404)."""


class Conflict(Exception):
    """The request is valid but clashes with what exists (mapped to 409)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ProfileChanged(Conflict):
    def __init__(self) -> None:
        super().__init__("This profile changed since you read it. Read it again and retry.")


# --- Who may do what ---------------------------------------------------------------------------


def require_programme_admin(user: User) -> None:
    if not permissions.is_programme_admin(user):
        raise PermissionDenied("Only programme admins can manage partner organisations.")


def require_profile_manager(user: User) -> int:
    """The id of the partner whose profiles the user manages; PermissionDenied if they manage none."""
    if not permissions.can_edit_profiles(user) or user.partner_id is None:
        raise PermissionDenied("Only a partner's referrals admin or profile admin can manage business profiles.")
    return user.partner_id


def profile_version(profile: BusinessProfile) -> int:
    """The optimistic-concurrency token of a profile (its ETag): the microsecond of its last change."""
    return int(profile.updated_at.timestamp() * 1_000_000)


# --- Partner organisations ---------------------------------------------------------------------


def _country_error(country: str) -> str | None:
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        return "Use the two-letter country code, such as DE or RU."
    return None


def create_partner(
    actor: User, name: str, admin_email: str, country: str, now: datetime, language: str = "en"
) -> tuple[Partner, User]:
    """A partner organisation and its referrals admin, who is invited by e-mail to set a password."""
    require_programme_admin(actor)
    name, admin_email, country = name.strip(), admin_email.strip().lower(), country.strip().upper()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Enter the partner's name."
    elif len(name) > 200:
        errors["name"] = "Keep the name under 200 characters."
    elif message := line_error(name):
        errors["name"] = message
    try:
        validate_email(admin_email)
        if len(admin_email) > MAX_EMAIL_LENGTH:
            raise ValidationError("too long")
    except ValidationError:
        errors["admin_email"] = "Enter a valid e-mail address."
    if message := _country_error(country):
        errors["country"] = message
    if language not in LANGUAGES:
        errors["language"] = "Use en or ru."
    if errors:
        raise InvalidInput(errors)
    taken = Conflict(f"Someone already has an account with {admin_email}. Invite a different address.", "admin_email")
    if User.objects.filter(email__iexact=admin_email).exists():
        raise taken
    try:
        with transaction.atomic():
            partner = Partner.objects.create(name=name, country=country)
            admin = User.objects.create_user(
                admin_email, None, partner=partner, role=Role.REFERRALS_ADMIN, language=language
            )
            # The link is made when the e-mail is rendered (notifications.emails): no secret sits in the outbox.
            outbox.add([outbox.email(outbox.PARTNER_INVITATION, admin.email, language, now, user_id=admin.pk)])
    except IntegrityError:
        raise taken from None  # the same address, invited at the same moment
    return partner, admin


def partners_page(actor: User, limit: int, after: int | None) -> tuple[list[Partner], int | None]:
    """Partners in the order they were added; the id to continue after, if there are more."""
    require_programme_admin(actor)
    qs = Partner.objects.order_by("id")
    if after is not None:
        qs = qs.filter(id__gt=after)
    rows = list(qs[: limit + 1])
    return rows[:limit], rows[limit - 1].pk if len(rows) > limit else None


# --- Business profiles -------------------------------------------------------------------------


def profiles_of(user: User) -> QuerySet[BusinessProfile]:
    partner_id = require_profile_manager(user)
    return (
        BusinessProfile.objects.filter(partner_id=partner_id)
        .order_by("country")
        .prefetch_related("locations", "contacts", "industries", "products", "services", "target_sizes")
    )


def get_profile(user: User, profile_id: int) -> BusinessProfile:
    profile = profiles_of(user).filter(pk=profile_id).first()
    if profile is None:
        raise NotFound("No such business profile.")
    return profile


@dataclass
class _Cleaned:
    """Validated values of the fields sent; only those are applied."""

    scalars: dict[str, Any]
    locations: list[dict[str, Any]] | None = None
    contacts: list[dict[str, Any]] | None = None
    tags: dict[str, list[str]] | None = None


LIST_FIELDS = ("locations", "contacts", "languages", "industries", "products", "services", "keywords", "target_sizes")
TAG_MODELS: dict[str, Any] = {
    "industries": Industry,
    "products": Product,
    "services": ServiceType,
    "target_sizes": CompanySize,
}


def _unknown_codes(model: Any, codes: list[str]) -> list[str]:
    known = set(model.objects.filter(code__in=codes).values_list("code", flat=True))
    return [c for c in codes if c not in known]


def _clean_locations(values: list[Any], errors: dict[str, str]) -> list[dict[str, Any]]:
    if len(values) > MAX_LOCATIONS_PER_PROFILE:
        errors["locations"] = f"A profile has at most {MAX_LOCATIONS_PER_PROFILE} locations."
    cleaned = []
    for i, raw in enumerate(values):
        location = dict(raw)
        city, address = str(location.get("city") or "").strip(), str(location.get("address") or "").strip()
        if not city:
            errors[f"locations.{i}.city"] = "Enter the city."
        elif len(city) > 120:
            errors[f"locations.{i}.city"] = "Keep the city under 120 characters."
        if len(address) > 300:
            errors[f"locations.{i}.address"] = "Keep the address under 300 characters."
        errors |= line_errors({f"locations.{i}.city": city, f"locations.{i}.address": address})
        lat, lon = location.get("lat"), location.get("lon")
        if lat is None or not -90 <= lat <= 90:
            errors[f"locations.{i}.lat"] = "The latitude is a number from -90 to 90."
        if lon is None or not -180 <= lon <= 180:
            errors[f"locations.{i}.lon"] = "The longitude is a number from -180 to 180."
        cleaned.append({"id": location.get("id"), "city": city, "address": address, "lat": lat, "lon": lon})
    return cleaned


def _clean_contacts(values: list[Any], errors: dict[str, str]) -> list[dict[str, Any]]:
    if not values:
        errors["contacts"] = "Add at least one contact to receive the referral alerts."
    elif len(values) > MAX_CONTACTS_PER_PROFILE:
        errors["contacts"] = f"A profile has at most {MAX_CONTACTS_PER_PROFILE} contacts."
    cleaned, seen = [], set()
    for i, raw in enumerate(values):
        contact = dict(raw)
        email = str(contact.get("email") or "").strip().lower()
        try:
            validate_email(email)
            if len(email) > MAX_EMAIL_LENGTH:
                raise ValidationError("too long")
        except ValidationError:
            errors[f"contacts.{i}.email"] = "Enter a valid e-mail address."
        if email in seen:
            errors[f"contacts.{i}.email"] = "This address is already a contact of the profile."
        seen.add(email)
        name = str(contact.get("name") or "").strip()
        if len(name) > 200:
            errors[f"contacts.{i}.name"] = "Keep the name under 200 characters."
        errors |= line_errors({f"contacts.{i}.name": name})
        language = contact.get("language") or "en"
        if language not in LANGUAGES:
            errors[f"contacts.{i}.language"] = "Use en or ru."
        cleaned.append({"email": email, "name": name, "language": language})
    return cleaned


def _clean_logo(upload: Any, errors: dict[str, str]) -> ContentFile[bytes] | None:
    """A logo upload checked by size and content: PNG, JPEG or WebP up to 1 MB, stored under a new name."""
    from PIL import Image, UnidentifiedImageError

    size = getattr(upload, "size", None)
    if size is None or size > MAX_LOGO_BYTES:
        errors["logo"] = "The logo is larger than 1 MB. Upload a smaller PNG, JPEG or WebP image."
        return None
    data = upload.read(MAX_LOGO_BYTES + 1)
    if len(data) > MAX_LOGO_BYTES:
        errors["logo"] = "The logo is larger than 1 MB. Upload a smaller PNG, JPEG or WebP image."
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind = ""
    if kind not in LOGO_FORMATS:
        errors["logo"] = "Upload the logo as a PNG, JPEG or WebP image (SVG and other files are refused)."
        return None
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{LOGO_FORMATS[kind]}")


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _clean(fields: Mapping[str, Any], creating: bool, current: BusinessProfile | None) -> _Cleaned:
    """Check every sent field; raise InvalidInput naming each bad one."""
    errors: dict[str, str] = {}
    for name in LIST_FIELDS:
        if name in fields and fields[name] is None:
            errors[name] = "Send a list (it may be empty)."
    if errors:
        raise InvalidInput(errors)
    result = _Cleaned(scalars={})
    if "country" in fields:
        country = str(fields["country"] or "").strip().upper()
        if message := _country_error(country):
            errors["country"] = message
        elif current is not None and country != current.country:
            errors["country"] = "The country of a profile cannot change. Create a profile for the other country."
        result.scalars["country"] = country
    elif creating:
        errors["country"] = "Choose the country of this profile."
    if "description" in fields:
        description = str(fields["description"] or "").strip()
        if len(description) > MAX_DESCRIPTION_LENGTH:
            errors["description"] = f"Keep the description under {MAX_DESCRIPTION_LENGTH} characters."
        result.scalars["description"] = description
    if "website" in fields:
        website = str(fields["website"] or "").strip()
        if website:
            try:
                URLValidator(schemes=["http", "https"])(website)
            except ValidationError:
                errors["website"] = "Enter a web address starting with https:// or http://."
        result.scalars["website"] = website
    if "languages" in fields:
        languages = _dedupe([str(x).strip().lower() for x in fields["languages"]])
        if any(len(x) != 2 or not x.isascii() or not x.isalpha() for x in languages):
            errors["languages"] = "Use two-letter language codes, such as en or de."
        result.scalars["languages"] = languages
    if "keywords" in fields:
        keywords = _dedupe([str(x).strip() for x in fields["keywords"] if str(x).strip()])
        if len(keywords) > MAX_KEYWORDS:
            errors["keywords"] = f"Use at most {MAX_KEYWORDS} keywords: fewer, precise ones match better."
        elif any(len(x) > MAX_KEYWORD_LENGTH for x in keywords):
            errors["keywords"] = f"Keep each keyword under {MAX_KEYWORD_LENGTH} characters."
        elif message := next(filter(None, map(line_error, keywords)), None):
            errors["keywords"] = message
        result.scalars["keywords"] = keywords
    if "status" in fields:
        if fields["status"] not in BusinessProfile.Status.values:
            errors["status"] = "Use active or paused."
        result.scalars["status"] = fields["status"]
    if "capacity" in fields:
        capacity = fields["capacity"]
        if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
            errors["capacity"] = f"Leave the capacity empty for no limit, or give 1 to {MAX_CAPACITY}."
        result.scalars["capacity"] = capacity
    if "only_target_sizes" in fields:
        result.scalars["only_target_sizes"] = bool(fields["only_target_sizes"])
    if "logo" in fields:
        # The web editor sends an upload, or None to remove the logo; the API does not send it.
        result.scalars["logo"] = _clean_logo(fields["logo"], errors) if fields["logo"] is not None else ""
    if "locations" in fields:
        result.locations = _clean_locations(list(fields["locations"]), errors)
    elif creating:
        result.locations = []
    if creating and not result.locations and "locations" not in errors:
        errors["locations"] = "Add at least one location: the finder searches by place."
    if "contacts" in fields or creating:
        result.contacts = _clean_contacts(list(fields.get("contacts") or []), errors)
    tags: dict[str, list[str]] = {}
    for name, model in TAG_MODELS.items():
        if name not in fields:
            continue
        codes = _dedupe([str(x) for x in fields[name]])
        if name == "industries" and len(codes) > MAX_INDUSTRIES_PER_PROFILE:
            errors[name] = f"Choose at most {MAX_INDUSTRIES_PER_PROFILE} industries: fewer, precise tags match better."
        elif unknown := _unknown_codes(model, codes):
            errors[name] = "Unknown: " + ", ".join(unknown)
        tags[name] = codes
    result.tags = tags
    only = result.scalars.get("only_target_sizes", current.only_target_sizes if current else False)
    sizes = tags["target_sizes"] if "target_sizes" in tags else (_current_sizes(current) if current else [])
    if only and not sizes and "target_sizes" not in errors:
        errors["target_sizes"] = "Choose the target sizes, or turn off only_target_sizes."
    if errors:
        raise InvalidInput(errors)
    return result


def _current_sizes(profile: BusinessProfile) -> list[str]:
    return [s.code for s in profile.target_sizes.all()]


def _apply_locations(profile: BusinessProfile, wanted: list[dict[str, Any]]) -> None:
    """Keep the locations still listed (by id, else by the same city and address) so that referrals
    and team members that point at them keep pointing at them; add the new ones; delete the rest."""
    existing = {loc.pk: loc for loc in profile.locations.all()}
    kept: set[int] = set()
    errors: dict[str, str] = {}
    matched: list[Location | None] = []
    for i, item in enumerate(wanted):
        location = existing.get(item["id"]) if item["id"] is not None else None
        if item["id"] is not None and (location is None or item["id"] in kept):
            errors[f"locations.{i}.id"] = "This is not a location of this profile; leave the id out to add one."
        if location is None and item["id"] is None:
            location = next(
                (
                    loc
                    for pk, loc in existing.items()
                    if pk not in kept and (loc.city, loc.address) == (item["city"], item["address"])
                ),
                None,
            )
        if location is not None:
            kept.add(location.pk)
        matched.append(location)
    if errors:
        raise InvalidInput(errors)
    profile.locations.exclude(pk__in=kept).delete()
    for item, location in zip(wanted, matched, strict=True):
        values = {k: item[k] for k in ("city", "address", "lat", "lon")}
        if location is None:
            Location.objects.create(profile=profile, **values)
        elif any(getattr(location, k) != v for k, v in values.items()):
            Location.objects.filter(pk=location.pk).update(**values)


def _apply_contacts(profile: BusinessProfile, wanted: list[dict[str, Any]]) -> None:
    existing = {c.email: c for c in profile.contacts.all()}
    profile.contacts.exclude(email__in=[c["email"] for c in wanted]).delete()
    for item in wanted:
        contact = existing.get(item["email"])
        if contact is None:
            ProfileContact.objects.create(profile=profile, **item)
        elif (contact.name, contact.language) != (item["name"], item["language"]):
            ProfileContact.objects.filter(pk=contact.pk).update(name=item["name"], language=item["language"])


def _forget_file_after_commit(storage: Any, name: str) -> None:
    """Delete a replaced upload once the change is committed: a rollback must still find the old file."""
    transaction.on_commit(lambda: storage.delete(name))


def _apply(profile: BusinessProfile, cleaned: _Cleaned) -> None:
    sent = cleaned.scalars or cleaned.tags or cleaned.locations is not None or cleaned.contacts is not None
    if profile.pk is not None and not sent:
        return  # nothing sent: the version (ETag) stays
    replaced = profile.logo.name if "logo" in cleaned.scalars and profile.logo else ""
    for name, value in cleaned.scalars.items():
        setattr(profile, name, value)
    profile.save()  # also when only related rows change: updated_at is the profile's version
    if replaced and replaced != profile.logo.name:
        _forget_file_after_commit(profile.logo.storage, replaced)
    if cleaned.locations is not None:
        _apply_locations(profile, cleaned.locations)
    if cleaned.contacts is not None:
        _apply_contacts(profile, cleaned.contacts)
    for name, codes in (cleaned.tags or {}).items():
        getattr(profile, name).set(codes)


def validate_profile(user: User, fields: Mapping[str, Any], current: BusinessProfile | None) -> None:
    """Check the fields as create_profile (current None) or update_profile would; change nothing."""
    require_profile_manager(user)
    _clean(fields, creating=current is None, current=current)


def create_profile(user: User, fields: Mapping[str, Any]) -> BusinessProfile:
    """A business profile of the user's partner in one more country."""
    partner_id = require_profile_manager(user)
    cleaned = _clean(fields, creating=True, current=None)
    country = cleaned.scalars["country"]
    taken = Conflict(f"Your organisation already has a profile in {country}. Edit that one instead.", "country")
    if BusinessProfile.objects.filter(partner_id=partner_id, country=country).exists():
        raise taken
    try:
        with transaction.atomic():
            profile = BusinessProfile(partner_id=partner_id)
            _apply(profile, cleaned)
    except IntegrityError:
        raise taken from None  # created by someone else a moment ago
    return get_profile(user, profile.pk)


def update_profile(
    user: User, profile_id: int, fields: Mapping[str, Any], expected_version: int | None = None
) -> BusinessProfile:
    """Change the fields sent; lists replace what was there."""
    partner_id = require_profile_manager(user)
    with transaction.atomic():
        profile = (
            BusinessProfile.objects.select_for_update()
            .filter(pk=profile_id, partner_id=partner_id)
            .prefetch_related("target_sizes")
            .first()
        )
        if profile is None:
            raise NotFound("No such business profile.")
        if expected_version is not None and profile_version(profile) != expected_version:
            raise ProfileChanged()
        _apply(profile, _clean(fields, creating=False, current=profile))
    return get_profile(user, profile_id)


def delete_profile(user: User, profile_id: int, expected_version: int | None = None) -> None:
    """Delete a profile that never received a referral; one that did keeps its history and is paused instead."""
    partner_id = require_profile_manager(user)
    in_use = Conflict("This profile has referrals, so it cannot be deleted. Pause it instead (status: paused).")
    with transaction.atomic():
        profile = BusinessProfile.objects.select_for_update().filter(pk=profile_id, partner_id=partner_id).first()
        if profile is None:
            raise NotFound("No such business profile.")
        if expected_version is not None and profile_version(profile) != expected_version:
            raise ProfileChanged()
        if profile.referrals.exists():
            raise in_use
        logo = profile.logo.name
        try:
            with transaction.atomic():
                profile.delete()
        except ProtectedError:
            raise in_use from None  # a referral arrived since the check
        if logo:
            _forget_file_after_commit(profile.logo.storage, logo)


# --- API tokens --------------------------------------------------------------------------------


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's personal tokens, and the integration tokens of their organisation and role.

    An integration belongs to the organisation, not to the person who set it up: anyone with the same
    role in the same partner (or on the operator's staff) sees and can revoke it, also after that
    person has left.
    """
    integrations = Q(kind=ApiToken.Kind.INTEGRATION, user__partner_id=user.partner_id, user__role=user.role)
    personal = Q(kind=ApiToken.Kind.PERSONAL, user=user)
    return ApiToken.objects.filter(
        personal | integrations if permissions.can_create_integrations(user) else personal
    ).order_by("-created_at", "-id")


def create_token(user: User, name: str, kind: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token; its plain text is returned here only. An integration token belongs to a service user
    of the same partner and role, made for it, who cannot sign in, so history names the integration."""
    name = name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Name the token after where it will be used, such as 'CRM sync'."
    elif len(name) > 100:
        errors["name"] = "Keep the name under 100 characters."
    elif message := line_error(name):
        errors["name"] = message
    if kind not in ApiToken.Kind.values:
        errors["kind"] = "Use personal or integration."
    if errors:
        raise InvalidInput(errors)
    if kind == ApiToken.Kind.PERSONAL:
        return tokens.issue(user, name, now, ApiToken.Kind.PERSONAL)
    if not permissions.can_create_integrations(user):
        raise PermissionDenied("A referrals user cannot create integration tokens. Ask your referrals admin.")
    with transaction.atomic():
        service = User(
            email=f"integration-{secrets.token_hex(8)}@{INTEGRATION_DOMAIN}",
            partner_id=user.partner_id,
            role=user.role,
            first_name=name[:150],
            language=user.language,
        )
        service.set_unusable_password()
        service.save()
        return tokens.issue(service, name, now, ApiToken.Kind.INTEGRATION)


def revoke_token(user: User, token_id: int, now: datetime) -> None:
    """Revoke one of the caller's tokens (again is fine); an integration's service user is switched off too."""
    token = tokens_of(user).select_related("user").filter(pk=token_id).first()
    if token is None:
        raise NotFound("No such token.")
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        if token.kind == ApiToken.Kind.INTEGRATION:
            User.objects.filter(pk=token.user_id).update(is_active=False)
