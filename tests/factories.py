"""Small builders for test data. Each returns saved objects with plausible defaults."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from typing import Any

from partners.models import BusinessProfile, Location, Partner, ProfileContact, Role, User
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Engagement, Referral
from tests import clock

_seq = count(1)


def __getattr__(name: str) -> datetime:
    # `NOW` is the suite's clock (tests/clock.py): today at 09:00 UTC, moved by --clock-offset-days.
    if name == "NOW":
        return clock.NOW
    raise AttributeError(name)


def close_date(days: int = 61) -> str:
    """An expected close date `days` after the suite's NOW, as the forms and the API take it."""
    return (clock.NOW + timedelta(days=days)).date().isoformat()


def partner(name: str = "", country: str = "DE") -> Partner:
    return Partner.objects.create(name=name or f"Partner {next(_seq)}", country=country)


def user(partner_: Partner | None = None, role: str = Role.REFERRALS_ADMIN, email: str = "", **extra: Any) -> User:
    if partner_ is None and role in (Role.REFERRALS_ADMIN, Role.REFERRALS_USER, Role.PROFILE_ADMIN):
        partner_ = partner()
    return User.objects.create_user(
        email=email or f"user{next(_seq)}@example.com",
        password="correct horse battery",
        partner=partner_,
        role=role,
        **extra,
    )


def profile(
    partner_: Partner | None = None,
    country: str = "DE",
    contacts: tuple[str, ...] = ("alerts@partner.example",),
    contact_language: str = "en",
    city: str = "Berlin",
    **extra: Any,
) -> BusinessProfile:
    partner_ = partner_ or partner(country=country)
    prof = BusinessProfile.objects.create(
        partner=partner_, country=country, description="We move mail to the cloud.", **extra
    )
    Location.objects.create(profile=prof, city=city, address="Hauptstr. 1", lat=52.52, lon=13.405)
    for address in contacts:
        ProfileContact.objects.create(profile=prof, name="Alerts", email=address, language=contact_language)
    return prof


def engagement_input(targets: list[int], **overrides: Any) -> services.EngagementInput:
    data: dict[str, Any] = {
        "company": "Contoso GmbH",
        "size": "50-249",
        "industry": "manufacturing",
        "country": "DE",
        "city": "Berlin",
        "address": "Alexanderplatz 1",
        "need": "Move 200 mailboxes to the cloud",
        "contacts": [services.ContactInput("Anna Schmidt", "anna@contoso.example", "+49 30 1234567")],
        "consent_contact": True,
        "source": "agent",
        "targets": targets,
        "requested_products": ["office-suite"],
        "language": "en",
    }
    data.update(overrides)
    return services.EngagementInput(**data)


def engagement(profiles: list[BusinessProfile], now: datetime | None = None, **overrides: Any) -> Engagement:
    return services.create_engagement(
        engagement_input([p.pk for p in profiles], **overrides), ActorRef.system("test"), now or clock.NOW
    )


def referral(profile_: BusinessProfile | None = None, now: datetime | None = None, **overrides: Any) -> Referral:
    profile_ = profile_ or profile()
    eng = engagement([profile_], now, **overrides)
    return Referral.objects.get(engagement=eng, profile=profile_)
