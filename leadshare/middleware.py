"""Project-wide middleware: the Content-Security-Policy header, and refusing NUL characters in pages' input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from kernel.text import has_nul


class ContentSecurityPolicyMiddleware:
    """Sends settings.CONTENT_SECURITY_POLICY with every response that has none of its own.

    The pages load scripts and styles only from our static files (no inline code, no CDN), so an
    injected <script> or style="" does nothing. docs/decisions.md says what this asks of templates.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


def _nul_in(data: QueryDict) -> bool:
    return any(has_nul(key) or any(has_nul(value) for value in values) for key, values in data.lists())


class RefuseNulMiddleware:
    """A page's query string or form with a NUL character is a 400 page before any view reads it.

    PostgreSQL cannot store or even compare text with NUL, so such a value reaching a query is a 500
    there. The API refuses NULs itself, as a problem+json by field (kernel.api_types.Parser).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is not None and "api" in match.namespaces:
            return None
        if _nul_in(request.GET) or (request.method == "POST" and _nul_in(request.POST)):
            return render(request, "400.html", status=400)
        return None
