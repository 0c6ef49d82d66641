"""A real worker process, really killed (SIGKILL) between the steps of a delivery.

The worker runs as `manage.py worker --once` against the test database (committed data, hence
transactional_db) and the capture SMTP server; notifications.faults kills it at a named point.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications.faults import crash_point
from notifications.models import OutboxMessage
from tests import clock, factories

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 1


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    assert connection.vendor == "postgresql"
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def run_worker(smtp_url: str, crash_at: str = "") -> subprocess.CompletedProcess[str]:
    env = clock.environment(os.environ) | {
        "DJANGO_SETTINGS_MODULE": "leadshare.settings",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATA_DIR": "/tmp/leadshare-test-data",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": smtp_url,
        "SITE_ROOT": settings.SITE_ROOT,
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_LEVEL": "WARNING",
        "LEADSHARE_CRASH_AT": crash_at,
    }
    return subprocess.run(
        clock.command("manage.py", "worker", "--once"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_out_the_lease(row: OutboxMessage) -> None:
    row.refresh_from_db()
    assert row.claimed_until is not None
    time.sleep(max((row.claimed_until - timezone.now()).total_seconds(), 0) + 0.05)


@pytest.fixture
def alert(transactional_db) -> OutboxMessage:
    """One new referral, created now (the worker goes by the real clock): one alert row due now.

    Committed (transactional_db), so that the worker process sees it.
    """
    factories.referral(factories.profile(contacts=("alerts@nordlicht.example",)), now=timezone.now())
    [row] = OutboxMessage.objects.all()
    return row


def test_the_crash_point_really_kills_the_worker_process(smtp_server, alert):
    worker = run_worker(smtp_server.url, crash_at="after_claim")
    assert worker.returncode == -signal.SIGKILL
    assert worker.stdout == ""  # it died inside the pass, before reporting it
    assert smtp_server.messages == []


def test_a_worker_killed_after_sending_is_followed_by_a_resend_under_the_same_message_id(smtp_server, alert):
    worker = run_worker(smtp_server.url, crash_at="after_send")
    assert worker.returncode == -signal.SIGKILL
    assert [m["Message-ID"] for m in smtp_server.messages] == [alert.message_id]
    alert.refresh_from_db()
    assert (alert.sent_at, alert.due_at, alert.attempts) == (None, alert.created_at, 1)

    wait_out_the_lease(alert)
    worker = run_worker(smtp_server.url)
    assert (worker.returncode, worker.stdout) == (0, "worker: moved 0, reminded 0, sent 1\n")
    # Delivered twice, as one message: the receiver drops the second copy by its Message-ID.
    assert [m["Message-ID"] for m in smtp_server.messages] == [alert.message_id, alert.message_id]
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 1
    alert.refresh_from_db()
    assert (alert.due_at, alert.claimed_until, alert.attempts, alert.failed_at) == (None, None, 2, None)
    assert alert.sent_at is not None
    assert OutboxMessage.objects.filter(sent_at__isnull=False).count() == 1


def test_a_worker_killed_after_claiming_sends_nothing_and_the_next_pass_sends_it_once(smtp_server, alert):
    worker = run_worker(smtp_server.url, crash_at="after_claim")
    assert worker.returncode == -signal.SIGKILL
    assert smtp_server.messages == []
    alert.refresh_from_db()
    assert (alert.sent_at, alert.due_at, alert.attempts) == (None, alert.created_at, 1)

    wait_out_the_lease(alert)
    worker = run_worker(smtp_server.url)
    assert (worker.returncode, worker.stdout) == (0, "worker: moved 0, reminded 0, sent 1\n")
    assert [m["Message-ID"] for m in smtp_server.messages] == [alert.message_id]
    alert.refresh_from_db()
    assert (alert.due_at, alert.claimed_until, alert.attempts, alert.failed_at) == (None, None, 2, None)
    assert alert.sent_at is not None


def test_a_crash_point_the_environment_does_not_name_does_nothing(monkeypatch):
    monkeypatch.setenv("LEADSHARE_CRASH_AT", "after_send")
    crash_point("after_claim")
    monkeypatch.delenv("LEADSHARE_CRASH_AT")
    crash_point("after_send")
