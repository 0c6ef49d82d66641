"""The suite's one clock.

Every test runs with the wall clock moved to `NOW` (today at 09:00 UTC, shifted by `--clock-offset-days`) and
ticking from there, so that what a test writes with `NOW` and what a page or the API reads from the wall clock
agree on any date. Processes a test starts get the same clock through `command()` and `environment()`
(tests/clocked.py moves their wall clock before they run).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import time_machine

ENVIRONMENT_VARIABLE = "LEADSHARE_TEST_CLOCK"
_TIME_OF_DAY = time(9, 0, tzinfo=UTC)
_now: datetime | None = None


def configure(offset_days: int, today: date) -> datetime:
    """Fix the suite's `NOW`: `today` moved by `offset_days`, at 09:00 UTC."""
    global _now
    _now = datetime.combine(today + timedelta(days=offset_days), _TIME_OF_DAY)
    return _now


def __getattr__(name: str) -> datetime:
    # `NOW` is read when a test module is imported, after pytest_configure has fixed it.
    if name == "NOW":
        if _now is None:
            raise RuntimeError("tests.clock.NOW is read before tests/conftest.py configured the suite's clock")
        return _now
    raise AttributeError(name)


@contextmanager
def running_at(instant: datetime) -> Iterator[None]:
    """The wall clock of this process (every thread) reads `instant`, then ticks on."""
    with time_machine.travel(instant, tick=True):
        yield


def environment(base: Mapping[str, str]) -> dict[str, str]:
    """`base` plus the current suite time, for a process started through `command()`."""
    from django.utils import timezone

    return {**base, ENVIRONMENT_VARIABLE: timezone.now().isoformat()}


def command(script: str, *arguments: str) -> list[str]:
    """Run `script` (a path, such as manage.py) with the suite's clock: pair it with `environment()`."""
    return [sys.executable, "-m", "tests.clocked", script, *arguments]


def start_from_environment() -> None:
    """In a started process: move the wall clock to the instant the test passed, if any."""
    instant = os.environ.get(ENVIRONMENT_VARIABLE)
    if instant:
        time_machine.travel(datetime.fromisoformat(instant), tick=True).start()


class Clock:
    """A clock the test moves by hand, for code that takes `clock` (the worker's delivery passes)."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self._lock = threading.Lock()  # a receiver's thread may move it while the worker reads it

    def __call__(self) -> datetime:
        with self._lock:
            return self.at

    def advance(self, by: timedelta) -> None:
        with self._lock:
            self.at += by
