"""Who is acting: a person in the browser, an API client, or the platform's timer."""

from __future__ import annotations

from dataclasses import dataclass

from partners.models import User
from referrals.lifecycle import Actor


@dataclass(frozen=True)
class ActorRef:
    kind: Actor
    user: User | None = None
    label: str = ""

    @classmethod
    def system(cls, label: str = "timer") -> ActorRef:
        return cls(Actor.SYSTEM, None, label)

    @classmethod
    def person(cls, user: User) -> ActorRef:
        return cls(Actor.USER, user, user.email)

    @classmethod
    def api(cls, user: User, client: str = "") -> ActorRef:
        return cls(Actor.API, user, client or user.email)


def shown(kind: str, label: str) -> str:
    """Who acted, as the partner reads it (API history, webhooks): a person's address, an API client's name, or
    the platform's part that acted ("timer", "partner finder", "cascade", "customer"; "timer" if unnamed)."""
    return label or ("timer" if kind == Actor.SYSTEM else "")
