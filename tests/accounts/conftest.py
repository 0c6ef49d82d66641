from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from notifications import emails
from notifications.models import OutboxMessage


@pytest.fixture(autouse=True)
def empty_cache():  # type: ignore[no-untyped-def]
    """The sign-in rate limit counts in the cache: each test starts from none."""
    cache.clear()
    yield
    cache.clear()


def link_in(row: OutboxMessage) -> str:
    """The path of the set-password link in the rendered e-mail of an outbox row."""
    [path] = re.findall(r"https?://[^/\s]+(/accounts/reset/\S+/)", emails.render(row).text)
    return path
