"""Helpers for views that need the signed-in user as our User type."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest

from partners.models import User


def current_user(request: HttpRequest) -> User:
    """The signed-in user; call only behind login_required (or an API auth check)."""
    return cast(User, request.user)
