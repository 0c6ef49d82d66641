"""Which referrals a user may read, as a query. Who may do what is `referrals.permissions`."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from partners.models import User
from referrals.models import Referral
from referrals.permissions import referral_scope


def visible_referrals(user: User) -> QuerySet[Referral]:
    """Referrals this user may open. Everything else must look as if it did not exist."""
    found = referral_scope(user)
    if found is None:
        return Referral.objects.none()
    if found == "all":
        return Referral.objects.all()
    assert user.partner_id is not None  # as referral_scope() found
    mine = Referral.objects.filter(partner_id=user.partner_id)
    if found == "member":
        return mine.filter(Q(assignee=user) | Q(location__members=user)).distinct()
    return mine
