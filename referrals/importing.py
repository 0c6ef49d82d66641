"""Importing referrals exported from Partner Center: the writing side of referrals.partner_center.

Each new item becomes an engagement (source 'import') and one referral for the caller's business profile
in the customer's country, in the state its status/substatus maps to, with a 'create' history row by
the API client. A later version of an item already imported (same engagement, later updatedDateTime)
moves its referral forward through the lifecycle's own actions (referrals.services.perform: the same
checks, history rows and webhooks as a partner's answer); an older or identical version changes nothing.
Each item is written in its own transaction, so an import cut short can simply be sent again (one import
per Partner Center engagement and profile, held by a unique constraint). The report says, per item,
imported, updated, unchanged or skipped, with the reason.

Decisions:
- The referral's clock starts at the import: created_at and the state's entry time are the import
  time, deadlines and reminders of open referrals run from it (a referral imported as new gets the full
  72 h), unless Partner Center's expirationDateTime already passed: then it arrives missed (new) or expired
  (evaluating), as the timer would have left it. Partner Center's own timestamps are kept on the
  PartnerCenterImport row and in the history comment.
- statusReason becomes the reason of a referral imported lost or declined, or of a later version's lose,
  decline or skip (partner_center.reason_code: our list, else 'other'), its text kept as the comment.
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

from kernel.errors import InvalidInput, NotFound, ReferralChanged
from partners import cities
from partners.models import BusinessProfile, User
from referrals import lifecycle, partner_center, permissions, services, validation
from referrals.actors import ActorRef
from referrals.lifecycle import Action, Deadlines, LifecycleError, State
from referrals.models import (
    CustomerContact,
    Engagement,
    PartnerCenterImport,
    Programme,
    Referral,
)
from taxonomy.models import CompanySize, Industry, Product, Reason, ServiceType

MAX_ITEMS = 1000
# The deal fields a referral has once a partner accepted it.
WITH_DEAL = {State.NEGOTIATING, State.WON, State.LOST}


IMPORTED, UPDATED, UNCHANGED, SKIPPED = "imported", "updated", "unchanged", "skipped"
OUTCOMES = (IMPORTED, UPDATED, UNCHANGED, SKIPPED)


@dataclass(frozen=True)
class ItemReport:
    """What became of one item of the export."""

    index: int
    outcome: str  # IMPORTED, UPDATED, UNCHANGED or SKIPPED
    engagement_id: str | None  # Partner Center's engagementId, if readable
    referral_id: int | None = None  # ours
    state: str | None = None  # ours, after the import
    reason: str = ""  # why it was skipped or left unchanged
    notes: tuple[str, ...] = ()  # what was imported but not mapped (names not in our lists, an expiry)


@dataclass
class ImportResult:
    items: list[ItemReport] = field(default_factory=list)
    next_link: str = ""  # Partner Center's @odata.nextLink: the export goes on there

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)


def vocabulary() -> partner_center.Vocabulary:
    def index(model: Any) -> dict[str, str]:
        return partner_center.Vocabulary.index(model.objects.values_list("code", "name_en"))

    reasons: dict[str, list[tuple[str, str]]] = {}
    for kind, code, name in Reason.objects.filter(active=True).values_list("kind", "code", "name_en"):
        reasons.setdefault(kind, []).append((code, name))
    return partner_center.Vocabulary(
        industries=index(Industry),
        products=index(Product),
        services=index(ServiceType),
        reasons={kind: partner_center.Vocabulary.index(pairs) for kind, pairs in reasons.items()},
        countries=cities.country_codes(),
    )


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
DEAL_FIELDS = {
    "deal_value": "details.dealValue",
    "currency": "details.currency",
    "expected_close_date": "details.closingDateTime",
    "final_value": "details.dealValue",
    "reason": "statusReason",
    "comment": "statusReason",
}


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
    state: State,
    reason: str,
) -> Referral:
    engagement = Engagement.objects.create(
        customer_company=record.company,
        customer_size_id=record.size or None,
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
        partner_center_id=record.referral_id,
        partner_center_engagement_id=record.engagement_id,
        external_reference_id=record.external_reference_id,
        created_by=actor.user,
        created_at=now,
    )
    CustomerContact.objects.bulk_create(
        CustomerContact(engagement=engagement, name=c.name, email=c.email, phone=c.phone) for c in record.contacts
    )
    fields: dict[str, Any] = {}
    if state in WITH_DEAL:
        fields |= {
            "deal_value": record.deal_value,
            "deal_currency": record.currency,
            "expected_close_date": record.closing_date,
        }
    if state == State.WON:
        fields["final_value"] = record.deal_value
    if state in partner_center.ENDED_BY:
        fields |= {"reason": reason, "comment": record.status_reason}
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


def _create(
    index: int,
    record: partner_center.Imported,
    profile: BusinessProfile,
    actor: ActorRef,
    now: datetime,
    words: partner_center.Vocabulary,
    deadlines: Deadlines,
) -> ItemReport:
    state = State(partner_center.expired_state(record.state, record.expires_at, now))
    notes = record.unmapped
    if state.value != record.state:
        assert record.expires_at is not None
        notes += (f"expirationDateTime {record.expires_at.isoformat()} has passed: imported as {state.value}.",)
    ended_by = partner_center.ENDED_BY.get(state)
    kind = partner_center.REASON_KINDS[ended_by] if ended_by else ""
    reason = partner_center.reason_code(kind, record.status_reason, words.reasons) if kind else ""
    try:
        with transaction.atomic():
            referral = _write(record, profile, actor, now, deadlines, state, reason)
    except IntegrityError:
        # The same engagement, imported by a concurrent request a moment ago.
        raise partner_center.Skip("It clashed with data written at the same moment. Import it again.") from None
    return ItemReport(index, IMPORTED, record.engagement_id, referral.pk, referral.state, notes=notes)


def _action_input(action: Action, record: partner_center.Imported, words: partner_center.Vocabulary) -> Any:
    """What Partner Center's version says for one lifecycle action, as a partner would send it."""
    if action == Action.ACCEPT:
        return validation.ActionInput(
            deal_value=record.deal_value, currency=record.currency, expected_close_date=record.closing_date
        )
    if action == Action.WIN:
        return validation.ActionInput(final_value=record.deal_value)
    kind = partner_center.REASON_KINDS.get(action)
    if kind:
        reason = partner_center.reason_code(kind, record.status_reason, words.reasons)
        return validation.ActionInput(reason=reason, comment=record.status_reason)
    return None


def _not_later(record: partner_center.Imported, earlier: PartnerCenterImport) -> str:
    """Why this version is not later than the one imported, or "" if it is."""
    before = earlier.external_updated_at
    if record.updated_at is None:
        return "Unchanged: this version has no updatedDateTime, so it cannot be later than the one imported."
    if before is not None and record.updated_at <= before:
        return (
            f"Unchanged: this version (updated {record.updated_at.isoformat()}) is not later than the one "
            f"imported (updated {before.isoformat()})."
        )
    return ""


def _moves(record: partner_center.Imported, referral: Referral) -> tuple[Action, ...]:
    """The lifecycle actions that take `referral` to the version's status; Skip if none can."""
    moves = partner_center.moves_to(referral.state, record.status, record.substatus)
    if moves is None:
        raise partner_center.Skip(
            f"status '{record.status}' with substatus '{record.substatus}' cannot follow the referral's state "
            f"here ({referral.state}): a referral only moves forward."
        )
    timed = [a for a in moves if a in lifecycle.TIMER_ACTIONS]
    if timed:
        raise partner_center.Skip(
            f"status '{record.status}' with substatus '{record.substatus}' is reached here by the referral's own "
            f"deadline ({referral.deadline_at.isoformat() if referral.deadline_at else 'none'}), not by an import."
        )
    return moves


def _update(
    index: int,
    record: partner_center.Imported,
    earlier: PartnerCenterImport,
    actor: ActorRef,
    now: datetime,
    words: partner_center.Vocabulary,
) -> ItemReport:
    """Apply a later version of an imported referral through the lifecycle, or say why nothing changed."""
    if record.referral_id and earlier.external_referral_id and record.referral_id != earlier.external_referral_id:
        raise partner_center.Skip(
            f"engagement {record.engagement_id} was imported from Partner Center referral "
            f"{earlier.external_referral_id}; this is another referral of it ({record.referral_id})."
        )
    referral = earlier.referral
    unchanged = _not_later(record, earlier)
    if not unchanged and not (moves := _moves(record, referral)):
        unchanged = f"Unchanged: the referral is {record.status}/{record.substatus} here already."
    if unchanged:
        return ItemReport(index, UNCHANGED, record.engagement_id, referral.pk, referral.state, unchanged)
    try:
        with transaction.atomic():
            for action in moves:
                referral = services.perform(referral.pk, action, actor, now, _action_input(action, record, words))
            PartnerCenterImport.objects.filter(pk=earlier.pk).update(
                external_status=f"{record.status}/{record.substatus}"[:40],
                external_updated_at=record.updated_at,
                external_expires_at=record.expires_at,
            )
    except InvalidInput as invalid:
        field_name, message = next(iter(invalid.errors.items()))
        raise partner_center.Skip(f"{DEAL_FIELDS.get(field_name, field_name)}: {message}") from None
    except (LifecycleError, ReferralChanged, NotFound) as refused:
        raise partner_center.Skip(str(refused)) from None
    return ItemReport(index, UPDATED, record.engagement_id, referral.pk, referral.state, notes=record.unmapped)


def _checked(record: partner_center.Imported, sizes: set[str]) -> partner_center.Imported:
    record = _checked_deal(record)
    _check_emails(record)
    if record.size and record.size not in sizes:
        raise partner_center.Skip(f"customerProfile.size maps to '{record.size}', which is not in our list.")
    return record


def import_partner_center(user: User, body: Any, actor: ActorRef, now: datetime) -> ImportResult:
    """Import, update or leave each item, saying which and why. Only a referrals admin may."""
    if not permissions.can_import_referrals(user) or user.partner_id is None:
        raise PermissionDenied("Only a partner's referrals admin can import referrals.")
    try:
        items, next_link = partner_center.items_of(body)
    except partner_center.NotAnExport as wrong:
        raise InvalidInput({"body": str(wrong)}) from None
    if len(items) > MAX_ITEMS:
        raise InvalidInput({"body": f"Send at most {MAX_ITEMS} referrals per request; split the export."})
    words = vocabulary()
    profiles = {
        p.country: p for p in BusinessProfile.objects.filter(partner_id=user.partner_id).prefetch_related("locations")
    }
    sizes = set(CompanySize.objects.values_list("code", flat=True))
    deadlines = Programme.deadlines()
    result = ImportResult(next_link=next_link)
    for index, item in enumerate(items):
        external_id = partner_center.engagement_id_of(item)
        try:
            record = _checked(partner_center.parse(item, words), sizes)
            profile = profiles.get(record.country)
            if profile is None:
                raise partner_center.Skip(
                    f"Your organisation has no business profile in {record.country}. Add one, then import again."
                )
            earlier = (
                PartnerCenterImport.objects.select_related("referral")
                .filter(profile=profile, external_engagement_id=record.engagement_id)
                .first()
            )
            if earlier is None:
                report = _create(index, record, profile, actor, now, words, deadlines)
            else:
                report = _update(index, record, earlier, actor, now, words)
        except partner_center.Skip as skip:
            report = ItemReport(index, SKIPPED, external_id, reason=str(skip))
        result.items.append(report)
    return result
