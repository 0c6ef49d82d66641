"""For every signed-in request: end a suspended partner's sessions; the user's language and time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from accounts.services import LANGUAGE_CODES


class SuspendedPartnerMiddleware:
    """After AuthenticationMiddleware: a suspended partner's user is signed out on their next request, so
    the page they asked for treats them as anyone signed out (User.partner_suspended)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "partner_suspended", False):
            logout(request)
        return self.get_response(request)


class UserPreferencesMiddleware:
    """After AuthenticationMiddleware: a signed-in user's own language beats the cookie and the browser
    (LocaleMiddleware's choice), and dates show in their time zone. Anonymous requests keep LocaleMiddleware's
    language and UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = getattr(user, "language", "")
            if language in LANGUAGE_CODES:
                translation.activate(language)
                request.LANGUAGE_CODE = language
            try:
                timezone.activate(zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC"))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
