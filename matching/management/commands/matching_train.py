"""`python manage.py matching_train`: refit the routing engine from the whole recorded history and store it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from matching import learning


class Command(BaseCommand):
    help = "Refit the routing engine from the whole referral history and store it (the worker then keeps it current)."

    def handle(self, *args: Any, **options: Any) -> None:
        state = learning.train(timezone.now())
        self.stdout.write(f"Trained {state.version} from {state.observations} observations.")
