"""How a session finds its user: Django's ModelBackend, reading the user's partner in the same query."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from partners.models import User


class AccountBackend(ModelBackend):
    """accounts.middleware asks every signed-in request's user whether their partner is suspended; the
    partner read with the user keeps that question from costing a query per request."""

    def get_user(self, user_id: Any) -> User | None:
        user = User.objects.select_related("partner").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
