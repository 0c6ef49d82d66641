"""The REST API at /api/v1: one NinjaAPI, bearer-token auth, a per-token rate limit and
problem+json errors. Each app adds its own router; handlers parse, authorise, call a service, render.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from leadshare.api_support import PreconditionFailed
from leadshare.problems import field_errors, problem, pydantic_errors
from partners import tokens
from partners.models import ApiToken
from referrals.errors import DeadlinePassed, InvalidInput, NotAllowed, NotFound, ReferralChanged

log = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.authenticate(token.strip(), timezone.now())
        if found is not None:
            request.user = found.user
        return found


class TokenRateThrottle(SimpleRateThrottle):
    """Requests per token (per process; see docs/operations.md for a shared cache)."""

    scope = "token"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return None
        return f"throttle_token_{token.pk}"


api = NinjaAPI(
    title="Leadshare API",
    version="1",
    description=(
        "Everything a partner does in the workspace, intake from agents and advertising, and webhooks. "
        "Authenticate with `Authorization: Bearer <token>`. Errors are `application/problem+json`."
    ),
    auth=TokenAuth(),
    throttle=[TokenRateThrottle(settings.API_RATE_LIMIT)],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(ValidationError)
def _invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem(422, "Some fields are missing or not valid.", pydantic_errors(exc.errors))


@api.exception_handler(InvalidInput)
def _invalid_input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    return problem(422, "Some fields are missing or not valid.", field_errors(exc.errors))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(401, "Send a valid API token as 'Authorization: Bearer <token>'.")
    response["WWW-Authenticate"] = 'Bearer realm="leadshare"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 429:
        return problem(429, "Too many requests for this token. Wait and retry (see Retry-After).")
    return problem(exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(404, str(exc) if str(exc) else "Not found.")


@api.exception_handler(NotFound)
def _service_not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return problem(404, str(exc))


@api.exception_handler(PreconditionFailed)
def _precondition_failed(request: HttpRequest, exc: PreconditionFailed) -> HttpResponse:
    return problem(412, str(exc))


@api.exception_handler(ReferralChanged)
def _changed(request: HttpRequest, exc: ReferralChanged) -> HttpResponse:
    return problem(409, str(exc))


@api.exception_handler(NotAllowed)
def _not_allowed(request: HttpRequest, exc: NotAllowed) -> HttpResponse:
    return problem(409, str(exc), state=exc.state.value, action=exc.action.value)


@api.exception_handler(DeadlinePassed)
def _deadline(request: HttpRequest, exc: DeadlinePassed) -> HttpResponse:
    return problem(409, str(exc), deadline=exc.deadline.isoformat())


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s %s", request.method, request.path)
    return problem(500, "Something went wrong on our side. It has been logged.")


def register_routers() -> None:
    from referrals.api import router as referrals_router

    api.add_router("/", referrals_router)


register_routers()
