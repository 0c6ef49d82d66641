"""The finder's public endpoints' limit per client address (settings.FINDER_RATE_LIMIT), on the kernel's GCRA."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.throttling import BaseThrottle

from accounts.forms import client_ip
from kernel.throttle import admit, parse_rate


def finder_wait(request: HttpRequest) -> float | None:
    """Count a request to the finder's public search or request endpoints against its client address's
    settings.FINDER_RATE_LIMIT: None if within it, else the seconds to wait. Read per request, so that a
    test may lower it."""
    requests, period = parse_rate(settings.FINDER_RATE_LIMIT)
    return admit(f"throttle_finder_{client_ip(request) or 'unknown'}", requests, period, time.time())


class FinderRateThrottle(BaseThrottle):
    """finder_wait as a ninja throttle: leadshare.api answers a 429 problem with Retry-After."""

    def __init__(self) -> None:
        self._last = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        self._last.wait = finder_wait(request)
        return self._last.wait is None

    def wait(self) -> float | None:
        wait: float | None = getattr(self._last, "wait", None)
        return wait


def finder_throttled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """finder_wait for a page: a plain 429 page with Retry-After when the address asked too often."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = finder_wait(request)
        if wait is None:
            return view(request, *args, **kwargs)
        seconds = math.ceil(wait)
        response = render(request, "429.html", {"retry_after": seconds}, status=429)
        response["Retry-After"] = str(seconds)
        return response

    return wrapped
