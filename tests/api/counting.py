"""Row counts of everything the API can write, so a refused request can be shown to have changed nothing."""

from __future__ import annotations

from notifications.models import OutboxMessage
from partners.models import ApiToken, BusinessProfile, Location, Partner, ProfileContact, User
from referrals.models import (
    CustomerContact,
    Engagement,
    IdempotencyRecord,
    PartnerCenterImport,
    Referral,
    ReferralEvent,
)

MODELS = (
    Partner, User, ApiToken, BusinessProfile, Location, ProfileContact, Engagement, CustomerContact, Referral,
    ReferralEvent, OutboxMessage, IdempotencyRecord, PartnerCenterImport,
)  # fmt: skip


def rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}
