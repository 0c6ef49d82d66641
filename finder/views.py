"""The public partner finder: search, a page per profile location, and the request form."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from referrals.customer_views import other_partners


def search_page(request: HttpRequest) -> HttpResponse:
    return other_partners(request)
