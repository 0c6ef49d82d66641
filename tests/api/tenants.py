"""Two partners' worlds for the API-wide tests: people of every partner role with tokens, a profile,
and referrals in most states, all made through the services. Every text a partner owns carries its
label, so a response that shows any of partner B's data to partner A can be found by that label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.utils import timezone

from partners import tokens
from partners.models import ApiToken, BusinessProfile, Partner, Role, User
from referrals import services
from referrals.actors import ActorRef
from referrals.lifecycle import Action
from referrals.models import Engagement, Referral
from referrals.validation import ActionInput
from tests import factories

PARTNER_ROLES = (Role.REFERRALS_ADMIN, Role.REFERRALS_USER, Role.PROFILE_ADMIN)

# (state, the actions that lead there from new)
STORIES: tuple[tuple[str, tuple[tuple[Action, ActionInput], ...]], ...] = (
    ("new", ()),
    ("new", ()),
    ("evaluating", ((Action.INTERESTED, ActionInput()),)),
    (
        "negotiating",
        (
            (Action.INTERESTED, ActionInput()),
            (Action.ACCEPT, ActionInput(deal_value=Decimal("5000"), currency="EUR", expected_close_date="2099-01-31")),
        ),
    ),
    (
        "won",
        (
            (Action.INTERESTED, ActionInput()),
            (Action.ACCEPT, ActionInput(deal_value=Decimal("7000"), currency="EUR", expected_close_date="2099-01-31")),
            (Action.WIN, ActionInput(final_value=Decimal("7100"))),
        ),
    ),
    ("skipped", ((Action.SKIP, ActionInput(reason="no-capacity")),)),
    ("declined", ((Action.INTERESTED, ActionInput()), (Action.DECLINE, ActionInput(reason="duplicate")))),
)


@dataclass
class Tenant:
    label: str
    partner: Partner
    profile: BusinessProfile
    users: dict[str, User]
    tokens: dict[str, str]  # role -> the plain token of that role's user
    api_tokens: dict[str, ApiToken]
    referrals: list[Referral] = field(default_factory=list)
    # Objects of models other people add (e.g. webhooks), by kind.
    extra: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def admin(self) -> User:
        return self.users[Role.REFERRALS_ADMIN]

    @property
    def engagements(self) -> list[Engagement]:
        return [r.engagement for r in self.referrals]

    def marker(self) -> str:
        """Found (case-insensitively) in every text this partner owns."""
        return self.label.lower()


def tenant(label: str, country: str = "DE") -> Tenant:
    """A partner called `label` with a profile in `country`, one user and token per partner role, referrals."""
    now = timezone.now()
    slug = label.lower()
    partner = factories.partner(name=f"{label} Partner", country=country)
    profile = factories.profile(partner, country=country, contacts=(f"alerts@{slug}.example",), city=f"{label} City")
    BusinessProfile.objects.filter(pk=profile.pk).update(description=f"{label} profile")
    users, plain, issued = {}, {}, {}
    for role in PARTNER_ROLES:
        users[role] = factories.user(partner, role=role, email=f"{role}@{slug}.example")
        issued[role], plain[role] = tokens.issue(users[role], f"{label} {role} token", now)
    admin = users[Role.REFERRALS_ADMIN]
    # The referrals user works the referrals of the profile's location.
    users[Role.REFERRALS_USER].locations.add(*profile.locations.all())
    world = Tenant(label, partner, profile, users, plain, issued)
    for i, (_state, actions) in enumerate(STORIES):
        referral = factories.referral(
            profile,
            now=now - timedelta(minutes=len(STORIES) - i),
            company=f"{label} Customer {i}",
            contacts=[services.ContactInput(f"{label} Contact", f"contact{i}@{slug}.example", "+49 30 1")],
            need=f"{label} needs mailboxes moved",
        )
        actor = ActorRef.person(admin)
        for action, data in actions:
            services.perform(referral.pk, action, actor, now, data)
        services.update_notes(referral.pk, actor, now, f"{label} notes")
        referral.refresh_from_db()
        world.referrals.append(referral)
    assert [r.state for r in world.referrals] == [state for state, _ in STORIES]
    world.extra["webhooks"] = _webhooks_of(world, now)
    return world


def _webhooks_of(world: Tenant, now: Any) -> list[Any]:
    """A webhook of the partner (notifications.Webhook), if that model exists."""
    try:
        webhook = apps.get_model("notifications", "Webhook")
    except LookupError:
        return []
    slug = world.label.lower()
    hook = webhook.objects.create(
        partner=world.partner,
        url=f"https://hooks.{slug}.example/in",
        events=["referral.created"],
        secret=f"{slug}-secret-0123456789",
        created_at=now,
    )
    return [hook]


def operator(email: str = "ops@operator.example") -> tuple[User, str]:
    user = factories.user(None, role=Role.PROGRAMME_ADMIN, email=email)
    _token, plain = tokens.issue(user, "operator token", timezone.now())
    return user, plain


# --- Objects by the name of the path parameter that names them ----------------------------------


def _webhooks(world: Tenant) -> list[Any]:
    return [row.pk for row in world.extra.get("webhooks", [])]


ID_KINDS: dict[str, Callable[[Tenant], list[Any]]] = {
    "referral_id": lambda w: [r.pk for r in w.referrals],
    "engagement_id": lambda w: [e.pk for e in w.engagements],
    "public_token": lambda w: [e.public_token for e in w.engagements],
    "profile_id": lambda w: [w.profile.pk],
    "partner_id": lambda w: [w.partner.pk],
    "token_id": lambda w: [t.pk for t in w.api_tokens.values()],
    "user_id": lambda w: [u.pk for u in w.users.values()],
    "member_id": lambda w: [u.pk for u in w.users.values()],
    "location_id": lambda w: [loc.pk for loc in w.profile.locations.all()],
    "webhook_id": _webhooks,
}


def kind_of(path: str, name: str) -> str | None:
    """The ID_KINDS key a path parameter stands for: its own name, or for `{id}` the collection before it
    (`/referrals/{id}` -> referral_id). None if unknown."""
    if name in ID_KINDS:
        return name
    if name in ("id", "pk"):
        segments = path.split("/")
        index = segments.index("{" + name + "}")
        if index > 0:
            collection = segments[index - 1]
            singular = collection[:-1] if collection.endswith("s") else collection
            if f"{singular}_id" in ID_KINDS:
                return f"{singular}_id"
    return None
