"""The responsiveness counters of a profile, recomputed from its referrals' history (imported ones left out:
Referral.objects.ranked).

The live counters (ProfileResponsiveness) are kept up to date one change at a time by
`referrals.transitions.record`; this recomputes them from the record with the same rules, so the two
can be checked against each other (and the counters rebuilt if they ever drift). A first answer counts
as in time by the programme's answer window now (`Programme.first_answer_urged_hours`); the live counter
used the window in force when the answer came.
"""

from __future__ import annotations

from datetime import timedelta

from referrals import lifecycle
from referrals.lifecycle import State
from referrals.models import Programme, Referral, ReferralEvent
from referrals.transitions import EDIT, TIMER_COUNTERS, is_first_answer

FIELDS = ("received", "answered", "answered_within_24h", "answer_seconds_total", "missed", "expired")


def recompute(profile_id: int, answer_window: timedelta | None = None) -> dict[str, int]:
    """received, answered, answered_within_24h, answer_seconds_total, missed and expired, from the record."""
    window = answer_window if answer_window is not None else Programme.deadlines().first_answer_urged
    ranked = Referral.objects.ranked().filter(profile_id=profile_id)
    created = dict(ranked.values_list("id", "created_at"))
    counts = dict.fromkeys(FIELDS, 0)
    counts["received"] = len(created)
    events = (
        ReferralEvent.objects.filter(referral__in=ranked)
        .exclude(action__in=("create", EDIT))
        .order_by("referral_id", "at", "id")
        .values_list("referral_id", "action", "to_state", "at", "actor_kind")
    )
    answered: set[int] = set()
    for referral_id, action, to_state, at, actor_kind in events:
        if is_first_answer(action, actor_kind) and referral_id not in answered:
            answered.add(referral_id)
            waited = at - created[referral_id]
            counts["answered"] += 1
            counts["answer_seconds_total"] += int(waited.total_seconds())
            counts["answered_within_24h"] += lifecycle.answered_in_time(waited, window)
        elif to_state in TIMER_COUNTERS:
            counts[TIMER_COUNTERS[State(to_state)]] += 1
    return counts
