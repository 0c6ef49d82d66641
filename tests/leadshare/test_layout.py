"""The layout every page shares (templates/base.html): the favicon, and notices that look like what they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Referral, ReferralEvent
from tests import factories

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_links_the_favicon_and_old_browsers_asking_for_favicon_ico_are_sent_to_it(client):
    page = client.get("/partners/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/favicon.svg")
    assert (ROOT / "static" / "favicon.svg").read_text().startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_an_error_notice_is_an_alert_styled_as_an_error_and_changes_nothing(client):
    profile = factories.profile()
    client.force_login(factories.user(profile.partner))
    referral = factories.referral(profile, now=timezone.now())
    services.skip(referral.pk, ActorRef.system("test"), timezone.now())
    before = (
        Referral.objects.get(pk=referral.pk).version,
        ReferralEvent.objects.count(),
        OutboxMessage.objects.count(),
    )

    response = client.post(f"/referrals/{referral.pk}/interested/", {"version": "2"}, follow=True)

    body = response.content.decode()
    assert '<section role="alert" class="ls-message error">This is not possible for this referral any more.' in body
    assert (
        Referral.objects.get(pk=referral.pk).version,
        ReferralEvent.objects.count(),
        OutboxMessage.objects.count(),
    ) == before
    css = (ROOT / "static" / "css" / "base.css").read_text()
    assert (
        ".ls-message.error { border-left-color: var(--ls-danger-fill); background: var(--ls-bad-background); "
        "color: var(--ls-bad-color); }"
    ) in css
    assert "--ls-danger-fill: #b3261e;" in css and "--ls-bad-background: #fdeceb; --ls-bad-color: #5f1410;" in css


def test_a_success_notice_is_a_status_styled_as_a_success(client):
    profile = factories.profile()
    client.force_login(factories.user(profile.partner))
    referral = factories.referral(profile, now=timezone.now())

    response = client.post(f"/referrals/{referral.pk}/interested/", {"version": "1"}, follow=True)

    assert '<section role="status" class="ls-message success">' in response.content.decode()
    assert Referral.objects.get(pk=referral.pk).state == "evaluating"
