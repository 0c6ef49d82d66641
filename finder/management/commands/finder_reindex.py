"""`manage.py finder_reindex`: rebuild the finder's search index from the profiles (after a restore, or once
after upgrading; day to day the index follows every change by itself)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from finder.indexing import rebuild_all


class Command(BaseCommand):
    help = "Rebuild the partner finder's search index from the business profiles."

    def handle(self, *args: Any, **options: Any) -> None:
        count = rebuild_all()
        self.stdout.write(f"{count} profiles searchable.")
