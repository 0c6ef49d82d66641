"""Team members who switched an alert off do not get it; shared inboxes always do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications.models import OutboxMessage
from partners.models import ProfileContact
from referrals.timers import sweep
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile():
    return factories.profile(contacts=("sales@partner.example", "Olga@Partner.example"))


def addresses(template):
    return list(OutboxMessage.objects.filter(template=template).order_by("id").values_list("to_address", flat=True))


def test_a_member_who_switched_off_new_referral_alerts_gets_none_and_the_shared_inbox_still_does(profile):
    factories.user(profile.partner, email="olga@partner.example", notify_new_referrals=False)
    factories.referral(profile)
    assert addresses("referral_new") == ["sales@partner.example"]


def test_a_member_who_keeps_alerts_on_gets_them(profile):
    factories.user(profile.partner, email="olga@partner.example")
    factories.referral(profile)
    assert addresses("referral_new") == ["sales@partner.example", "Olga@Partner.example"]


def test_a_member_who_switched_off_reminders_still_gets_new_referral_alerts_but_no_reminders(profile):
    factories.user(profile.partner, email="olga@partner.example", notify_reminders=False)
    factories.referral(profile)
    sweep(NOW + timedelta(hours=24))
    assert addresses("referral_new") == ["sales@partner.example", "Olga@Partner.example"]
    assert addresses("referral_unanswered") == ["sales@partner.example"]


def test_a_user_of_another_partner_with_the_same_address_mutes_nothing(profile):
    factories.user(email="olga@partner.example", notify_new_referrals=False)  # another partner's user
    factories.referral(profile)
    assert addresses("referral_new") == ["sales@partner.example", "Olga@Partner.example"]


def test_a_member_covering_the_referrals_location_gets_its_alerts_in_their_language(profile):
    member = factories.user(profile.partner, role="referrals_user", email="ivan@partner.example", language="ru")
    member.locations.set(profile.locations.all())
    factories.referral(profile)
    sweep(NOW + timedelta(hours=24))
    sent = OutboxMessage.objects.filter(to_address="ivan@partner.example").order_by("id")
    assert list(sent.values_list("template", "language")) == [("referral_new", "ru"), ("referral_unanswered", "ru")]


def test_a_member_covering_another_location_gets_nothing(profile):
    member = factories.user(profile.partner, role="referrals_user", email="ivan@partner.example")
    other = factories.profile(profile.partner, country="AT", city="Vienna")
    member.locations.set(other.locations.all())
    factories.referral(profile)
    assert not OutboxMessage.objects.filter(to_address="ivan@partner.example").exists()


def test_a_covering_member_who_is_also_a_contact_gets_each_alert_once(profile):
    member = factories.user(profile.partner, role="referrals_user", email="olga@partner.example")
    member.locations.set(profile.locations.all())
    factories.referral(profile)
    assert addresses("referral_new") == ["sales@partner.example", "Olga@Partner.example"]


def test_a_shared_inbox_that_unsubscribed_gets_no_more_alerts_of_that_kind_but_the_other_kind(profile):
    ProfileContact.objects.filter(email="sales@partner.example").update(notify_new_referrals=False)
    referral = factories.referral(profile)
    sweep(referral.created_at + timedelta(hours=24))
    assert (addresses("referral_new"), addresses("referral_unanswered")) == (
        ["Olga@Partner.example"],
        ["sales@partner.example", "Olga@Partner.example"],
    )
