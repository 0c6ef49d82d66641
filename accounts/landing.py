"""Where a person starts: after signing in and at "/", the first page their role works in."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from referrals import permissions


def landing_url(user: Any) -> str:
    """The operator's staff start in the console; a partner's people in the referrals inbox, or, if they do not
    work referrals, in the profiles they edit; anyone else in their settings."""
    if permissions.is_operator(user):
        return reverse("console:home")
    if permissions.can_open_referrals(user):
        return reverse("referrals:inbox")
    if permissions.can_edit_profiles(user):
        return reverse("partners:profiles")
    return reverse("accounts:settings")
