"""Who may do what: every permission as a named predicate, the one place roles are read.

Views, API handlers, services and the navigation ask these; none compares `user.role` itself. A
predicate answers False for anonymous and deactivated users, so callers need not check that first.
Which rows a user may read is `referrals.access` (queries), which asks `referral_scope` here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from partners.models import OPERATOR_ROLES, Role, User

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from referrals.models import Referral

Scope = Literal["all", "partner", "member"]

# The partner roles that answer referrals: the only people a referral may be assigned to.
REFERRAL_WORKERS = frozenset({Role.REFERRALS_ADMIN, Role.REFERRALS_USER})
PROFILE_EDITORS = frozenset({Role.REFERRALS_ADMIN, Role.PROFILE_ADMIN})


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(user.is_active)


def _partner_member(user: Any, roles: frozenset[Role]) -> bool:
    return _signed_in(user) and user.partner_id is not None and user.role in roles


# --- The operator's staff ---------------------------------------------------------------------------


def is_operator(user: Any) -> bool:
    """One of the operator's agents or programme admins (the console's people)."""
    return _signed_in(user) and user.role in OPERATOR_ROLES


def is_programme_admin(user: Any) -> bool:
    """May manage partner organisations, the programme's settings, the spam queue and the reports."""
    return _signed_in(user) and user.role == Role.PROGRAMME_ADMIN


# --- A partner's people -----------------------------------------------------------------------------


def is_referrals_admin(user: Any) -> bool:
    return _partner_member(user, frozenset({Role.REFERRALS_ADMIN}))


def works_referrals(user: Any) -> bool:
    """A partner's referrals admin or referrals user: answers referrals and may be assigned one."""
    return _partner_member(user, REFERRAL_WORKERS)


def can_assign(user: Any) -> bool:
    """May assign the partner's referrals to its members."""
    return is_referrals_admin(user)


def can_manage_team(user: Any) -> bool:
    """May invite, change the role of and deactivate the partner's people."""
    return is_referrals_admin(user)


def can_import_referrals(user: Any) -> bool:
    """May import referrals from Partner Center."""
    return is_referrals_admin(user)


def can_edit_profiles(user: Any) -> bool:
    """May create, edit and delete the partner's business profiles."""
    return _partner_member(user, PROFILE_EDITORS)


def can_read_scorecard(user: Any) -> bool:
    return works_referrals(user)


def can_create_integrations(user: Any) -> bool:
    """Integrations act with the creator's role. A referrals user's access follows assignments to them
    in person, which an integration cannot have, so they use personal tokens only."""
    return _signed_in(user) and user.role != Role.REFERRALS_USER


# --- Referrals --------------------------------------------------------------------------------------


def referral_scope(user: Any) -> Scope | None:
    """Which referrals this user may open: all of them (operators), the partner's ("partner"), the partner's
    assigned to the user or at a location the user covers ("member"), or none (None)."""
    if is_operator(user):
        return "all"
    if is_referrals_admin(user):
        return "partner"
    if works_referrals(user):
        return "member"
    return None


def can_open_referrals(user: Any) -> bool:
    return referral_scope(user) is not None


def can_work_referral(user: Any, referral: Referral) -> bool:
    """May this user take actions on the referral (answer, accept, close, edit notes)? Operators read only."""
    found = referral_scope(user)
    if found == "partner":
        return bool(user.partner_id == referral.partner_id)
    if found == "member":
        from referrals.access import visible_referrals  # access asks referral_scope above

        return visible_referrals(user).filter(pk=referral.pk).exists()
    return False


def can_assign_referral(user: Any, referral: Referral) -> bool:
    return can_assign(user) and user.partner_id == referral.partner_id


def assignable_members(referral: Referral) -> QuerySet[User]:
    """The people a referral may be assigned to: its partner's active referrals admins and users, who can
    all then open it (a profile admin could not)."""
    return partner_assignees(referral.partner_id)


def partner_assignees(partner_id: int | None) -> QuerySet[User]:
    """The people any referral of this partner may be assigned to (`assignable_members` of each)."""
    if partner_id is None:
        return User.objects.none()
    return User.objects.filter(partner_id=partner_id, is_active=True, role__in=REFERRAL_WORKERS).order_by("email")


def can_bulk_answer(user: Any) -> bool:
    """May select several referrals in the inbox and act on them together (each one is still checked)."""
    return works_referrals(user)
