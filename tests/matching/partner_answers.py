"""A partner's answers to hand-made requests, for the scorecard's tests (tests/matching/test_tendencies.py,
test_scorecard.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from partners.models import BusinessProfile, Role
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Referral
from tests import factories

HOUR = timedelta(hours=1)

CRM_DEAL = {
    "industry": "retail",
    "requested_products": ["crm"],
    "size": "50-249",
    "budget": Decimal("30000"),
    "budget_currency": "EUR",
    "need": "CRM rollout for the sales team",
}
SMALL_MAIL_DEAL = {
    "industry": "manufacturing",
    "requested_products": ["office-suite"],
    "size": "10-49",
    "budget": Decimal("2000"),
    "budget_currency": "EUR",
    "need": "Move our mail to the cloud",
}
BACKUP_DEAL = {
    "industry": "finance",
    "requested_products": ["security"],
    "size": "10-49",
    "need": "Cloud backup for our files",
}


def profile_with_tags(partner=None, country="DE") -> BusinessProfile:  # type: ignore[no-untyped-def]
    profile = factories.profile(partner, country=country, keywords=["cloud", "email migration"])
    profile.industries.set(["retail"])
    profile.products.set(["crm", "office-suite"])
    return profile


def answered(profile: BusinessProfile, answer: str, at: Any, **request: Any) -> Referral:
    """A request sent to the profile at `at`, and the partner's answer an hour or two later."""
    referral = factories.engagement([profile], at, **request).referrals.get()
    me = ActorRef.person(factories.user(profile.partner, role=Role.REFERRALS_ADMIN))
    if answer == "accept":
        services.mark_interested(referral.pk, me, at + HOUR)
        services.accept(referral.pk, me, at + 2 * HOUR, "1000", "EUR", factories.close_date())
    elif answer in DECLINE_REASONS:
        services.mark_interested(referral.pk, me, at + HOUR)
        services.decline(referral.pk, me, at + 2 * HOUR, DECLINE_REASONS[answer])
    elif answer in SKIP_REASONS:
        services.skip(referral.pk, me, at + HOUR, SKIP_REASONS[answer])
    return referral


# The declines and skips `answered` gives, with the reason each gives.
DECLINE_REASONS = {"decline": "not-our-field", "decline-full": "no-capacity"}
SKIP_REASONS = {"skip": "not-our-field", "spam": "spam", "full": "no-capacity", "out-of-region": "region-not-served"}
