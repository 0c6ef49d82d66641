"""Who may see and work which referrals. The one place tenancy rules for referrals live."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from partners.models import Role, User
from referrals.models import Referral


def visible_referrals(user: User) -> QuerySet[Referral]:
    """Referrals this user may open. Everything else must look as if it did not exist."""
    if not user.is_authenticated or not user.is_active:
        return Referral.objects.none()
    if user.role in (Role.AGENT, Role.PROGRAMME_ADMIN):
        return Referral.objects.all()
    if user.partner_id is None:
        return Referral.objects.none()
    mine = Referral.objects.filter(partner_id=user.partner_id)
    if user.role == Role.REFERRALS_ADMIN:
        return mine
    if user.role == Role.REFERRALS_USER:
        return mine.filter(Q(assignee=user) | Q(location__members=user)).distinct()
    return Referral.objects.none()


def can_work(user: User, referral: Referral) -> bool:
    """May this user take actions on the referral (answer, accept, close, edit notes)?"""
    if user.role == Role.REFERRALS_ADMIN:
        return user.partner_id == referral.partner_id
    if user.role == Role.REFERRALS_USER:
        return visible_referrals(user).filter(pk=referral.pk).exists()
    return False


def can_assign(user: User, referral: Referral) -> bool:
    return user.role == Role.REFERRALS_ADMIN and user.partner_id == referral.partner_id
