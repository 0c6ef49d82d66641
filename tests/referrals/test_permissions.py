"""Who may do what, for every role: the one table views, API, services and the navigation ask."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from partners.models import Role
from referrals import permissions
from referrals.access import visible_referrals
from tests import factories

pytestmark = pytest.mark.django_db

PREDICATES = (
    "is_operator",
    "is_programme_admin",
    "works_referrals",
    "can_assign",
    "can_manage_team",
    "can_import_referrals",
    "can_edit_profiles",
    "can_read_scorecard",
    "can_create_integrations",
    "can_open_referrals",
)
# Written out by hand from docs/architecture.md's roles, not computed: one row per role, in PREDICATES' order.
EXPECTED = {
    Role.REFERRALS_ADMIN: (False, False, True, True, True, True, True, True, True, True),
    Role.REFERRALS_USER: (False, False, True, False, False, False, False, True, False, True),
    Role.PROFILE_ADMIN: (False, False, False, False, False, False, True, False, True, False),
    Role.AGENT: (True, False, False, False, False, False, False, False, True, True),
    Role.PROGRAMME_ADMIN: (True, True, False, False, False, False, False, False, True, True),
}


def answers(user):
    return tuple(getattr(permissions, name)(user) for name in PREDICATES)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_may_do_exactly_what_the_table_says(role):
    assert answers(factories.user(role=role)) == EXPECTED[role]


@pytest.mark.parametrize("role", list(Role))
def test_a_deactivated_user_may_do_nothing(role):
    assert answers(factories.user(role=role, is_active=False)) == (False,) * len(PREDICATES)


def test_an_anonymous_visitor_may_do_nothing():
    assert answers(AnonymousUser()) == (False,) * len(PREDICATES)


def test_everyone_a_referral_may_be_assigned_to_can_open_and_work_it(referral):
    partner = referral.partner
    for role in Role:
        factories.user(partner if role not in (Role.AGENT, Role.PROGRAMME_ADMIN) else None, role=role)
    factories.user(partner, role=Role.REFERRALS_USER, is_active=False)
    factories.user(role=Role.REFERRALS_USER)  # another partner's
    members = list(permissions.assignable_members(referral))
    assert sorted(m.role for m in members) == [Role.REFERRALS_ADMIN, Role.REFERRALS_USER]
    for member in members:
        referral.assignee = member
        referral.save(update_fields=["assignee"])
        assert visible_referrals(member).filter(pk=referral.pk).exists()
        assert permissions.can_work_referral(member, referral)


def test_operators_see_every_referral_but_work_none(referral):
    agent = factories.user(role=Role.AGENT)
    assert visible_referrals(agent).filter(pk=referral.pk).exists()
    assert not permissions.can_work_referral(agent, referral)
    assert not permissions.can_assign_referral(agent, referral)


def test_a_referrals_admin_assigns_only_their_own_partners_referrals(referral):
    assert permissions.can_assign_referral(factories.user(referral.partner), referral)
    assert not permissions.can_assign_referral(factories.user(), referral)
