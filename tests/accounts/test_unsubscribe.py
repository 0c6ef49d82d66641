"""One-click unsubscribe (RFC 8058) from partner alerts: the link in List-Unsubscribe, POSTed by a mail program
with no session and no CSRF token, switches that kind of alert off for its recipient and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from notifications import emails
from notifications.models import OutboxMessage
from partners.models import ProfileContact, User
from referrals.timers import sweep
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db
SITE = "https://leadshare.example"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}
H = timedelta(hours=1)


@pytest.fixture(autouse=True)
def site(settings):  # type: ignore[no-untyped-def]
    settings.SITE_ROOT = SITE


@pytest.fixture
def profile():  # type: ignore[no-untyped-def]
    prof = factories.profile(contacts=("olga@partner.example", "sales@partner.example"))
    factories.user(prof.partner, email="olga@partner.example", time_zone="Europe/Berlin")
    return prof


@pytest.fixture
def mail_program():  # type: ignore[no-untyped-def]
    return Client(enforce_csrf_checks=True)  # no session, no CSRF token: what a mail program has


def link(template, to):  # type: ignore[no-untyped-def]
    row = OutboxMessage.objects.filter(template=template, to_address=to).latest("id")
    return emails.render(row).headers["List-Unsubscribe"].strip("<>").removeprefix(SITE)


def preferences(email):  # type: ignore[no-untyped-def]
    return User.objects.filter(email=email).values_list("notify_new_referrals", "notify_reminders").get()


def contact_preferences(email):  # type: ignore[no-untyped-def]
    return list(ProfileContact.objects.filter(email=email).values_list("notify_new_referrals", "notify_reminders"))


def alerted(template):  # type: ignore[no-untyped-def]
    return sorted(OutboxMessage.objects.filter(template=template).values_list("to_address", flat=True))


def test_a_one_click_post_switches_off_new_referral_alerts_for_that_user_only(profile, mail_program):
    response = mail_program.post(link("referral_new", "olga@partner.example") if factories.referral(profile) else "",
                                 ONE_CLICK)  # fmt: skip
    assert response.status_code == 200
    assert "olga@partner.example will no longer get new referral alerts." in response.content.decode()
    assert preferences("olga@partner.example") == (False, True)
    assert contact_preferences("sales@partner.example") == [(True, True)]
    OutboxMessage.objects.all().delete()
    factories.referral(profile)
    assert alerted("referral_new") == ["sales@partner.example"]


def test_a_reminder_link_switches_off_reminders_only(profile, mail_program):
    factories.referral(profile)
    sweep(NOW + 24 * H)
    assert mail_program.post(link("referral_unanswered", "olga@partner.example"), ONE_CLICK).status_code == 200
    assert preferences("olga@partner.example") == (True, False)


def test_a_shared_inbox_that_is_no_users_is_switched_off_on_its_contact(profile, mail_program):
    factories.referral(profile)
    assert mail_program.post(link("referral_new", "sales@partner.example"), ONE_CLICK).status_code == 200
    assert contact_preferences("sales@partner.example") == [(False, True)]
    assert preferences("olga@partner.example") == (True, True)
    OutboxMessage.objects.all().delete()
    factories.referral(profile)
    assert alerted("referral_new") == ["olga@partner.example"]


def test_opening_the_link_only_asks_and_changes_nothing(profile, mail_program):
    factories.referral(profile)
    response = mail_program.get(link("referral_new", "sales@partner.example"))
    assert response.status_code == 200
    assert "Stop sending new referral alerts to sales@partner.example?" in response.content.decode()
    assert '<a href="/settings/">' in response.content.decode()
    assert contact_preferences("sales@partner.example") == [(True, True)]


def test_the_page_speaks_the_recipients_language(mail_program):
    prof = factories.profile(contacts=("olga@sever.example",), contact_language="ru")
    factories.referral(prof)
    response = mail_program.post(link("referral_new", "olga@sever.example"), ONE_CLICK)
    assert "olga@sever.example больше не будет получать уведомления о новых рекомендациях." in response.content.decode()


@pytest.mark.parametrize("spoil", [lambda t: t[:-2] + "xx", lambda t: t.replace(":", "", 1), lambda t: "nonsense"])
def test_a_tampered_link_is_refused_and_nothing_changes(profile, mail_program, spoil):  # type: ignore[no-untyped-def]
    factories.referral(profile)
    token = link("referral_new", "olga@partner.example").split("/")[-2]
    response = mail_program.post(f"/settings/unsubscribe/{spoil(token)}/", ONE_CLICK)
    assert response.status_code == 400
    assert "This unsubscribe link is not valid." in response.content.decode()
    assert (preferences("olga@partner.example"), contact_preferences("sales@partner.example")) == (
        (True, True),
        [(True, True)],
    )


def test_a_link_for_another_partner_changes_nothing_there(profile, mail_program):
    other = factories.profile(contacts=("olga@partner.example",))  # the same address at another partner
    factories.referral(profile)
    assert mail_program.post(link("referral_new", "olga@partner.example"), ONE_CLICK).status_code == 200
    assert ProfileContact.objects.get(profile=other).notify_new_referrals is True
