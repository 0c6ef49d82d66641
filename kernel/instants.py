"""Reading the instant an operator gives a command (`--at`), so every command reads it alike."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone

# The exit code of a command given a bad option (as argparse exits on a usage error): nothing was done.
USAGE = 2
EXAMPLE = "2026-12-03T10:00:00Z"


def parse_instant(value: str, option: str = "--at") -> datetime:
    """An aware datetime, or a CommandError (exit 2) saying what is wrong before anything runs."""
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"{option} {value!r} is not an ISO 8601 time such as {EXAMPLE}", returncode=USAGE) from None
    if timezone.is_naive(instant):
        raise CommandError(f"{option} needs a time zone, such as {EXAMPLE}", returncode=USAGE)
    return instant
