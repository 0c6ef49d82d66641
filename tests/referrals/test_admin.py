"""The Django admin shows referrals, engagements, counters and the programme but never changes them: only the
services do."""

from __future__ import annotations

import pytest

from notifications.models import OutboxMessage
from partners.models import Role
from referrals.models import ProfileResponsiveness, Programme, Referral, ReferralEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    user = factories.user(None, role=Role.PROGRAMME_ADMIN, email="root@operator.example", is_staff=True)
    user.is_superuser = True
    user.save()
    client.force_login(user)
    return user


def test_the_admin_shows_a_referral_without_a_field_to_edit(client, superuser, referral):
    response = client.get(f"/admin/referrals/referral/{referral.pk}/change/")
    assert response.status_code == 200
    assert not response.context["adminform"].form.fields
    assert 'name="notes"' not in response.content.decode()
    assert 'name="assignee"' not in response.content.decode()


def test_saving_notes_or_an_assignee_through_the_admin_is_refused_and_changes_nothing(client, superuser, referral):
    colleague = factories.user(referral.partner, role=Role.REFERRALS_USER, email="bob@partner.example")
    outbox_before = OutboxMessage.objects.count()
    response = client.post(
        f"/admin/referrals/referral/{referral.pk}/change/", {"notes": "Edited in the admin", "assignee": colleague.pk}
    )
    assert response.status_code == 403
    after = Referral.objects.get(pk=referral.pk)
    assert (after.notes, after.assignee_id, after.version) == ("", None, 1)
    assert list(ReferralEvent.objects.filter(referral=referral).values_list("action", flat=True)) == ["create"]
    assert OutboxMessage.objects.count() == outbox_before


def test_referrals_and_counters_cannot_be_added_or_deleted_in_the_admin(client, superuser, referral):
    stats = ProfileResponsiveness.objects.get(profile=referral.profile)
    assert client.get("/admin/referrals/referral/add/").status_code == 403
    assert client.post(f"/admin/referrals/referral/{referral.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.post(f"/admin/referrals/profileresponsiveness/{stats.pk}/change/", {"received": 99})
    assert response.status_code == 403
    assert ProfileResponsiveness.objects.get(pk=stats.pk).received == 1
    assert Referral.objects.filter(pk=referral.pk).exists()


def test_an_engagement_and_the_programme_cannot_be_edited_in_the_admin(client, superuser, referral):
    engagement = referral.engagement
    response = client.post(
        f"/admin/referrals/engagement/{engagement.pk}/change/",
        {"customer_company": "Edited", "budget_amount": "100", "budget_currency": ""},
    )
    assert response.status_code == 403
    engagement.refresh_from_db()
    assert engagement.customer_company == "Contoso GmbH"
    assert client.get("/admin/referrals/engagement/add/").status_code == 403
    programme = Programme.objects.get()
    response = client.post(f"/admin/referrals/programme/{programme.pk}/change/", {"new_deadline_hours": 1})
    assert response.status_code == 403
    assert Programme.objects.get().new_deadline_hours == 72
