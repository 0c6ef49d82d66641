"""Apply every deadline and reminder due at a given instant (for operators and tests)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from kernel.instants import parse_instant
from referrals.timers import sweep


class Command(BaseCommand):
    help = "Apply the deadlines and reminders due at --at (default: now). Delivery is the worker's job."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--at", help="ISO 8601 instant with a time zone, e.g. 2026-12-03T10:00:00Z")

    def handle(self, *args: Any, **options: Any) -> None:
        now = parse_instant(options["at"]) if options["at"] else timezone.now()
        result = sweep(now)
        self.stdout.write(f"sweep at {now.isoformat()}: moved {result.moved}, reminded {result.reminded}")
