"""The team of a partner organisation, a user's own settings and the sign-in rate limit.

Every team change is scoped to the acting admin's partner: a user of another partner is NotFound,
never "forbidden", so that its existence is not revealed.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from datetime import datetime
from functools import cache

from django.core.cache import cache as django_cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kernel.errors import InvalidInput
from notifications import outbox
from partners.models import Location, Role, User
from partners.services import INTEGRATION_DOMAIN, NotFound
from referrals import permissions

TEAM_ROLES = (Role.REFERRALS_ADMIN, Role.REFERRALS_USER, Role.PROFILE_ADMIN)
ROLE_LABELS = {
    Role.REFERRALS_ADMIN: gettext_lazy("Referrals admin"),
    Role.REFERRALS_USER: gettext_lazy("Referrals user"),
    Role.PROFILE_ADMIN: gettext_lazy("Profile admin"),
    Role.AGENT: gettext_lazy("Operator agent"),
    Role.PROGRAMME_ADMIN: gettext_lazy("Programme admin"),
}
LANGUAGE_CODES = ("en", "ru")

# Sign-in rate limit: this many failures for one e-mail address from one IP address lock that pair out
# until the window since the first failure has passed.
SIGN_IN_MAX_FAILURES = 5
SIGN_IN_WINDOW_SECONDS = 15 * 60


# --- Who may do what ---------------------------------------------------------------------------


def require_team_admin(user: User) -> int:
    """The id of the partner whose team the user manages; PermissionDenied for everyone else."""
    if not permissions.can_manage_team(user) or user.partner_id is None:
        raise PermissionDenied("Only a partner's referrals admin manages the team.")
    return user.partner_id


def team_of(admin: User) -> QuerySet[User]:
    """The people of the admin's partner, without the service users of API integrations."""
    partner_id = require_team_admin(admin)
    return (
        User.objects.filter(partner_id=partner_id)
        .exclude(email__endswith="@" + INTEGRATION_DOMAIN)
        .prefetch_related("locations")
        .order_by("email")
    )


def partner_locations(admin: User) -> QuerySet[Location]:
    partner_id = require_team_admin(admin)
    return (
        Location.objects.filter(profile__partner_id=partner_id)
        .select_related("profile")
        .order_by("profile__country", "city", "id")
    )


def get_member(admin: User, user_id: int) -> User:
    member = team_of(admin).filter(pk=user_id).first()
    if member is None:
        raise NotFound("No such team member.")
    return member


def _active_admins(partner_id: int) -> QuerySet[User]:
    return User.objects.filter(partner_id=partner_id, role=Role.REFERRALS_ADMIN, is_active=True)


# --- Team changes ------------------------------------------------------------------------------


def _inviter_name(admin: User) -> str:
    return admin.get_full_name() or admin.email


def invite_member(admin: User, email: str, role: str, language: str, now: datetime) -> User:
    """A new member of the admin's partner, invited by e-mail to set a password (through the outbox)."""
    partner_id = require_team_admin(admin)
    email = email.strip().lower()
    errors: dict[str, str] = {}
    if role not in TEAM_ROLES:
        errors["role"] = _("Choose one of the roles in the list.")
    if language not in LANGUAGE_CODES:
        errors["language"] = _("Choose English or Russian.")
    if email.endswith("@" + INTEGRATION_DOMAIN):
        errors["email"] = _("Enter a valid e-mail address.")
    if errors:
        raise InvalidInput(errors)
    taken = InvalidInput({"email": _("Someone already has an account with this e-mail address.")})
    if User.objects.filter(email__iexact=email).exists():
        raise taken
    try:
        with transaction.atomic():
            member = User.objects.create_user(email, None, partner_id=partner_id, role=role, language=language)
            outbox.add(
                [
                    outbox.email(
                        outbox.TEAM_INVITATION,
                        member.email,
                        language,
                        now,
                        user_id=member.pk,
                        inviter=_inviter_name(admin),
                    )
                ]
            )
    except IntegrityError:
        raise taken from None  # the same address, invited at the same moment
    return member


def resend_invitation(admin: User, user_id: int, now: datetime) -> None:
    """Send the invitation again to a member who has not set a password yet."""
    member = get_member(admin, user_id)
    if member.has_usable_password() or not member.is_active:
        raise InvalidInput({"member": _("This member has already set a password.")})
    outbox.add(
        [
            outbox.email(
                outbox.TEAM_INVITATION,
                member.email,
                member.language,
                now,
                user_id=member.pk,
                inviter=_inviter_name(admin),
            )
        ]
    )


def change_role(admin: User, user_id: int, role: str) -> User:
    partner_id = require_team_admin(admin)
    if role not in TEAM_ROLES:
        raise InvalidInput({"role": _("Choose one of the roles in the list.")})
    with transaction.atomic():
        member = get_member(admin, user_id)
        # Lock the partner's admins so that two admins demoting each other cannot leave none.
        admins = list(_active_admins(partner_id).select_for_update().values_list("pk", flat=True))
        if member.role == Role.REFERRALS_ADMIN and role != Role.REFERRALS_ADMIN and admins == [member.pk]:
            raise InvalidInput({"role": _("Your organisation needs at least one referrals admin.")})
        User.objects.filter(pk=member.pk).update(role=role)
    member.role = role
    return member


def set_active(admin: User, user_id: int, active: bool) -> User:
    """Deactivate (the member can no longer sign in; their history stays) or reactivate a member."""
    partner_id = require_team_admin(admin)
    with transaction.atomic():
        member = get_member(admin, user_id)
        if not active and member.pk == admin.pk:
            raise InvalidInput({"member": _("You cannot deactivate yourself.")})
        admins = list(_active_admins(partner_id).select_for_update().values_list("pk", flat=True))
        if not active and admins == [member.pk]:
            raise InvalidInput({"member": _("Your organisation needs at least one referrals admin.")})
        User.objects.filter(pk=member.pk).update(is_active=active)
    member.is_active = active
    return member


def set_locations(admin: User, user_id: int, location_ids: list[int]) -> User:
    """The locations whose referrals (and alerts) this member covers: the partner's own locations only."""
    require_team_admin(admin)
    wanted = set(location_ids)
    allowed = set(partner_locations(admin).filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - allowed:
        raise InvalidInput({"locations": _("Choose locations of your own organisation.")})
    with transaction.atomic():
        member = get_member(admin, user_id)
        member.locations.set(sorted(allowed))
    return member


# --- A user's own settings ---------------------------------------------------------------------


@cache
def time_zones() -> tuple[str, ...]:
    # The tz database's names, without the aliases of the machine's own setting.
    return tuple(sorted(zoneinfo.available_timezones() - {"localtime", "posixrules", "Factory"}))


def update_settings(
    user: User, language: str, time_zone: str, notify_new_referrals: bool, notify_reminders: bool
) -> User:
    errors: dict[str, str] = {}
    if language not in LANGUAGE_CODES:
        errors["language"] = _("Choose English or Russian.")
    if time_zone not in time_zones():
        errors["time_zone"] = _("Choose a time zone from the list, such as Europe/Berlin.")
    if errors:
        raise InvalidInput(errors)
    fields = {
        "language": language,
        "time_zone": time_zone,
        "notify_new_referrals": notify_new_referrals,
        "notify_reminders": notify_reminders,
    }
    User.objects.filter(pk=user.pk).update(**fields)
    for name, value in fields.items():
        setattr(user, name, value)
    return user


# --- Sign-in rate limit ------------------------------------------------------------------------


def _sign_in_key(email: str, ip: str) -> str:
    digest = hashlib.sha256(f"{email.strip().lower()}|{ip}".encode()).hexdigest()
    return f"sign-in-failures:{digest}"


def sign_in_locked(email: str, ip: str) -> bool:
    return int(django_cache.get(_sign_in_key(email, ip), 0)) >= SIGN_IN_MAX_FAILURES


def record_sign_in_failure(email: str, ip: str) -> None:
    key = _sign_in_key(email, ip)
    # add() starts the window at the first failure; incr() keeps its expiry.
    if not django_cache.add(key, 1, SIGN_IN_WINDOW_SECONDS):
        try:
            django_cache.incr(key)
        except ValueError:  # expired between add() and incr()
            django_cache.add(key, 1, SIGN_IN_WINDOW_SECONDS)


def clear_sign_in_failures(email: str, ip: str) -> None:
    django_cache.delete(_sign_in_key(email, ip))


def window_minutes() -> int:
    return SIGN_IN_WINDOW_SECONDS // 60
