"""Webhook events: queued with the change, signed, delivered at least once, retried, logged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications import webhooks
from notifications.models import OutboxMessage, Webhook, WebhookDelivery
from referrals import services
from referrals.actors import ActorRef
from referrals.timers import sweep
from tests import factories
from tests.factories import NOW
from tests.receiver import Receiver

pytestmark = pytest.mark.django_db
SECRET = "whsec_test_secret_0123456789"
H = timedelta(hours=1)


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 5


def hook_for(profile, url, events=("referral.created", "referral.updated")):
    return Webhook.objects.create(partner=profile.partner, url=url, events=list(events), secret=SECRET, created_at=NOW)


def events_of(hook):
    return list(OutboxMessage.objects.filter(webhook=hook).order_by("id").values_list("template", "referral_id"))


def test_a_new_referral_and_each_change_queue_one_event_per_subscribed_webhook(profile, admin_user):
    hook = hook_for(profile, "http://127.0.0.1:9/x")
    only_updates = hook_for(profile, "http://127.0.0.1:9/y", events=("referral.updated",))
    referral = factories.referral(profile)
    services.mark_interested(referral.pk, ActorRef.person(admin_user), NOW + H)
    assert events_of(hook) == [("referral.created", referral.pk), ("referral.updated", referral.pk)]
    assert events_of(only_updates) == [("referral.updated", referral.pk)]


def test_another_partners_webhook_hears_nothing(profile):
    other = hook_for(factories.profile(), "http://127.0.0.1:9/z")
    factories.referral(profile)
    assert events_of(other) == []


def test_an_inactive_webhook_hears_nothing(profile):
    hook = hook_for(profile, "http://127.0.0.1:9/x")
    Webhook.objects.filter(pk=hook.pk).update(active=False)
    factories.referral(profile)
    assert events_of(hook) == []


def test_the_timer_queues_an_update_event(profile):
    hook = hook_for(profile, "http://127.0.0.1:9/x", events=("referral.updated",))
    referral = factories.referral(profile)
    sweep(NOW + 72 * H)
    assert events_of(hook) == [("referral.updated", referral.pk)]


def test_a_signed_event_reaches_an_independent_receiver_that_verifies_it(profile):
    with Receiver(SECRET) as receiver:
        hook = hook_for(profile, receiver.url)
        referral = factories.referral(profile)
        assert webhooks.deliver_due(NOW) == 1
    assert receiver.verified == [True]
    event = receiver.received[0]["body"]
    row = OutboxMessage.objects.get(webhook=hook)
    assert (event["id"], event["type"], event["data"]["referral"]["id"]) == (
        f"evt_{row.pk}",
        "referral.created",
        referral.pk,
    )
    assert event["data"]["referral"]["customer"]["contacts"] is None
    assert receiver.received[0]["headers"]["Leadshare-Event-Id"] == f"evt_{row.pk}"
    row.refresh_from_db()
    assert (row.sent_at, row.due_at, row.attempts) == (NOW, None, 1)
    log = WebhookDelivery.objects.get(webhook=hook)
    assert (log.event_id, log.status_code, log.ok, log.attempt) == (f"evt_{row.pk}", 200, True, 1)


def test_a_receiver_that_fails_twice_gets_the_same_event_a_third_time_with_backoff(profile):
    with Receiver(SECRET, fail_first=2) as receiver:
        hook = hook_for(profile, receiver.url, events=("referral.created",))
        factories.referral(profile)
        assert webhooks.deliver_due(NOW) == 0
        row = OutboxMessage.objects.get(webhook=hook)
        assert (row.due_at, row.attempts, row.last_error) == (NOW + timedelta(seconds=30), 1, "HTTP 500")
        assert webhooks.deliver_due(NOW + timedelta(seconds=29)) == 0  # not due yet: nothing sent
        assert len(receiver.received) == 1
        assert webhooks.deliver_due(NOW + timedelta(seconds=30)) == 0
        row.refresh_from_db()
        assert row.due_at == NOW + timedelta(seconds=30 + 60)
        assert webhooks.deliver_due(NOW + timedelta(seconds=90)) == 1
    ids = {r["body"]["id"] for r in receiver.received}
    assert (len(receiver.received), ids) == (3, {f"evt_{row.pk}"})
    log = list(WebhookDelivery.objects.filter(webhook=hook).order_by("at").values_list("attempt", "status_code", "ok"))
    assert log == [(1, 500, False), (2, 500, False), (3, 200, True)]


def test_an_event_is_given_up_after_a_day(profile):
    hook = hook_for(profile, "http://127.0.0.1:9/closed", events=("referral.created",))
    factories.referral(profile)
    row = OutboxMessage.objects.get(webhook=hook)
    OutboxMessage.objects.filter(pk=row.pk).update(attempts=20, due_at=NOW + 23 * H)
    webhooks.deliver_due(NOW + 23 * H)
    row.refresh_from_db()
    assert (row.due_at, row.failed_at, row.sent_at) == (None, NOW + 23 * H, None)
    assert row.last_error.startswith("URLError")


def test_a_private_address_is_refused_when_not_allowed(settings, profile):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(webhooks.UnsafeUrl, match="not a public address"):
        webhooks.check_url("http://127.0.0.1:8000/x")
    with pytest.raises(webhooks.UnsafeUrl, match="http:// or https://"):
        webhooks.check_url("ftp://example.com/x")


def test_the_signature_covers_the_timestamp_and_the_body():
    assert webhooks.sign("k", 1700000000, b"{}") == (
        "t=1700000000,v1=" + __import__("hmac").new(b"k", b"1700000000.{}", "sha256").hexdigest()
    )
