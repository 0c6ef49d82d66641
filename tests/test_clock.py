"""The suite's one clock (tests/clock.py): pages, processes and factories all read the same instant."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from django.utils import timezone

from tests import clock
from tests.factories import NOW

ROOT = Path(__file__).resolve().parents[1]


def test_each_test_starts_with_the_wall_clock_at_the_suites_now_and_it_ticks():
    assert NOW <= timezone.now() < NOW + timedelta(seconds=30)
    assert NOW.timestamp() <= time.time() < NOW.timestamp() + 30
    first = timezone.now()
    time.sleep(0.01)
    assert timezone.now() > first


def test_now_is_today_moved_by_the_offset_at_nine_utc(pytestconfig):
    offset = pytestconfig.getoption("clock_offset_days")
    real_today = time_machine.escape_hatch.datetime.datetime.now(UTC).date()
    # The suite may have started just before midnight.
    assert NOW.date() - timedelta(days=offset) in (real_today, real_today - timedelta(days=1))
    assert (NOW.hour, NOW.minute, NOW.tzinfo) == (9, 0, UTC)


def test_a_process_a_test_starts_reads_the_suites_clock(tmp_path):
    script = tmp_path / "now.py"
    script.write_text("from datetime import UTC, datetime\nprint(datetime.now(UTC).isoformat())\n")
    started = timezone.now()
    out = subprocess.run(
        clock.command(str(script)), cwd=ROOT, env=clock.environment({}), capture_output=True, text=True, check=True
    ).stdout
    assert started <= datetime.fromisoformat(out.strip()) < started + timedelta(seconds=30)
