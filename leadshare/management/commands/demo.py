"""`manage.py demo`: fill an empty database with a living demo programme and print its logins."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leadshare import demo
from partners.models import Partner
from referrals.lifecycle import State


class Command(BaseCommand):
    help = "Fill an empty database with demo partners, people and two months of referrals, then print the logins."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="If the database already has partners, add nothing and only print the demo logins.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        existing = Partner.objects.count()
        if existing:
            self.print_logins()
            if options["if_empty"]:
                self.stdout.write(f"The database already has {existing} partners: no demo data added.")
                return
            raise CommandError(
                f"The database already has {existing} partners; the demo fills an empty database only. "
                "Use --if-empty to print the logins without adding anything."
            )
        started = time.monotonic()
        result = demo.build()
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Demo built in {seconds:.1f} s: {result.partners} partners, {result.profiles} business profiles, "
            f"{result.users} users, {result.engagements} engagements, {result.referrals} referrals."
        )
        by_state = ", ".join(f"{s.value} {result.states.get(s.value, 0)}" for s in State)
        self.stdout.write(f"Referrals by state: {by_state}")
        self.print_logins()

    def print_logins(self) -> None:
        rows = [("Role", "E-mail", "Partner")] + [(x.role, x.email, x.partner or "-") for x in demo.login_table()]
        if len(rows) == 1:
            self.stdout.write("No demo logins in this database.")
            return
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        line = "-+-".join("-" * w for w in widths)
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {demo.PASSWORD})")
        self.stdout.write(line)
        for n, row in enumerate(rows):
            self.stdout.write(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                self.stdout.write(line)
        self.stdout.write(line)
