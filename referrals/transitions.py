"""What a change of a referral writes besides its own row, for every writer: one function, `record`.

The services (one referral at a time) and the sweeper's portable path (a batch) describe each change as
a `Change` and call `record`, which writes, in the caller's transaction: the history row, the profile's
responsiveness counters (never for imported history), the customer's note when the partner will not follow up
(and has no other referral of the request still open or won), the `referral.updated`
webhook rows, each describing its change (`described`: the event's `data.change`), and (after commit) the list
cache's bump. The sweeper's PostgreSQL statement builds the same
rows in SQL from the same tables (`TIMER_COUNTERS`, the lifecycle) and is held to the portable path by
`tests/referrals/test_timers.py`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F

from notifications import outbox, webhooks
from notifications.models import OutboxMessage
from referrals import actors, lifecycle, list_cache
from referrals.actors import ActorRef
from referrals.lifecycle import Actor, State
from referrals.models import (
    UNRANKED_SOURCES,
    CustomerContact,
    Engagement,
    ProfileResponsiveness,
    Referral,
    ReferralEvent,
)

# The history's action for an edit that leaves the state as it is (notes, assignee).
EDIT = "edit"
# The counter a referral closed by its deadline adds one to, by the state it entered.
TIMER_COUNTERS: dict[State, str] = {State.MISSED: "missed", State.EXPIRED: "expired"}
TIMER = ActorRef.system("timer")


@dataclass(frozen=True)
class Change:
    """One change of one referral: a move of the lifecycle, or an edit (`action` EDIT, source == target)."""

    referral_id: int
    partner_id: int
    profile_id: int
    engagement_id: int
    received_at: datetime  # the referral's created_at: the first answer's wait is counted from it
    action: str
    source: State
    target: State
    actor: ActorRef
    at: datetime
    version: int  # the referral's version once changed: two changes of one referral never share it
    reason: str = ""
    comment: str = ""

    @property
    def moved(self) -> bool:
        return self.source != self.target


def is_first_answer(action: str, actor_kind: str) -> bool:
    """A partner's first answer; an operator closing a referral (e.g. as confirmed spam) answers nothing."""
    return action in lifecycle.FIRST_ANSWERS and actor_kind != Actor.SYSTEM


def counter_increments(change: Change, answer_window: timedelta) -> dict[str, int]:
    """What the change adds to its profile's responsiveness counters (docs/architecture.md, "Where each
    rule lives")."""
    if not change.moved:
        return {}
    if is_first_answer(change.action, change.actor.kind):
        waited = change.at - change.received_at
        return {
            "answered": 1,
            "answer_seconds_total": int(waited.total_seconds()),
            "answered_within_24h": int(lifecycle.answered_in_time(waited, answer_window)),
        }
    column = TIMER_COUNTERS.get(change.target)
    return {column: 1} if column else {}


def record(changes: Sequence[Change], now: datetime, answer_window: timedelta) -> None:
    """Write every side effect of `changes` (already applied to their rows) in the current transaction."""
    if not changes:
        return
    ReferralEvent.objects.bulk_create(_event(c) for c in changes)
    _count(changes, answer_window)
    outbox.add(_customer_notes(_not_followed_up(changes), now))
    told = ((c.partner_id, c.referral_id, _described(c)) for c in changes)
    outbox.add(webhooks.events_for(told, webhooks.UPDATED, now))
    list_cache.changed(c.partner_id for c in changes)


def described(
    action: str, source: State | None, target: State, at: datetime, version: int, actor: ActorRef
) -> dict[str, object]:
    """What happened, as a webhook event's `data.change` says it (docs/webhooks.md); kept in the outbox row.

    The PostgreSQL sweep builds the same object in SQL (referrals/timers.py), held to it by its tests.
    """
    return {
        "action": action,
        "from": source.value if source is not None else None,
        "to": target.value,
        "at": at.isoformat(),
        "version": version,
        "actor": {"kind": actor.kind.value, "label": actors.shown(actor.kind, actor.label)},
    }


def _described(change: Change) -> dict[str, object]:
    return described(change.action, change.source, change.target, change.at, change.version, change.actor)


def _event(change: Change) -> ReferralEvent:
    actor = change.actor
    return ReferralEvent(
        referral_id=change.referral_id,
        at=change.at,
        actor_kind=actor.kind.value,
        actor=actor.user,
        actor_label=actor.label,
        action=change.action,
        from_state=change.source.value,
        to_state=change.target.value,
        reason=change.reason,
        comment=change.comment,
    )


def _count(changes: Sequence[Change], answer_window: timedelta) -> None:
    counted = [c for c in changes if counter_increments(c, answer_window)]
    if not counted:
        return
    # Engagement.counts_toward_ranking: imported history never counts toward a profile's public ranking.
    unranked = set(
        Engagement.objects.filter(pk__in={c.engagement_id for c in counted}, source__in=UNRANKED_SOURCES).values_list(
            "pk", flat=True
        )
    )
    by_profile: dict[int, Counter[str]] = defaultdict(Counter)
    for change in counted:
        if change.engagement_id not in unranked:
            by_profile[change.profile_id].update(counter_increments(change, answer_window))
    # In profile order, as every writer takes the counter rows: two writers never wait on each other in a cycle.
    for profile_id, counts in sorted(by_profile.items()):
        if counts:
            ProfileResponsiveness.objects.filter(profile_id=profile_id).update(
                **{name: F(name) + n for name, n in sorted(counts.items())}
            )


def _not_followed_up(changes: Sequence[Change]) -> list[Change]:
    """The changes that tell the customer their partner will not follow up: lifecycle's rule, given the
    partner's other referrals of the same request as they are after these changes (one query, if any)."""
    candidates = [c for c in changes if c.moved and lifecycle.customer_told_partner_will_not_follow_up(c.target)]
    if not candidates:
        return []
    others: dict[tuple[int, int], list[tuple[int, State]]] = defaultdict(list)
    rows = Referral.objects.filter(engagement_id__in={c.engagement_id for c in candidates})
    for pk, engagement_id, partner_id, state in rows.values_list("id", "engagement_id", "partner_id", "state"):
        others[(engagement_id, partner_id)].append((pk, State(state)))
    return [
        c
        for c in candidates
        if lifecycle.customer_told_partner_will_not_follow_up(
            c.target, [state for pk, state in others[(c.engagement_id, c.partner_id)] if pk != c.referral_id]
        )
    ]


def _customer_notes(told: Sequence[Change], now: datetime) -> list[OutboxMessage]:
    if not told:
        return []
    contacts: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = CustomerContact.objects.filter(engagement_id__in={c.engagement_id for c in told}).order_by("id")
    for engagement_id, address, language in rows.values_list("engagement_id", "email", "engagement__language"):
        contacts[engagement_id].append((address, language))
    return [
        outbox.email(outbox.CUSTOMER_PARTNER_WONT_FOLLOW_UP, address, language, now, c.referral_id)
        for c in told
        for address, language in contacts[c.engagement_id]
    ]
