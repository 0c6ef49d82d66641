"""Shared builders for the programme admins' console tests (tests/console/test_admin_*.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from console import admin_views
from console.models import AdminAction, SpamVerdict
from notifications.models import OutboxMessage
from partners.models import BusinessProfile, Partner, Role, User
from referrals.models import Engagement, Programme, Referral, ReferralEvent
from taxonomy.models import Reason
from tests import factories
from tests.factories import NOW


def programme_admin(email: str = "boss@operator.example") -> User:
    return factories.user(None, role=Role.PROGRAMME_ADMIN, email=email)


def at(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    """Set the console pages' clock."""
    monkeypatch.setattr(admin_views, "_now", lambda: now)


def admin_client(client: Client) -> Client:
    client.force_login(programme_admin())
    return client


def snapshot() -> dict[str, Any]:
    """Everything an admin action could change, to show that a refused one changed nothing."""
    return {
        "partners": list(Partner.objects.order_by("pk").values_list("pk", "status", "verified", "name")),
        "profiles": list(BusinessProfile.objects.order_by("pk").values_list("pk", "status")),
        "programme": list(
            Programme.objects.values_list(
                "new_deadline_hours",
                "evaluating_deadline_hours",
                "first_answer_urged_hours",
                "warn_before_deadline_hours",
                "cascade_window_hours",
                "cascade_max_partners",
            )
        ),
        "reasons": list(
            Reason.objects.order_by("pk").values_list("pk", "kind", "code", "name_en", "name_ru", "active")
        ),
        "referrals": list(Referral.objects.order_by("pk").values_list("pk", "state", "version", "reason")),
        "events": ReferralEvent.objects.count(),
        "engagements": Engagement.objects.count(),
        "outbox": list(OutboxMessage.objects.order_by("pk").values_list("pk", "due_at", "failed_at")),
        "admin_actions": AdminAction.objects.count(),
        "verdicts": SpamVerdict.objects.count(),
    }


def partner_user(profile: BusinessProfile) -> User:
    return factories.user(profile.partner, role=Role.REFERRALS_ADMIN)


__all__ = ["NOW", "admin_client", "at", "partner_user", "programme_admin", "snapshot"]
