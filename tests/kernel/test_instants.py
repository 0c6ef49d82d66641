"""Operators' `--at`: any ISO 8601 instant with a time zone, or a usage error before anything runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError
from django.utils import timezone

from kernel.instants import parse_instant
from tests.factories import NOW


def test_an_instant_with_z_or_an_offset_is_the_same_instant():
    moscow = NOW.astimezone(timezone.get_fixed_timezone(180))
    assert parse_instant(f"{NOW:%Y-%m-%dT%H:%M:%S}Z") == NOW
    assert parse_instant(moscow.isoformat()) == NOW


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (f"{NOW:%Y-%m-%dT%H:%M:%S}", "--at needs a time zone, such as 2026-12-03T10:00:00Z"),
        (f"{NOW + timedelta(days=1):%Y-%m-%d}", "--at needs a time zone, such as 2026-12-03T10:00:00Z"),
        ("soon", "--at 'soon' is not an ISO 8601 time such as 2026-12-03T10:00:00Z"),
    ],
)
def test_a_bad_instant_is_a_usage_error_with_exit_code_2(value, message):
    with pytest.raises(CommandError) as caught:
        parse_instant(value)
    assert (str(caught.value), caught.value.returncode) == (message, 2)
