"""Run the background worker: deadlines, reminders and the outbox. Safe to run several at once."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from leadshare.worker import run_pass


class Command(BaseCommand):
    help = "Sweep due deadlines and reminders and deliver the outbox, forever (or once with --once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Do one pass and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def request_stop(signum: int, _frame: Any) -> None:
            self.stdout.write(f"worker: signal {signum}, finishing the current pass")
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        if not options["once"]:
            self.stdout.write("worker: started")
        while not stop.is_set():
            close_old_connections()
            result = run_pass(timezone.now())
            if result.busy or options["once"]:
                self.stdout.write(f"worker: moved {result.moved}, reminded {result.reminded}, sent {result.sent}")
            if options["once"]:
                return
            if not result.busy:
                stop.wait(settings.WORKER_IDLE_SECONDS)
        self.stdout.write("worker: stopped")
