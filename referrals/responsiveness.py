"""The responsiveness counters of a profile, recomputed from its referrals' history (imported ones left out:
Referral.objects.ranked).

The live counters (ProfileResponsiveness) are kept up to date one action at a time by the services
and the sweeper; this recomputes them from the record, so the two can be checked against each other
(and the counters rebuilt if they ever drift).
"""

from __future__ import annotations

from referrals import lifecycle
from referrals.lifecycle import Action, Actor
from referrals.models import Referral, ReferralEvent

# Mirrors referrals.services: the first answer counts as prompt up to 24 h in whole seconds.
FIRST_ANSWER_URGED_SECONDS = 24 * 3600
FIELDS = ("received", "answered", "answered_within_24h", "answer_seconds_total", "missed", "expired")


def recompute(profile_id: int) -> dict[str, int]:
    """received, answered, answered_within_24h, answer_seconds_total, missed and expired, from the record."""
    ranked = Referral.objects.ranked().filter(profile_id=profile_id)
    created = dict(ranked.values_list("id", "created_at"))
    counts = dict.fromkeys(FIELDS, 0)
    counts["received"] = len(created)
    events = (
        ReferralEvent.objects.filter(referral__in=ranked)
        .exclude(action__in=("create", "edit"))
        .order_by("referral_id", "at", "id")
        .values_list("referral_id", "action", "at", "actor_kind")
    )
    answered: set[int] = set()
    for referral_id, action, at, actor_kind in events:
        if action in lifecycle.FIRST_ANSWERS and actor_kind != Actor.SYSTEM and referral_id not in answered:
            answered.add(referral_id)
            seconds = int((at - created[referral_id]).total_seconds())
            counts["answered"] += 1
            counts["answer_seconds_total"] += seconds
            if seconds <= FIRST_ANSWER_URGED_SECONDS:
                counts["answered_within_24h"] += 1
        elif action == Action.MISS:
            counts["missed"] += 1
        elif action == Action.EXPIRE:
            counts["expired"] += 1
    return counts
