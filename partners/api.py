"""REST endpoints for API tokens, partner organisations (operator) and business profiles (partner)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Header, Query, Router, Status

from kernel.api_types import ObjectId, PreconditionFailed, expected_version, problems, response_headers, with_etag
from kernel.errors import InvalidInput
from partners import services
from partners.auth import current_user
from partners.models import ApiToken
from partners.schemas import (
    PartnerCreated,
    PartnerIn,
    PartnerPage,
    ProfileIn,
    ProfileOut,
    ProfilePatch,
    TokenCreated,
    TokenIn,
    TokenOut,
    partner_out,
    profile_out,
    token_out,
)

router = Router()

MAX_LIMIT = 200
IF_MATCH = Header(None, alias="If-Match", description="The ETag you read; 412 if the profile changed since")


# --- Tokens --------------------------------------------------------------------------------------


def _personal_token_only(request: HttpRequest) -> None:
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken) or token.kind != ApiToken.Kind.PERSONAL:
        raise PermissionDenied("Manage tokens with a personal token; an integration's token cannot.")


@router.get(
    "/tokens",
    response={200: list[TokenOut], **problems(403)},
    tags=["tokens"],
    summary="Your tokens and your organisation's integrations (never the tokens themselves)",
    operation_id="listTokens",
)
def list_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    _personal_token_only(request)
    return [token_out(t) for t in services.tokens_of(current_user(request))]


@router.post(
    "/tokens",
    response={201: TokenCreated, **problems(403)},
    tags=["tokens"],
    summary="Create a token; the response shows it once",
    operation_id="createToken",
)
def create_token(request: HttpRequest, body: TokenIn) -> Status[dict[str, Any]]:
    _personal_token_only(request)
    token, plain = services.create_token(current_user(request), body.name, body.kind, timezone.now())
    return Status(201, token_out(token) | {"token": plain})


@router.delete(
    "/tokens/{token_id}",
    response={204: None, **problems(403, 404)},
    tags=["tokens"],
    summary="Revoke a token (requests with it get 401 from now on)",
    operation_id="revokeToken",
)
def revoke_token(request: HttpRequest, token_id: ObjectId) -> Status[None]:
    _personal_token_only(request)
    services.revoke_token(current_user(request), token_id, timezone.now())
    return Status(204, None)


# --- Partner organisations (programme admins) ----------------------------------------------------


def _encode_cursor(after: int) -> str:
    return base64.urlsafe_b64encode(f"partner|{after}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, after = raw.split("|")
        if kind != "partner":
            raise ValueError(kind)
        return int(after)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput({"cursor": "This cursor is not one we gave out."}) from None


@router.post(
    "/partners",
    response={201: PartnerCreated, **problems(403, 409)},
    tags=["partners"],
    summary="Add a partner organisation and invite its referrals admin (programme admins)",
    description=(
        "Creates the organisation and its referrals admin, and queues an e-mail to the admin with a link to set "
        "a password. An e-mail address that already has an account is a 409."
    ),
    operation_id="createPartner",
)
def create_partner(request: HttpRequest, body: PartnerIn) -> Status[dict[str, Any]]:
    partner, admin = services.create_partner(
        current_user(request), body.name, body.admin_email, body.country, timezone.now(), body.language
    )
    return Status(201, partner_out(partner) | {"admin": {"id": admin.pk, "email": admin.email}})


@router.get(
    "/partners",
    response={200: PartnerPage, **problems(403)},
    tags=["partners"],
    summary="List partner organisations, oldest first (programme admins)",
    operation_id="listPartners",
)
def list_partners(
    request: HttpRequest, limit: int = Query(50, ge=1, le=MAX_LIMIT), cursor: str | None = None
) -> dict[str, Any]:
    user = current_user(request)
    services.require_programme_admin(user)
    rows, following = services.partners_page(user, limit, _decode_cursor(cursor) if cursor else None)
    return {
        "items": [partner_out(p) for p in rows],
        "next_cursor": _encode_cursor(following) if following is not None else None,
    }


# --- Business profiles (a partner's referrals admin or profile admin) ----------------------------


def _rendered(response: HttpResponse, profile: Any) -> dict[str, Any]:
    with_etag(response, services.profile_version(profile))
    return profile_out(profile)


@router.get(
    "/profiles",
    response={200: list[ProfileOut], **problems(403)},
    tags=["profiles"],
    summary="Your organisation's business profiles, one per country",
    operation_id="listProfiles",
)
def list_profiles(request: HttpRequest) -> list[dict[str, Any]]:
    return [profile_out(p) for p in services.profiles_of(current_user(request))]


@router.post(
    "/profiles",
    response={201: ProfileOut, **problems(403, 409)},
    tags=["profiles"],
    summary="Add a business profile in another country",
    openapi_extra=response_headers({201: ("ETag", "Location")}),
    operation_id="createProfile",
)
def create_profile(request: HttpRequest, body: ProfileIn, response: HttpResponse) -> Status[dict[str, Any]]:
    profile = services.create_profile(current_user(request), body.model_dump())
    response["Location"] = reverse("api:read_profile", kwargs={"profile_id": profile.pk})
    return Status(201, _rendered(response, profile))


@router.get(
    "/profiles/{profile_id}",
    response={200: ProfileOut, **problems(403, 404)},
    tags=["profiles"],
    summary="Read a business profile (with an ETag)",
    openapi_extra=response_headers({200: ("ETag",)}),
    operation_id="getProfile",
)
def read_profile(request: HttpRequest, profile_id: ObjectId, response: HttpResponse) -> dict[str, Any]:
    return _rendered(response, services.get_profile(current_user(request), profile_id))


@router.patch(
    "/profiles/{profile_id}",
    response={200: ProfileOut, **problems(403, 404, 409, 412)},
    tags=["profiles"],
    summary="Change a business profile: the fields sent; lists replace what was there",
    openapi_extra=response_headers({200: ("ETag",)}),
    operation_id="updateProfile",
)
def update_profile(
    request: HttpRequest,
    profile_id: ObjectId,
    body: ProfilePatch,
    response: HttpResponse,
    if_match: str | None = IF_MATCH,
) -> dict[str, Any]:
    version = expected_version(if_match)
    try:
        profile = services.update_profile(
            current_user(request), profile_id, body.model_dump(exclude_unset=True), version
        )
    except services.ProfileChanged:
        raise PreconditionFailed() from None
    return _rendered(response, profile)


@router.delete(
    "/profiles/{profile_id}",
    response={204: None, **problems(403, 404, 409, 412)},
    tags=["profiles"],
    summary="Delete a business profile that has no referrals (pause the others)",
    operation_id="deleteProfile",
)
def delete_profile(request: HttpRequest, profile_id: ObjectId, if_match: str | None = IF_MATCH) -> Status[None]:
    try:
        services.delete_profile(current_user(request), profile_id, expected_version(if_match))
    except services.ProfileChanged:
        raise PreconditionFailed() from None
    return Status(204, None)
