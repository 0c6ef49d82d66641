"""The customer's status page of their request (finder/status.py), opened from the confirmation e-mail's link."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from finder import status
from finder.throttle import finder_throttled


@require_GET
@finder_throttled
def status_page(request: HttpRequest, token: str, signed: str) -> HttpResponse:
    try:
        shown = status.read(token, signed, timezone.now())
    except status.NotFound:
        raise Http404("No such status link") from None
    response = render(request, "finder/status.html", {"status": shown})
    # The address is the customer's key to the page: kept out of search engines, shared caches, and the Referer
    # of the partner pages and one-click links it leads to.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
