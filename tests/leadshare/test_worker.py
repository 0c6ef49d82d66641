"""The long-running worker stops cleanly when asked to."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from tests import clock

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def test_the_worker_finishes_its_pass_and_exits_zero_on_sigterm():
    env = clock.environment(
        os.environ | {"DATABASE_URL": database_url(), "WORKER_IDLE_SECONDS": "0.2", "PYTHONUNBUFFERED": "1"}
    )
    worker = subprocess.Popen(
        clock.command("manage.py", "worker"), cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "worker: started"
        time.sleep(0.5)
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0
    assert out.splitlines()[-1] == "worker: stopped"


def test_the_worker_given_a_bad_instant_exits_2_with_the_reason_on_stderr():
    env = clock.environment(os.environ | {"DATABASE_URL": database_url()})
    done = subprocess.run(
        clock.command("manage.py", "worker", "--once", "--at", "tomorrow"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == "CommandError: --at 'tomorrow' is not an ISO 8601 time such as 2026-12-03T10:00:00Z\n"
