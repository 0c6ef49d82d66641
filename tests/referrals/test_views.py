"""The referral pages: they parse, call the services, and render; errors change nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from referrals.models import Referral, ReferralEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh(profile):
    return factories.referral(profile, now=timezone.now())


@pytest.fixture
def signed_in(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_inbox_lists_new_referrals_without_the_customers_identity(signed_in, fresh):
    response = signed_in.get("/referrals/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"/referrals/{fresh.pk}/" in body
    assert "Contoso GmbH" not in body and "anna@contoso.example" not in body


def test_the_inbox_needs_a_signed_in_user(client, fresh):
    response = client.get("/referrals/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/referrals/")


def test_a_new_referral_page_shows_the_overview_and_no_contacts(signed_in, fresh):
    body = signed_in.get(f"/referrals/{fresh.pk}/").content.decode()
    assert "Move 200 mailboxes to the cloud" in body
    for secret in ("Anna Schmidt", "anna@contoso.example", "+49 30 1234567", "Contoso GmbH", "Alexanderplatz 1"):
        assert secret not in body


def test_interested_reveals_the_contacts(signed_in, fresh):
    response = signed_in.post(f"/referrals/{fresh.pk}/interested/", {"version": "1"})
    assert (response.status_code, response["Location"]) == (302, f"/referrals/{fresh.pk}/")
    body = signed_in.get(f"/referrals/{fresh.pk}/").content.decode()
    assert "anna@contoso.example" in body and "+49 30 1234567" in body


def test_accept_without_a_value_shows_the_field_error_and_changes_nothing(signed_in, fresh):
    signed_in.post(f"/referrals/{fresh.pk}/interested/", {"version": "1"})
    response = signed_in.post(
        f"/referrals/{fresh.pk}/accept/", {"version": "2", "deal_value": "", "currency": "EUR", "expected_close_date": "2099-01-01"}
    )
    assert response.status_code == 422
    assert "Enter the amount." in response.content.decode()
    after = Referral.objects.get(pk=fresh.pk)
    assert (after.state, after.version, after.deal_value) == ("evaluating", 2, None)


def test_a_stale_form_is_told_the_referral_changed_and_changes_nothing(signed_in, fresh):
    signed_in.post(f"/referrals/{fresh.pk}/interested/", {"version": "1"})
    events = ReferralEvent.objects.count()
    response = signed_in.post(f"/referrals/{fresh.pk}/skip/", {"version": "1"}, follow=True)
    assert "This referral changed while you were looking at it" in response.content.decode()
    assert Referral.objects.get(pk=fresh.pk).state == "evaluating"
    assert ReferralEvent.objects.count() == events
    assert not OutboxMessage.objects.filter(template="customer_partner_declined").exists()


def test_another_partners_referral_is_not_found_on_every_page(client, fresh):
    client.force_login(factories.user(email="other@another.example"))
    assert client.get(f"/referrals/{fresh.pk}/").status_code == 404
    assert client.post(f"/referrals/{fresh.pk}/interested/", {"version": "1"}).status_code == 404
    assert f"/referrals/{fresh.pk}/" not in client.get("/referrals/").content.decode()
    assert Referral.objects.get(pk=fresh.pk).state == "new"


def test_an_unknown_action_is_not_found(signed_in, fresh):
    assert signed_in.post(f"/referrals/{fresh.pk}/explode/").status_code == 404
    assert Referral.objects.get(pk=fresh.pk).version == 1


def test_the_customer_link_lists_other_partners_but_never_those_already_asked(client, profile):
    other = factories.profile(country="DE")
    engagement = factories.engagement([profile])
    body = client.get(f"/partners/?request={engagement.public_token}").content.decode()
    assert other.partner.name in body
    assert profile.partner.name not in body
