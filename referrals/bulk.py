"""Several referrals at once from the inbox: each through its own service call, each checked on its own.

One referral's refusal (not the person's to work, changed since, closed, a deadline passed) does not stop
the others: every call is its own transaction, and the caller is told per referral what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from kernel.errors import InvalidInput, NotFound, ReferralChanged
from referrals import services
from referrals.actors import ActorRef
from referrals.lifecycle import Action, DeadlinePassed, LifecycleError

# Four pages of the inbox: more than anyone ticks by hand, few enough for one request.
MAX_SELECTED = 100


class BulkAction(StrEnum):
    ASSIGN = "assign"
    SKIP = "skip"


class Result(StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"
    CHANGED = "changed"
    NOT_ALLOWED = "not_allowed"
    TOO_LATE = "too_late"
    INVALID = "invalid"


@dataclass(frozen=True)
class Outcome:
    referral_id: int
    result: Result
    errors: dict[str, str] = field(default_factory=dict)


def parse_ids(raw: Iterable[str]) -> list[int]:
    """The selected referral ids in the order given, once each; anything that is not an id is left out."""
    ids: list[int] = []
    for value in raw:
        value = value.strip()
        if value.isdigit() and len(value) < 10 and int(value) not in ids:
            ids.append(int(value))
    return ids


def apply(
    ids: list[int],
    action: BulkAction,
    actor: ActorRef,
    now: datetime,
    assignee_id: int | None = None,
    reason: str = "",
) -> list[Outcome]:
    """`action` on each referral in turn; raises InvalidInput (`check`) before touching any."""
    check(ids, action, now, reason)
    one: Callable[[int], object]
    if action == BulkAction.ASSIGN:

        def one(referral_id: int) -> object:
            return services.assign(referral_id, actor, now, assignee_id)

    else:

        def one(referral_id: int) -> object:
            return services.skip(referral_id, actor, now, reason=reason)

    return [_attempt(referral_id, one) for referral_id in ids]


def check(ids: list[int], action: BulkAction, now: datetime, reason: str = "") -> None:
    """InvalidInput for a selection that is empty or too long, or a reason the action does not take."""
    if not ids:
        raise InvalidInput({"ids": "Select at least one referral."})
    if len(ids) > MAX_SELECTED:
        raise InvalidInput({"ids": f"Select at most {MAX_SELECTED} referrals."})
    if action == BulkAction.SKIP:
        services.validate(Action.SKIP, services.ActionInput(reason=reason), now)


def _attempt(referral_id: int, one: Callable[[int], object]) -> Outcome:
    try:
        one(referral_id)
    except NotFound:
        return Outcome(referral_id, Result.NOT_FOUND)
    except ReferralChanged:
        return Outcome(referral_id, Result.CHANGED)
    except DeadlinePassed:
        return Outcome(referral_id, Result.TOO_LATE)
    except LifecycleError:
        return Outcome(referral_id, Result.NOT_ALLOWED)
    except InvalidInput as exc:
        return Outcome(referral_id, Result.INVALID, exc.errors)
    return Outcome(referral_id, Result.DONE)
