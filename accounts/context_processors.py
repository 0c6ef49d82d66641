"""The header navigation: only the pages the signed-in user's role may open, and only those that exist."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from partners.models import OPERATOR_ROLES, Role

ALL = frozenset(Role)
# (URL name, label, roles that see the link). Another app's page appears once its URL name resolves.
NAV = (
    ("referrals:inbox", _("Referrals"), ALL - {Role.PROFILE_ADMIN}),
    ("partners:profiles", _("Profiles"), frozenset({Role.REFERRALS_ADMIN, Role.PROFILE_ADMIN})),
    ("matching:scorecard", _("Scorecard"), frozenset({Role.REFERRALS_ADMIN, Role.REFERRALS_USER})),
    ("accounts:team", _("Team"), frozenset({Role.REFERRALS_ADMIN})),
    ("console:home", _("Console"), frozenset(OPERATOR_ROLES)),
    ("accounts:settings", _("Settings"), ALL),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    links = []
    for name, label, roles in NAV:
        if user.role not in roles:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # that page is not built (yet)
        links.append({"url": url, "label": label, "current": request.path.startswith(url)})
    return {"nav_links": links}
