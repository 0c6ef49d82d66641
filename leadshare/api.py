"""The REST API at /api/v1: one NinjaAPI, bearer-token auth, a per-token rate limit and
problem+json errors. Each app adds its own router; handlers parse, authorise, call a service, render.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, re_path
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer

from kernel.api_types import (
    NulCharacter,
    Parser,
    PreconditionFailed,
    UnreadableText,
    add_components,
    document_problems,
    drop_unused_schemas,
    public_operations,
    shared_enums,
)
from kernel.errors import InvalidInput, NotFound, ReferralChanged
from kernel.problems import CONTENT_TYPE, field_errors, problem, pydantic_errors
from leadshare.throttle import TokenRateThrottle
from partners import tokens
from partners.models import ApiToken
from referrals.lifecycle import DeadlinePassed, NotAllowed

log = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.authenticate(token.strip(), timezone.now())
        if found is not None:
            request.user = found.user
        return found


def _with_problems(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Errors Django and ninja answer outside the operations (an unknown method or path) as problems too."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if "\x00" in request.path:
            return problem(404, "No such endpoint: see the API's documentation at /api/v1/docs.")
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return problem(404, "No such endpoint: see the API's documentation at /api/v1/docs.")
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(CONTENT_TYPE):
            allowed = response.get("Allow", "")
            replaced = problem(405, f"This endpoint takes {allowed}." if allowed else "Method not allowed.")
            replaced["Allow"] = allowed
            return replaced
        return response

    return wrapped


def _unknown_endpoint(request: HttpRequest, rest: str = "") -> HttpResponse:
    return problem(404, "No such endpoint: see the API's documentation at /api/v1/docs.")


class VendoredSwagger(Swagger):
    """Swagger UI from our static files (static/vendor/swagger-ui), not ninja's CDN, and started by a script
    file, not inline: the docs page keeps the Content-Security-Policy of every other page."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": self.settings, "api": api}
        return render(request, "api/docs.html", context)


class LeadshareApi(NinjaAPI):
    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _with_problems(pattern.callback)
        # Last: any other path under the API is a problem+json 404, not Django's HTML page.
        return [*patterns, re_path(r"^(?P<rest>.*)$", _unknown_endpoint, name="unknown-endpoint")]

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """The document with every operation's errors, the webhooks and the shared enums in it (kernel.api_types)."""
        from notifications.webhook_schemas import openapi_webhooks

        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema["webhooks"] = openapi_webhooks()
        add_components(schema)
        document_problems(schema)
        public_operations(schema)
        shared_enums(schema)
        drop_unused_schemas(schema)
        return schema


api = LeadshareApi(
    title="Leadshare API",
    version="1",
    description=(
        "Everything a partner does in the workspace, intake from agents and advertising, and webhooks. "
        "Authenticate with `Authorization: Bearer <token>`. Errors are `application/problem+json`."
    ),
    auth=TokenAuth(),
    throttle=[TokenRateThrottle(settings.API_RATE_LIMIT)],
    urls_namespace="api",
    parser=Parser(),
    docs=VendoredSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    servers=[{"url": settings.SITE_ROOT, "description": "This installation (SITE_ROOT)"}],
    openapi_extra={
        "info": {
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
            "contact": {"name": f"{settings.SITE_NAME} programme team", "url": f"{settings.SITE_ROOT}/api/v1/docs"},
        }
    },
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


@api.exception_handler(NulCharacter)
def _nul_character(request: HttpRequest, exc: NulCharacter) -> HttpResponse:
    return problem(422, "Some fields are missing or not valid.", field_errors({exc.field: str(exc)}))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, NulCharacter):  # raised while ninja parsed the body
        return _nul_character(request, exc.__cause__)
    if isinstance(exc.__cause__, UnreadableText):
        return problem(400, str(exc.__cause__))
    if exc.status_code == 429:
        if isinstance(getattr(request, "auth", None), ApiToken):
            return problem(429, "Too many requests for this token. Wait and retry (see Retry-After).")
        return problem(429, "Too many requests from your address. Wait and retry (see Retry-After).")
    return problem(exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
    return problem(413, f"The body is larger than the {limit:g} MB the API takes. Send less at once.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(404, str(exc) if str(exc) else "Not found.")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(403, str(exc) or "You may not do this.")


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


class Pong(Schema):
    ok: bool


@api.get("/ping", auth=None, response=Pong, tags=["meta"], summary="Is the API up? Needs no token", operation_id="ping")
def ping(request: HttpRequest) -> dict[str, bool]:
    return {"ok": True}


def _register_service_errors() -> None:
    """Errors of the partners services and of Idempotency-Key, as problems."""
    from partners.services import Conflict
    from partners.services import NotFound as PartnerNotFound
    from referrals.idempotency import KeyMissing, KeyReused

    @api.exception_handler(PartnerNotFound)
    def _partner_not_found(request: HttpRequest, exc: PartnerNotFound) -> HttpResponse:
        return problem(404, str(exc))

    @api.exception_handler(Conflict)
    def _conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return problem(409, str(exc), field_errors({exc.field: str(exc)}) if exc.field else None)

    @api.exception_handler(KeyMissing)
    def _key_missing(request: HttpRequest, exc: KeyMissing) -> HttpResponse:
        return problem(400, str(exc), field_errors({"Idempotency-Key": "Required."}))

    @api.exception_handler(KeyReused)
    def _key_reused(request: HttpRequest, exc: KeyReused) -> HttpResponse:
        return problem(422, str(exc), field_errors({"Idempotency-Key": "Already used with a different body."}))


def register_routers() -> None:
    from partners.api import router as partners_router
    from referrals.api import router as referrals_router
    from referrals.engagements_api import router as engagements_router
    from referrals.import_api import router as import_router

    _register_service_errors()
    api.add_router("/", referrals_router)
    api.add_router("/", partners_router)
    api.add_router("/", engagements_router)
    api.add_router("/", import_router)

    from notifications.api import router as webhooks_router
    from notifications.webhook_service import WebhookNotFound

    api.add_router("/", webhooks_router)

    from finder.request_api import router as finder_request_router
    from finder.search_api import router as finder_search_router

    api.add_router("/", finder_search_router)
    api.add_router("/", finder_request_router)
    api.add_exception_handler(WebhookNotFound, lambda request, exc: problem(404, str(exc)))


register_routers()
