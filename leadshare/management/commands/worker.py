"""Run the background worker: deadlines, reminders and the outbox. Safe to run several at once.

`--once --at ISO` runs one whole pass as if it were that instant, as `sweep --at` does for the sweep alone,
so an operator can replay what happens after a deadline end to end (docs/operations.md)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from kernel.instants import USAGE, parse_instant
from leadshare.worker import PassResult, run_pass


class Command(BaseCommand):
    help = "Sweep due deadlines and reminders and deliver the outbox, forever (or once with --once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Do one pass and exit")
        parser.add_argument(
            "--at",
            help="With --once: run the pass as at this ISO 8601 instant with a time zone, e.g. 2026-12-03T10:00:00Z",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["at"] is not None:
            if not options["once"]:
                # A loop has no one instant to run at: each pass would replay the same moment.
                raise CommandError("--at needs --once: one pass runs at the instant given", returncode=USAGE)
            self._report(run_pass(parse_instant(options["at"])))
            return
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
                self._report(result)
            if options["once"]:
                return
            if not result.busy:
                stop.wait(settings.WORKER_IDLE_SECONDS)
        self.stdout.write("worker: stopped")

    def _report(self, result: PassResult) -> None:
        self.stdout.write(f"worker: moved {result.moved}, reminded {result.reminded}, sent {result.sent}")
