"""Rate limits kept as one number per client (GCRA, the generic cell rate algorithm): the API's per token,
and the finder's public endpoints' per client address.

A limit of N per period allows a burst of N, then one request every period/N. The state is the time
at which the token's bucket will be empty again (its "theoretical arrival time"), so each request costs
one cache read and one write whatever the limit; ninja's SimpleRateThrottle keeps a list of every
request's time in the window and pickles it on each request, which for an integration allowed
thousands a minute costs more than the request itself.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from functools import cache as memoised
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.throttling import BaseThrottle

from accounts.forms import client_ip
from partners.models import ApiToken

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@memoised
def parse_rate(rate: str) -> tuple[int, int]:
    """'600/m' -> (600, 60): requests, and the period in seconds."""
    try:
        count, unit = rate.strip().split("/", 1)
        requests, period = int(count), PERIODS[unit.strip()[:1]]
    except (ValueError, KeyError):
        raise ValueError(f"A rate looks like 600/m (per s, m, h or d), not {rate!r}") from None
    if requests < 1:
        raise ValueError(f"A rate allows at least one request, such as 600/m, not {rate!r}")
    return requests, period


def admit(key: str, requests: int, period: int, now: float) -> float | None:
    """Count one request under `key` at `now` (POSIX seconds) if the limit allows it; else the seconds to wait.

    The one rate limiter: the API's per-token limit and per-action limits (e.g. webhook tests) both use it.
    """
    empty_at = max(cache.get(key) or now, now) + period / requests
    allowed_from = empty_at - period  # the bucket holds one period's worth of requests
    if allowed_from > now:
        return allowed_from - now
    cache.set(key, empty_at, timeout=period + 1)
    return None


class TokenRateThrottle(BaseThrottle):
    """Requests per API token (per process unless CACHES is shared: see docs/operations.md)."""

    def __init__(self, rate: str) -> None:
        self.requests, self.period = parse_rate(rate)
        self._last = threading.local()  # the wait of this thread's refused request, for wait()

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return True
        wait = admit(f"throttle_token_{token.pk}", self.requests, self.period, time.time())
        self._last.wait = wait
        return wait is None

    def wait(self) -> float | None:
        wait: float | None = getattr(self._last, "wait", None)
        return wait


# --- The finder's public endpoints, per client address ----------------------------------------


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
