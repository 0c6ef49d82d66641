"""Who may see and work which referrals. The one place tenancy rules for referrals live."""

from __future__ import annotations

from typing import Literal

from django.db.models import Q, QuerySet

from partners.models import Role, User
from referrals.models import Referral

Scope = Literal["all", "partner", "member"]


def scope(user: User) -> Scope | None:
    """Which referrals this user may open: all of them (operators), the partner's ("partner"), the partner's
    assigned to the user or at a location the user covers ("member"), or none (None)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role in (Role.AGENT, Role.PROGRAMME_ADMIN):
        return "all"
    if user.partner_id is None:
        return None
    if user.role == Role.REFERRALS_ADMIN:
        return "partner"
    if user.role == Role.REFERRALS_USER:
        return "member"
    return None


def visible_referrals(user: User) -> QuerySet[Referral]:
    """Referrals this user may open. Everything else must look as if it did not exist."""
    found = scope(user)
    if found is None:
        return Referral.objects.none()
    if found == "all":
        return Referral.objects.all()
    assert user.partner_id is not None  # as scope() found
    mine = Referral.objects.filter(partner_id=user.partner_id)
    if found == "member":
        return mine.filter(Q(assignee=user) | Q(location__members=user)).distinct()
    return mine


def can_work(user: User, referral: Referral) -> bool:
    """May this user take actions on the referral (answer, accept, close, edit notes)?"""
    if user.role == Role.REFERRALS_ADMIN:
        return user.partner_id == referral.partner_id
    if user.role == Role.REFERRALS_USER:
        return visible_referrals(user).filter(pk=referral.pk).exists()
    return False


def can_assign(user: User, referral: Referral) -> bool:
    return user.role == Role.REFERRALS_ADMIN and user.partner_id == referral.partner_id
