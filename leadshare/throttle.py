"""The API's limit per token, on the kernel's GCRA (kernel/throttle.py)."""

from __future__ import annotations

import threading
import time

from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from kernel.throttle import admit, parse_rate
from partners.models import ApiToken


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
