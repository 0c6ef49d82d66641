"""Rate limits kept as one number per client (GCRA, the generic cell rate algorithm), the one algorithm of every
limit: the API's per token (leadshare/throttle.py), the finder's per client address (finder/throttle.py) and
webhook tests per partner.

A limit of N per period allows a burst of N, then one request every period/N. The state is the time
at which the token's bucket will be empty again (its "theoretical arrival time"), so each request costs
one cache read and one write whatever the limit; ninja's SimpleRateThrottle keeps a list of every
request's time in the window and pickles it on each request, which for an integration allowed
thousands a minute costs more than the request itself.
"""

from __future__ import annotations

from functools import cache as memoised

from django.core.cache import cache

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
