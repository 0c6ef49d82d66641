"""The only way anything changes a referral: one function per action, used by pages, API and worker.

Each action runs in one transaction that also writes its history row, its responsiveness counters
and its outbox rows, so a crash leaves either all of it or none of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from kernel.errors import InvalidInput, NotFound, ReferralChanged
from notifications import outbox, webhooks
from partners import alerts
from partners.models import BusinessProfile, Location
from referrals import lifecycle, transitions
from referrals.actors import ActorRef
from referrals.lifecycle import Action, Actor, DeadlinePassed, Deadlines, State
from referrals.models import (
    CustomerContact,
    Engagement,
    ProfileResponsiveness,
    Programme,
    Referral,
    ReferralEvent,
)
from referrals.permissions import assignable_members, can_assign_referral, can_work_referral
from referrals.transitions import Change
from referrals.validation import MAX_NOTES, ActionInput, CleanInput, clean


def _locked(referral_id: int, actor: ActorRef) -> Referral:
    """The referral, row-locked, if the actor may work it; NotFound otherwise (never 'forbidden')."""
    # Lock only the referral row: other referrals of the same engagement stay free to change.
    qs = Referral.objects.select_for_update(of=("self",)).select_related("engagement")
    try:
        referral = qs.get(pk=referral_id)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if actor.kind != Actor.SYSTEM and (actor.user is None or not can_work_referral(actor.user, referral)):
        raise NotFound()
    return referral


def _state_changes(
    referral: Referral,
    action: Action,
    target: State,
    actor: ActorRef,
    at: datetime,
    now: datetime,
    deadlines: Deadlines,
) -> dict[str, Any]:
    due = lifecycle.deadline(target, at, deadlines)
    changes: dict[str, Any] = {
        "state": target.value,
        "state_entered_at": at,
        f"{target.value}_at": at,
        "deadline_at": due,
        "remind_at": lifecycle.next_reminder_at(target, at, due, at, deadlines),
        "updated_at": now,
        "version": referral.version + 1,
    }
    if transitions.is_first_answer(action, actor.kind):
        changes["first_answer_at"] = at
    return changes


def _change(
    referral: Referral,
    action: str,
    source: State,
    target: State,
    actor: ActorRef,
    at: datetime,
    reason: str = "",
    comment: str = "",
) -> Change:
    return Change(
        referral_id=referral.pk,
        partner_id=referral.partner_id,
        profile_id=referral.profile_id,
        engagement_id=referral.engagement_id,
        received_at=referral.created_at,
        action=action,
        source=source,
        target=target,
        actor=actor,
        at=at,
        version=referral.version,
        reason=reason,
        comment=comment,
    )


def _move(
    referral: Referral,
    action: Action,
    target: State,
    actor: ActorRef,
    at: datetime,
    now: datetime,
    deadlines: Deadlines,
    extra: dict[str, Any] | None = None,
    reason: str = "",
    comment: str = "",
) -> None:
    source = State(referral.state)
    changes = _state_changes(referral, action, target, actor, at, now, deadlines) | (extra or {})
    # The version check makes a lost race visible even where the row lock is a no-op (SQLite).
    if not Referral.objects.filter(pk=referral.pk, version=referral.version, state=source.value).update(**changes):
        raise ReferralChanged()
    for name, value in changes.items():
        setattr(referral, name, value)
    change = _change(referral, action.value, source, target, actor, at, reason, comment)
    transitions.record([change], now, deadlines.first_answer_urged)


def _extra_fields(action: Action, data: CleanInput, referral: Referral) -> dict[str, Any]:
    if action == Action.ACCEPT:
        return {
            "deal_value": data.deal_value,
            "deal_currency": data.currency,
            "expected_close_date": data.expected_close_date,
        }
    if action == Action.WIN:
        return {"final_value": data.final_value if data.final_value is not None else referral.deal_value}
    if action in (Action.SKIP, Action.DECLINE, Action.LOSE):
        return {"reason": data.reason, "comment": data.comment}
    return {}


def validate(action: Action, data: ActionInput | None, now: datetime) -> CleanInput:
    """The action's input as `perform` would take it, or InvalidInput; reads nothing of the referral, changes
    nothing (the pages check a form before asking the person to confirm it)."""
    cleaned, errors = clean(action, data or ActionInput(), now)
    if errors or cleaned is None:
        raise InvalidInput(errors)
    return cleaned


def perform(
    referral_id: int,
    action: Action,
    actor: ActorRef,
    now: datetime,
    data: ActionInput | None = None,
    expected_version: int | None = None,
) -> Referral:
    """Apply a person's action. Raises InvalidInput, NotFound, ReferralChanged, NotAllowed, DeadlinePassed."""
    if action in lifecycle.TIMER_ACTIONS:
        raise lifecycle.NotAllowed(State.NEW, action)
    cleaned = validate(action, data, now)
    deadlines = Programme.deadlines()
    late: DeadlinePassed | None = None
    with transaction.atomic():
        referral = _locked(referral_id, actor)
        if expected_version is not None and referral.version != expected_version:
            raise ReferralChanged()
        state = State(referral.state)
        try:
            target = lifecycle.check(state, action, referral.deadline_at, now)
        except DeadlinePassed as exc:
            # The deadline came first: apply it now, as the sweeper would have, then refuse.
            late = exc
            timer = lifecycle.timer_action(state)
            assert timer is not None and referral.deadline_at is not None
            due = referral.deadline_at
            _move(referral, timer, lifecycle.next_state(state, timer), ActorRef.system(), due, now, deadlines)
        else:
            _move(
                referral,
                action,
                target,
                actor,
                now,
                now,
                deadlines,
                extra=_extra_fields(action, cleaned, referral),
                reason=cleaned.reason,
                comment=cleaned.comment,
            )
    if late is not None:
        raise late
    return referral


def mark_interested(referral_id: int, actor: ActorRef, now: datetime, expected_version: int | None = None) -> Referral:
    return perform(referral_id, Action.INTERESTED, actor, now, None, expected_version)


def skip(
    referral_id: int,
    actor: ActorRef,
    now: datetime,
    reason: str = "",
    comment: str = "",
    expected_version: int | None = None,
) -> Referral:
    return perform(referral_id, Action.SKIP, actor, now, ActionInput(reason=reason, comment=comment), expected_version)


def accept(
    referral_id: int,
    actor: ActorRef,
    now: datetime,
    deal_value: Decimal | str | None,
    currency: str,
    expected_close_date: Any,
    expected_version: int | None = None,
) -> Referral:
    data = ActionInput(deal_value=deal_value, currency=currency, expected_close_date=expected_close_date)
    return perform(referral_id, Action.ACCEPT, actor, now, data, expected_version)


def decline(
    referral_id: int,
    actor: ActorRef,
    now: datetime,
    reason: str,
    comment: str = "",
    expected_version: int | None = None,
) -> Referral:
    data = ActionInput(reason=reason, comment=comment)
    return perform(referral_id, Action.DECLINE, actor, now, data, expected_version)


def win(
    referral_id: int,
    actor: ActorRef,
    now: datetime,
    final_value: Decimal | str | None = None,
    expected_version: int | None = None,
) -> Referral:
    return perform(referral_id, Action.WIN, actor, now, ActionInput(final_value=final_value), expected_version)


def lose(
    referral_id: int,
    actor: ActorRef,
    now: datetime,
    reason: str,
    comment: str = "",
    expected_version: int | None = None,
) -> Referral:
    return perform(referral_id, Action.LOSE, actor, now, ActionInput(reason=reason, comment=comment), expected_version)


def apply_deadline(referral_id: int, now: datetime) -> bool:
    """The timer's move for one referral if its deadline has come; False if nothing was due."""
    deadlines = Programme.deadlines()
    with transaction.atomic():
        referral = _locked(referral_id, ActorRef.system())
        state = State(referral.state)
        timer = lifecycle.timer_action(state)
        if timer is None or referral.deadline_at is None or referral.deadline_at > now:
            return False
        _move(
            referral, timer, lifecycle.next_state(state, timer), ActorRef.system(), referral.deadline_at, now, deadlines
        )
    return True


# --- Edits that do not change the state -------------------------------------------------------


def _edit(referral: Referral, actor: ActorRef, now: datetime, changes: dict[str, Any], comment: str) -> None:
    # A deadline that has come applies first, as the sweeper would have: otherwise the history would
    # show an edit in 'new' after the 'miss' the sweeper later records at the (earlier) deadline.
    state = State(referral.state)
    timer = lifecycle.timer_action(state)
    deadlines = Programme.deadlines()
    if timer is not None and referral.deadline_at is not None and referral.deadline_at <= now:
        target = lifecycle.next_state(state, timer)
        _move(referral, timer, target, ActorRef.system(), referral.deadline_at, now, deadlines)
        state = target
    changes = changes | {"updated_at": now, "version": referral.version + 1}
    if not Referral.objects.filter(pk=referral.pk, version=referral.version).update(**changes):
        raise ReferralChanged()
    for name, value in changes.items():
        setattr(referral, name, value)
    edit = _change(referral, transitions.EDIT, state, state, actor, now, comment=comment)
    transitions.record([edit], now, deadlines.first_answer_urged)


def update_notes(
    referral_id: int, actor: ActorRef, now: datetime, notes: str, expected_version: int | None = None
) -> Referral:
    if len(notes) > MAX_NOTES:
        raise InvalidInput({"notes": "Keep notes under 20,000 characters."})
    with transaction.atomic():
        referral = _locked(referral_id, actor)
        if expected_version is not None and referral.version != expected_version:
            raise ReferralChanged()
        if referral.notes != notes:
            _edit(referral, actor, now, {"notes": notes}, "Notes updated")
    return referral


def assign(
    referral_id: int, actor: ActorRef, now: datetime, assignee_id: int | None, expected_version: int | None = None
) -> Referral:
    with transaction.atomic():
        referral = _locked(referral_id, actor)
        if actor.user is None or not can_assign_referral(actor.user, referral):
            raise NotFound()
        if expected_version is not None and referral.version != expected_version:
            raise ReferralChanged()
        assignee = None
        if assignee_id is not None:
            assignee = assignable_members(referral).filter(pk=assignee_id).first()
            if assignee is None:
                raise InvalidInput({"assignee": "Choose a member of your team."})
        if referral.assignee_id != (assignee.pk if assignee else None):
            label = f"Assigned to {assignee.email}" if assignee else "Unassigned"
            _edit(referral, actor, now, {"assignee_id": assignee.pk if assignee else None}, label)
            referral.assignee = assignee
    return referral


# --- Creating engagements -----------------------------------------------------------------------


@dataclass
class ContactInput:
    name: str
    email: str
    phone: str = ""


@dataclass
class EngagementInput:
    company: str
    size: str
    country: str
    need: str
    contacts: list[ContactInput]
    consent_contact: bool
    source: str
    targets: list[int]
    industry: str = ""
    city: str = ""
    address: str = ""
    requested_industries: list[str] = field(default_factory=list)
    requested_products: list[str] = field(default_factory=list)
    requested_services: list[str] = field(default_factory=list)
    budget: Decimal | None = None
    budget_currency: str = ""
    timeline: str = ""
    language: str = "en"
    consent_share: bool = False
    campaign_id: str = ""
    route_count: int | None = None  # instead of targets: the routing engine chooses this many partners


def targetable_profiles(size_code: str | None) -> Any:
    """Profiles that may receive a new referral from a customer of this size. Of unknown size (None): only those
    that did not opt out of sizes (or opted out naming none, which limits nothing)."""
    from django.db.models import Q

    return BusinessProfile.objects.visible().filter(Q(only_target_sizes=False) | Q(target_sizes__code=size_code))


# A partner (organisation) is asked once per request, whichever of its profiles (countries) was chosen.
ONE_PER_PARTNER = "Choose one location per partner: each partner is asked once per request."


# Chooses the partners of a request that names none: (engagement, how many, now) -> profile ids, best first.
# Installed by the matching app (matching/apps.py), which owns routing; referrals only ask it.
Chooser = Callable[[Engagement, int, datetime], list[int]]
_chooser: list[Chooser] = []


def install_chooser(chooser: Chooser) -> None:
    _chooser[:] = [chooser]


NOBODY_ROUTED = "No partner can take this request now."


def create_engagement(data: EngagementInput, actor: ActorRef, now: datetime) -> Engagement:
    """One engagement and one new referral per target profile (or per profile the installed chooser picks,
    when `route_count` is given), with alerts to each profile's contacts. Raises InvalidInput (field
    "targets") for targets that cannot take it or two profiles of one partner, ("route") when nobody can."""
    from referrals.engagement_validation import validate_engagement

    validate_engagement(data)
    if data.route_count is not None and not _chooser:
        raise InvalidInput({"route": "Automatic routing is not available."})
    deadlines = Programme.deadlines()
    with transaction.atomic():
        engagement = _new_engagement(data, actor, now)
        targets = data.targets if data.route_count is None else _chooser[0](engagement, data.route_count, now)
        if not targets:
            raise InvalidInput({"route": NOBODY_ROUTED})
        _send_to(engagement, targets, actor, now, deadlines, asked_partners=set())
    return engagement


def offer_to_more(
    engagement_id: int, targets: list[int], actor: ActorRef, now: datetime, comment: str = ""
) -> list[Referral]:
    """The request offered to more partners after it was sent (the cascade; the customer's alternatives): one new
    referral per target, with its history row (`comment` says why) and alerts, as create_engagement makes them.
    Raises InvalidInput ("targets") for a target that cannot take it, or whose partner was already asked."""
    with transaction.atomic():
        engagement = Engagement.objects.select_for_update().get(pk=engagement_id)
        asked = set(Referral.objects.filter(engagement=engagement).values_list("partner_id", flat=True))
        return _send_to(engagement, targets, actor, now, Programme.deadlines(), asked, comment)


def _send_to(
    engagement: Engagement,
    targets: list[int],
    actor: ActorRef,
    now: datetime,
    deadlines: Deadlines,
    asked_partners: set[int],
    comment: str = "",
) -> list[Referral]:
    """One new referral per target profile, in the caller's transaction, with alerts to each profile's contacts;
    never a second one for a partner (`asked_partners` already have one)."""
    # In profile order, as the sweeper takes the counter rows: two writers never wait on each other in a cycle.
    profiles = list(
        targetable_profiles(engagement.customer_size_id)
        .filter(pk__in=targets)
        .distinct()
        .order_by("pk")
        .prefetch_related("locations")
    )
    missing = set(targets) - {p.pk for p in profiles}
    if missing:
        raise InvalidInput(
            {"targets": "These partners cannot take this request now: " + ", ".join(map(str, sorted(missing)))}
        )
    partners = [p.partner_id for p in profiles]
    if len(set(partners)) < len(partners) or asked_partners & set(partners):
        raise InvalidInput({"targets": ONE_PER_PARTNER})
    made = [create_referral(engagement, p, actor, now, deadlines, State.NEW, comment=comment) for p in profiles]
    # Each referral's alert contacts and covering team members: one lookup for all of them.
    to = alerts.recipients(((r.pk, r.profile_id, r.location_id) for r in made), alerts.NEW_REFERRALS)
    outbox.add(
        outbox.email(outbox.PARTNER_NEW_REFERRAL, address, language, now, r.pk)
        for r in made
        for address, language in to[r.pk]
    )
    return made


def _new_engagement(data: EngagementInput, actor: ActorRef, now: datetime) -> Engagement:
    engagement = Engagement.objects.create(
        customer_company=data.company,
        customer_size_id=data.size,
        customer_industry_id=data.industry or None,
        customer_country=data.country.upper(),
        customer_city=data.city,
        customer_address=data.address,
        need=data.need,
        requested_industries=data.requested_industries,
        requested_products=data.requested_products,
        requested_services=data.requested_services,
        budget=data.budget,
        budget_currency=data.budget_currency,
        timeline=data.timeline,
        language=data.language,
        consent_contact=data.consent_contact,
        consent_share=data.consent_share,
        source=data.source,
        campaign_id=data.campaign_id,
        created_by=actor.user,
        created_at=now,
    )
    CustomerContact.objects.bulk_create(
        CustomerContact(engagement=engagement, name=c.name, email=c.email, phone=c.phone) for c in data.contacts
    )
    return engagement


def nearest_location(profile: BusinessProfile, city: str) -> Location | None:
    """The profile's location in the customer's city, else its first."""
    locations = list(profile.locations.all())
    same_city = [x for x in locations if city and x.city.casefold() == city.casefold()]
    return (same_city or locations)[0] if locations else None


def create_referral(
    engagement: Engagement,
    profile: BusinessProfile,
    actor: ActorRef,
    now: datetime,
    deadlines: Deadlines,
    state: State,
    fields: dict[str, Any] | None = None,
    comment: str = "",
) -> Referral:
    """A referral entering the lifecycle in `state` at `now` (new for intake; any state for imports),
    with its 'create' history row, the profile's received counter (unless imported) and the referral.created
    webhooks.
    Partner alerts are the caller's choice."""
    due = lifecycle.deadline(state, now, deadlines)
    stamps = {f"{state.value}_at": now} if state != State.NEW else {}
    referral = Referral.objects.create(
        engagement=engagement,
        profile=profile,
        partner_id=profile.partner_id,
        location=nearest_location(profile, engagement.customer_city),
        state=state.value,
        created_at=now,
        updated_at=now,
        state_entered_at=now,
        deadline_at=due,
        remind_at=lifecycle.next_reminder_at(state, now, due, now, deadlines),
        **stamps,
        **(fields or {}),
    )
    ReferralEvent.objects.create(
        referral=referral,
        at=now,
        actor_kind=actor.kind.value,
        actor=actor.user,
        actor_label=actor.label,
        action="create",
        from_state="",
        to_state=state.value,
        comment=comment,
    )
    stats, _ = ProfileResponsiveness.objects.get_or_create(profile=profile)
    if engagement.counts_toward_ranking:
        ProfileResponsiveness.objects.filter(pk=stats.pk).update(received=F("received") + 1)
    change = transitions.described("create", None, state, now, referral.version, actor)
    outbox.add(webhooks.events_for([(referral.partner_id, referral.pk, change)], webhooks.CREATED, now))
    return referral  # the list cache hears of it from the post_save signal (referrals.signals)
