"""Importing referrals exported from Partner Center: the writing side of referrals.partner_center.

Each item becomes an engagement (source 'import') and one referral for the caller's business profile
in the customer's country, in the state its status/substatus maps to, with a 'create' history row by
the API client. Each item is written in its own transaction, so an import cut short can simply be sent
again: what was imported is skipped as a duplicate (one import per Partner Center engagement and profile,
held by a unique constraint).

Decisions:
- The referral's clock starts at the import: created_at and the state's entry time are the import
  time, deadlines and reminders of open referrals run from it (a referral imported as new gets the full
  72 h). Partner Center's own timestamps are
  kept on the PartnerCenterImport row and in the history comment.
- Imported history never counts toward the profile's public ranking (Referral.objects.ranked): not in the
  responsiveness counters, the finder's prior or the scorecard, neither as imported nor when it is answered
  here later. A partner could otherwise buy first place with an export of won deals (docs/decisions.md 30).
  Deal values and currencies are checked as accepting a referral checks them (referrals.validation).
- Nothing is e-mailed: the partner already has these referrals and the customer was told by Partner Center.
  The partner's webhooks subscribed to referral.created do get the event, as for any new referral, so a
  CRM that syncs from Leadshare learns the new ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from kernel.errors import InvalidInput
from partners.models import BusinessProfile, User
from referrals import partner_center, permissions, services, validation
from referrals.actors import ActorRef
from referrals.lifecycle import Deadlines, State
from referrals.models import (
    CustomerContact,
    Engagement,
    PartnerCenterImport,
    Programme,
    Referral,
)
from taxonomy.models import CompanySize, Industry, Product, ServiceType

MAX_ITEMS = 1000
# The deal fields a referral has once a partner accepted it.
WITH_DEAL = {State.NEGOTIATING, State.WON, State.LOST}


@dataclass(frozen=True)
class Created:
    index: int
    engagement_id: int
    referral_id: int
    state: str
    partner_center_engagement_id: str


@dataclass(frozen=True)
class Skipped:
    index: int
    engagement_id: str | None
    reason: str


@dataclass
class ImportResult:
    created: list[Created] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def vocabulary() -> partner_center.Vocabulary:
    def index(model: Any) -> dict[str, str]:
        return partner_center.Vocabulary.index(model.objects.values_list("code", "name_en"))

    return partner_center.Vocabulary(industries=index(Industry), products=index(Product), services=index(ServiceType))


def _check_emails(record: partner_center.Imported) -> None:
    for i, contact in enumerate(record.contacts):
        try:
            validate_email(contact.email)
            if len(contact.email) > 254:  # CustomerContact.email's column
                raise ValidationError("too long")
        except ValidationError:
            raise partner_center.Skip(
                f"customerProfile.team.{i}.email '{contact.email}' is not a valid e-mail address."
            ) from None


# Where referrals.validation's fields are in a Partner Center item.
DEAL_FIELDS = {"deal_value": "details.dealValue", "currency": "details.currency"}


def _checked_deal(record: partner_center.Imported) -> partner_center.Imported:
    """The record with its deal value and currency checked as accepting a referral checks them (also the
    value that becomes the budget of a referral without a deal yet)."""
    if record.deal_value is None and State(record.state) not in WITH_DEAL:
        return record
    value, currency, errors = validation.clean_deal(record.deal_value, record.currency)
    for name, message in errors.items():
        raise partner_center.Skip(f"{DEAL_FIELDS[name]}: {message}")
    return replace(record, deal_value=value, currency=currency)


def _comment(record: partner_center.Imported) -> str:
    parts = [f"Imported from Partner Center: engagement {record.engagement_id}"]
    if record.referral_id:
        parts.append(f"referral {record.referral_id}")
    parts.append(f"{record.status}/{record.substatus}")
    if record.created_at:
        parts.append(f"created {record.created_at.isoformat()}")
    if record.updated_at:
        parts.append(f"updated {record.updated_at.isoformat()}")
    return ", ".join(parts) + "."


def _write(
    record: partner_center.Imported,
    profile: BusinessProfile,
    actor: ActorRef,
    now: datetime,
    deadlines: Deadlines,
) -> Referral:
    engagement = Engagement.objects.create(
        customer_company=record.company,
        customer_size_id=record.size,
        customer_industry_id=record.industry or None,
        customer_country=record.country,
        customer_city=record.city,
        customer_address=record.address,
        need=record.need,
        requested_industries=list(record.industries),
        requested_products=list(record.products),
        requested_services=list(record.services),
        budget=record.deal_value,
        budget_currency=record.currency,
        timeline=f"Close by {record.closing_date.isoformat()}" if record.closing_date else "",
        language=record.language,
        consent_contact=True,
        consent_share=record.consent_share,
        source=Engagement.Source.IMPORT,
        created_by=actor.user,
        created_at=now,
    )
    CustomerContact.objects.bulk_create(
        CustomerContact(engagement=engagement, name=c.name, email=c.email, phone=c.phone) for c in record.contacts
    )
    state = State(record.state)
    fields: dict[str, Any] = {}
    if state in WITH_DEAL:
        fields |= {
            "deal_value": record.deal_value,
            "deal_currency": record.currency,
            "expected_close_date": record.closing_date,
        }
    if state == State.WON:
        fields["final_value"] = record.deal_value
    referral = services.create_referral(
        engagement, profile, actor, now, deadlines, state, fields=fields, comment=_comment(record)
    )
    PartnerCenterImport.objects.create(
        profile=profile,
        referral=referral,
        external_engagement_id=record.engagement_id,
        external_referral_id=record.referral_id,
        external_status=f"{record.status}/{record.substatus}"[:40],
        external_created_at=record.created_at,
        external_updated_at=record.updated_at,
        external_expires_at=record.expires_at,
        imported_by=actor.user,
        imported_at=now,
    )
    return referral


def _duplicate(profile: BusinessProfile, engagement_id: str) -> partner_center.Skip | None:
    earlier = PartnerCenterImport.objects.filter(profile=profile, external_engagement_id=engagement_id).first()
    if earlier is None:
        return None
    return partner_center.Skip(
        f"Duplicate: engagement {engagement_id} was already imported for your profile in {profile.country} "
        f"as referral {earlier.referral_id}."
    )


def import_partner_center(user: User, items: list[Any], actor: ActorRef, now: datetime) -> ImportResult:
    """Import what can be imported; say for every other item why not. Only a referrals admin may."""
    if not permissions.can_import_referrals(user) or user.partner_id is None:
        raise PermissionDenied("Only a partner's referrals admin can import referrals.")
    if len(items) > MAX_ITEMS:
        raise InvalidInput({"body": f"Send at most {MAX_ITEMS} referrals per request; split the export."})
    words = vocabulary()
    profiles = {
        p.country: p for p in BusinessProfile.objects.filter(partner_id=user.partner_id).prefetch_related("locations")
    }
    sizes = set(CompanySize.objects.values_list("code", flat=True))
    deadlines = Programme.deadlines()
    result = ImportResult()
    for index, item in enumerate(items):
        external_id = partner_center.engagement_id_of(item)
        try:
            record = _checked_deal(partner_center.parse(item, words))
            _check_emails(record)
            if record.size not in sizes:
                raise partner_center.Skip(f"customerProfile.size maps to '{record.size}', which is not in our list.")
            profile = profiles.get(record.country)
            if profile is None:
                raise partner_center.Skip(
                    f"Your organisation has no business profile in {record.country}. Add one, then import again."
                )
            if duplicate := _duplicate(profile, record.engagement_id):
                raise duplicate
            try:
                with transaction.atomic():
                    referral = _write(record, profile, actor, now, deadlines)
            except IntegrityError:
                # The same engagement, imported by a concurrent request a moment ago.
                raise _duplicate(profile, record.engagement_id) or partner_center.Skip(
                    "It clashed with data written at the same moment. Import it again."
                ) from None
        except partner_center.Skip as skip:
            result.skipped.append(Skipped(index, external_id, str(skip)))
            continue
        result.created.append(Created(index, referral.engagement_id, referral.pk, referral.state, record.engagement_id))
    return result
