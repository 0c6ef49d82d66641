"""The header navigation: only the pages the signed-in user may open (referrals.permissions), and only
those that exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from referrals import changes, permissions


def _signed_in(user: Any) -> bool:
    return bool(user.is_authenticated)


# (URL name, label, who sees the link). Another app's page appears once its URL name resolves.
NAV: tuple[tuple[str, Any, Callable[[Any], bool]], ...] = (
    ("referrals:inbox", _("Referrals"), permissions.can_open_referrals),
    ("partners:profiles", _("Profiles"), permissions.can_edit_profiles),
    ("matching:scorecard", _("Scorecard"), permissions.can_read_scorecard),
    ("accounts:team", _("Team"), permissions.can_manage_team),
    ("console:home", _("Console"), permissions.is_operator),
    ("accounts:settings", _("Settings"), _signed_in),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": [], "may_manage_programme": False}
    links = []
    for name, label, may_open in NAV:
        if not may_open(user):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # that page is not built (yet)
        links.append({"url": url, "label": label, "current": request.path.startswith(url)})
    unread = changes.unread_count(user, timezone.now()) if permissions.works_referrals(user) else 0
    for link in links:
        if link["url"] == reverse("referrals:inbox"):
            # Unread changes, on the Referrals link (the header has no room for one more): the inbox links them.
            link["count"] = _shown_count(unread)
    # The console's own navigation shows the programme admin's pages.
    return {
        "nav_links": links,
        "may_manage_programme": permissions.is_programme_admin(user),
        "unread_changes": _shown_count(unread),
    }


def _shown_count(unread: int) -> str:
    if not unread:
        return ""
    return f"{changes.MAX_COUNTED}+" if unread > changes.MAX_COUNTED else str(unread)
