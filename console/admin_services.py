"""Programme admins' actions, one function per action: partners, programme settings, reasons, spam.

Each checks that the actor is a programme admin, validates (errors by field, nothing changed), and
writes its change with an AdminAction or SpamVerdict row in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet

from console.models import AdminAction, SpamVerdict
from finder import indexing
from kernel.errors import InvalidInput, ReferralChanged
from kernel.text import line_error
from notifications import outbox
from notifications.models import OutboxMessage
from partners.models import Partner, User
from partners.services import Conflict, NotFound, require_programme_admin
from referrals import services as referral_services
from referrals.actors import ActorRef
from referrals.lifecycle import Actor, LifecycleError, State
from referrals.models import Programme, Referral
from taxonomy.models import Reason

MAX_COMMENT = 2000
MAX_LABEL = 120
# The messages below spell these numbers out, for translation.
# Hours: 90 days is far past any sensible deadline, and keeps a typo from parking referrals for years.
MAX_HOURS = 90 * 24
# The cascade's cap counts every referral of a request (the first ones too); past 20 partners a request is being
# broadcast, not routed. 1 turns the cascade off for requests sent to one partner.
MAX_CASCADE_PARTNERS = 20
SPAM_REASON = "spam"
FLAGGED_STATES = (State.SKIPPED.value, State.DECLINED.value)
CODE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SUPPRESSED_NOTE = "Not sent: the request was confirmed as spam."


def _record(actor: User, kind: str, now: datetime, partner: Partner | None = None, **fields: Any) -> AdminAction:
    return AdminAction.objects.create(
        at=now, actor=actor, actor_label=actor.email, kind=kind, partner=partner, **fields
    )


def _comment(value: str, required: bool, errors: dict[str, str]) -> str:
    value = (value or "").strip()
    if required and not value:
        errors["comment"] = "Say why: the partner's history keeps the reason."
    elif len(value) > MAX_COMMENT:
        errors["comment"] = "Keep the comment under 2000 characters."
    return value


# --- Partners ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerMove:
    changes: dict[str, Any]
    applies: str  # the field whose current value must differ
    refused: str  # why, when it does not
    comment_required: bool
    reindex: bool


PARTNER_MOVES: dict[str, PartnerMove] = {
    AdminAction.Kind.VERIFY: PartnerMove(
        {"verified": True}, "verified", "This partner is already verified.", False, False
    ),
    AdminAction.Kind.UNVERIFY: PartnerMove(
        {"verified": False}, "verified", "This partner is not verified.", True, False
    ),
    AdminAction.Kind.SUSPEND: PartnerMove(
        {"status": Partner.Status.SUSPENDED}, "status", "This partner is already suspended.", True, True
    ),
    AdminAction.Kind.REACTIVATE: PartnerMove(
        {"status": Partner.Status.ACTIVE}, "status", "This partner is already active.", False, True
    ),
}


def reindex_partner(partner_id: int) -> None:
    """Make the finder show or hide the partner's profiles at once: the status changes with update(),
    which sends no signal for the finder's own handlers to see."""
    indexing.reindex_partner(partner_id)


def change_partner(actor: User, partner_id: int, kind: str, comment: str, now: datetime) -> Partner:
    """Verify, unverify, suspend or reactivate a partner, recording why.

    Suspension stops new referrals at once (referrals.services.targetable_profiles checks the partner's
    status) and takes the partner's profiles out of the finder; open referrals run their course."""
    require_programme_admin(actor)
    move = PARTNER_MOVES.get(kind)
    if move is None:
        raise NotFound()
    errors: dict[str, str] = {}
    comment = _comment(comment, move.comment_required, errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        partner = Partner.objects.select_for_update().filter(pk=partner_id).first()
        if partner is None:
            raise NotFound()
        if getattr(partner, move.applies) == move.changes[move.applies]:
            raise Conflict(move.refused)
        Partner.objects.filter(pk=partner.pk).update(**move.changes)
        for name, value in move.changes.items():
            setattr(partner, name, value)
        _record(actor, kind, now, partner, comment=comment)
        if move.reindex:
            # In the same transaction: the index lives in the database, so it never disagrees with the status.
            reindex_partner(partner.pk)
    return partner


# --- Programme settings ------------------------------------------------------------------------

HOURS_FIELDS = (
    "new_deadline_hours",
    "evaluating_deadline_hours",
    "first_answer_urged_hours",
    "warn_before_deadline_hours",
    "cascade_window_hours",  # matching/cascade.py reads it from the row
)
CASCADE_CAP = "cascade_max_partners"
PROGRAMME_FIELDS = (*HOURS_FIELDS, CASCADE_CAP)


def _hours(values: dict[str, Any], name: str, errors: dict[str, str]) -> int | None:
    raw = str(values.get(name, "")).strip()
    if not raw:
        errors[name] = "Enter a number of hours."
        return None
    try:
        hours = int(raw)
    except ValueError:
        errors[name] = "Enter a whole number of hours, such as 72."
        return None
    if hours < 1:
        errors[name] = "Enter at least 1 hour."
    elif hours > MAX_HOURS:
        errors[name] = "Enter at most 2160 hours (90 days)."
    else:
        return hours
    return None


def _partners_cap(values: dict[str, Any], errors: dict[str, str]) -> int | None:
    raw = str(values.get(CASCADE_CAP, "")).strip()
    if not raw:
        errors[CASCADE_CAP] = "Enter a number of partners."
        return None
    try:
        cap = int(raw)
    except ValueError:
        errors[CASCADE_CAP] = "Enter a whole number of partners, such as 6."
        return None
    if not 1 <= cap <= MAX_CASCADE_PARTNERS:
        errors[CASCADE_CAP] = "Enter 1 to 20 partners."
        return None
    return cap


def clean_programme(values: dict[str, Any]) -> dict[str, int]:
    """The programme's settings (whole hours, and the cascade's cap on partners), or InvalidInput with a message
    by field."""
    errors: dict[str, str] = {}
    cleaned = {name: _hours(values, name, errors) for name in HOURS_FIELDS}
    cleaned[CASCADE_CAP] = _partners_cap(values, errors)
    new, evaluating = cleaned["new_deadline_hours"], cleaned["evaluating_deadline_hours"]
    urged, warn = cleaned["first_answer_urged_hours"], cleaned["warn_before_deadline_hours"]
    if urged is not None and new is not None and urged >= new:
        errors["first_answer_urged_hours"] = "The reminder to answer must come before the deadline for new referrals."
    shortest = min((h for h in (new, evaluating) if h is not None), default=None)
    if warn is not None and shortest is not None and warn >= shortest:
        errors["warn_before_deadline_hours"] = "The warning before a deadline must be shorter than both deadlines."
    if errors:
        raise InvalidInput(errors)
    return {name: value for name, value in cleaned.items() if value is not None}


def update_programme(actor: User, values: dict[str, Any], now: datetime) -> Programme:
    """Save the deadlines, reminder offsets and the cascade's limits. Deadlines apply to referrals entering a
    state from now on (each referral's deadline is fixed when it enters new or evaluating); the cascade reads its
    limits at each pass."""
    require_programme_admin(actor)
    cleaned = clean_programme(values)
    with transaction.atomic():
        programme, _ = Programme.objects.select_for_update().get_or_create(pk=1)
        changed = {
            name: [getattr(programme, name), value]
            for name, value in cleaned.items()
            if getattr(programme, name) != value
        }
        if changed:
            Programme.objects.filter(pk=1).update(**cleaned)
            for name, value in cleaned.items():
                setattr(programme, name, value)
            _record(actor, AdminAction.Kind.SETTINGS, now, details=changed)
    return programme


# --- Reasons -----------------------------------------------------------------------------------


def _labels(name_en: str, name_ru: str, errors: dict[str, str]) -> tuple[str, str]:
    name_en, name_ru = (name_en or "").strip(), (name_ru or "").strip()
    for field, value in (("name_en", name_en), ("name_ru", name_ru)):
        if not value:
            errors[field] = "Enter the label partners see."
        elif len(value) > MAX_LABEL:
            errors[field] = "Keep the label under 120 characters."
        elif message := line_error(value):
            errors[field] = message
    return name_en, name_ru


def add_reason(actor: User, kind: str, code: str, name_en: str, name_ru: str, now: datetime) -> Reason:
    require_programme_admin(actor)
    errors: dict[str, str] = {}
    code = (code or "").strip().lower()
    if kind not in Reason.Kind.values:
        errors["kind"] = "Choose no thanks, decline or lost."
    if not code:
        errors["code"] = "Enter a code, such as budget-frozen."
    elif len(code) > 64 or not CODE_PATTERN.match(code):
        errors["code"] = "Use lowercase letters, digits and single hyphens (at most 64), such as budget-frozen."
    name_en, name_ru = _labels(name_en, name_ru, errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        if Reason.objects.filter(kind=kind, code=code).exists():
            raise InvalidInput({"code": "This list already has a reason with this code. Rename or reactivate it."})
        sort = (Reason.objects.aggregate(top=Max("sort"))["top"] or 0) + 1
        reason = Reason.objects.create(kind=kind, code=code, name_en=name_en, name_ru=name_ru, sort=sort)
        _record(actor, AdminAction.Kind.REASON_ADD, now, details={"kind": kind, "code": code, "name_en": name_en})
    return reason


def _reason(reason_id: int) -> Reason:
    reason = Reason.objects.select_for_update().filter(pk=reason_id).first()
    if reason is None:
        raise NotFound()
    return reason


def rename_reason(actor: User, reason_id: int, name_en: str, name_ru: str, now: datetime) -> Reason:
    """New labels; the code stays, so referrals closed with it keep their meaning."""
    require_programme_admin(actor)
    errors: dict[str, str] = {}
    name_en, name_ru = _labels(name_en, name_ru, errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        reason = _reason(reason_id)
        before = [reason.name_en, reason.name_ru]
        if before != [name_en, name_ru]:
            Reason.objects.filter(pk=reason.pk).update(name_en=name_en, name_ru=name_ru)
            reason.name_en, reason.name_ru = name_en, name_ru
            details = {"kind": reason.kind, "code": reason.code, "before": before, "after": [name_en, name_ru]}
            _record(actor, AdminAction.Kind.REASON_RENAME, now, details=details)
    return reason


def set_reason_active(actor: User, reason_id: int, active: bool, now: datetime) -> Reason:
    """Offer a reason again, or stop offering it. Reasons are never deleted: closed referrals cite them."""
    require_programme_admin(actor)
    with transaction.atomic():
        reason = _reason(reason_id)
        if reason.active == active:
            raise Conflict("This reason is already active." if active else "This reason is already inactive.")
        if not active and reason.code == SPAM_REASON and reason.kind != Reason.Kind.LOSE:
            raise Conflict("Partners flag spam with this reason, and the spam queue relies on it: keep it active.")
        if not active and not Reason.objects.filter(kind=reason.kind, active=True).exclude(pk=reason.pk).exists():
            raise Conflict("Partners must always have a reason to choose: keep at least one active in this list.")
        Reason.objects.filter(pk=reason.pk).update(active=active)
        reason.active = active
        kind = AdminAction.Kind.REASON_REACTIVATE if active else AdminAction.Kind.REASON_DEACTIVATE
        _record(actor, kind, now, details={"kind": reason.kind, "code": reason.code})
    return reason


# --- Spam --------------------------------------------------------------------------------------


def spam_queue() -> QuerySet[Referral]:
    """Referrals a partner closed as spam (no thanks or decline with the spam reason), not yet decided."""
    return Referral.objects.filter(reason=SPAM_REASON, state__in=FLAGGED_STATES, spam_verdict__isnull=True)


def _flag(referral_id: int) -> Referral:
    """The flagged referral, row-locked so that two admins deciding at once queue up."""
    referral = Referral.objects.select_for_update(of=("self",)).filter(pk=referral_id).first()
    if referral is None or referral.reason != SPAM_REASON or referral.state not in FLAGGED_STATES:
        raise NotFound()
    if SpamVerdict.objects.filter(referral_id=referral.pk).exists():
        raise Conflict("Someone has already decided on this request.")
    return referral


def _verdicts(referral_ids: list[int], verdict: str, actor: User, note: str, now: datetime) -> None:
    try:
        with transaction.atomic():
            SpamVerdict.objects.bulk_create(
                SpamVerdict(referral_id=pk, verdict=verdict, decided_by=actor, decided_at=now, note=note)
                for pk in referral_ids
            )
    except IntegrityError:
        raise Conflict("Someone has already decided on this request.") from None


# A confirmed spam request closes its referrals still open to the partner: skipped if new, declined if
# being evaluated (the referral services' own moves, with the spam reason).
CLOSE_AS_SPAM: dict[State, Callable[..., object]] = {
    State.NEW: referral_services.skip,
    State.EVALUATING: referral_services.decline,
}


def sibling_counts(engagement_ids: set[int]) -> dict[int, dict[str, int]]:
    """For each request, how many referrals it has and how many a confirmation would close: one GROUP BY."""
    return {
        row["engagement_id"]: row
        for row in Referral.objects.filter(engagement_id__in=engagement_ids)
        .values("engagement_id")
        .annotate(total=Count("pk"), open=Count("pk", filter=Q(state__in=list(CLOSE_AS_SPAM))))
        .order_by()
    }


def _close_as_spam(referral_id: int, actor: ActorRef, now: datetime) -> bool:
    """Close one open referral with the spam reason through the referral services; False if it could not
    be (a partner moved it on meanwhile, or its deadline had passed and the timer closed it)."""
    for _attempt in range(3):
        referral = Referral.objects.filter(pk=referral_id).values_list("state", "version").first()
        if referral is None:
            return False
        state, version = referral
        comment = "Closed by the programme: the request was confirmed as spam."
        close = CLOSE_AS_SPAM.get(State(state))
        if close is None:
            return False
        try:
            close(referral_id, actor, now, SPAM_REASON, comment, expected_version=version)
            return True
        except ReferralChanged:
            continue  # a partner acted at the same moment: look again
        except LifecycleError:
            return False
    return False


@dataclass(frozen=True)
class SpamDecision:
    engagement_id: int
    decided: list[int]  # the flags decided
    closed: list[int]  # open referrals closed as spam (confirmed only)


def confirm_spam(actor: User, referral_id: int, note: str, now: datetime) -> SpamDecision:
    """The request is spam: close its referrals still in new or evaluating with the spam reason, so other
    partners stop spending time on it, and send the customer nothing about them.

    The referral services queue a "partner will not follow up" note to the customer for each closed
    referral; for a confirmed spam request those notes (and any still unsent for the partners' own flags)
    are marked as given up in the same transaction, so the worker never sends them."""
    require_programme_admin(actor)
    errors: dict[str, str] = {}
    note = _comment(note, False, errors)
    if errors:
        raise InvalidInput({"note": errors["comment"]})
    system = ActorRef(Actor.SYSTEM, actor, f"spam confirmed by {actor.email}")
    with transaction.atomic():
        flag = _flag(referral_id)
        engagement_id = flag.engagement_id
        flagged = list(spam_queue().filter(engagement_id=engagement_id).order_by("pk").values_list("pk", flat=True))
        open_ids = list(
            Referral.objects.filter(engagement_id=engagement_id, state__in=list(CLOSE_AS_SPAM))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        closed = [pk for pk in open_ids if _close_as_spam(pk, system, now)]
        _verdicts(flagged + closed, SpamVerdict.Verdict.CONFIRMED, actor, note, now)
        OutboxMessage.objects.filter(
            referral__engagement_id=engagement_id,
            template=outbox.CUSTOMER_PARTNER_WONT_FOLLOW_UP,
            sent_at__isnull=True,
            due_at__isnull=False,
        ).update(due_at=None, failed_at=now, last_error=SUPPRESSED_NOTE)
    return SpamDecision(engagement_id, flagged, closed)


def dismiss_spam(actor: User, referral_id: int, note: str, now: datetime) -> SpamDecision:
    """The request is genuine: record it, for every flag on the request. Nothing else changes."""
    require_programme_admin(actor)
    errors: dict[str, str] = {}
    note = _comment(note, False, errors)
    if errors:
        raise InvalidInput({"note": errors["comment"]})
    with transaction.atomic():
        flag = _flag(referral_id)
        flagged = list(
            spam_queue().filter(engagement_id=flag.engagement_id).order_by("pk").values_list("pk", flat=True)
        )
        _verdicts(flagged, SpamVerdict.Verdict.DISMISSED, actor, note, now)
    return SpamDecision(flag.engagement_id, flagged, [])
