"""Webhook events: queued with the change, signed, delivered at least once, retried, logged."""

from __future__ import annotations

import base64
import socket
import ssl
from datetime import timedelta

import pytest
import standardwebhooks
import stripe
import time_machine

from notifications import egress, webhook_schemas, webhook_service, webhooks
from notifications.models import OutboxMessage, Webhook, WebhookDelivery
from referrals import services
from referrals.actors import ActorRef
from referrals.timers import sweep
from tests import factories
from tests.clock import Clock
from tests.factories import NOW
from tests.receiver import Receiver

pytestmark = pytest.mark.django_db
SECRET = "whsec_test_secret_0123456789"
H = timedelta(hours=1)
S = timedelta(seconds=1)
PUBLIC = "93.184.216.34"  # what crm.test answers to the check; the connection is diverted to a local receiver


@pytest.fixture(autouse=True)
def short_timeout(settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 5  # receivers on 127.0.0.1: a test host (leadshare/settings_test.py)


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
    assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"


def test_the_signature_covers_the_timestamp_and_the_body():
    assert webhooks.sign("k", 1700000000, b"{}") == (
        "t=1700000000,v1=" + __import__("hmac").new(b"k", b"1700000000.{}", "sha256").hexdigest()
    )


# --- Off-the-shelf verifiers: Standard Webhooks' library and Stripe's, on deliveries as they arrived ---------

STANDARD_SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()


def delivered(secret, send=lambda hook: webhooks.ping(hook, NOW), at=NOW, of=None):
    """What the one event `send` queues put on the wire: (raw body, headers). `of`: the profile whose partner
    owns the webhook."""
    with Receiver(secret) as receiver:
        hook = Webhook.objects.create(
            partner=(of or factories.profile()).partner, url=receiver.url, events=list(Webhook.EVENTS),
            secret=secret, created_at=NOW,
        )  # fmt: skip
        send(hook)
        assert webhooks.deliver_due(at) == 1
    [request] = receiver.received
    return request["raw"], request["headers"]


def only_event():
    return f"evt_{OutboxMessage.objects.get(channel='webhook').pk}"


def standard_verify(secret, raw, headers):
    return standardwebhooks.Webhook(secret).verify(raw, headers)


def stripe_verify(secret, raw, headers):
    return stripe.WebhookSignature.verify_header(raw.decode(), headers["Leadshare-Signature"], secret, tolerance=300)


def test_a_delivery_verifies_with_the_standard_webhooks_library_and_with_stripes_verifier(profile):
    raw, headers = delivered(STANDARD_SECRET, lambda hook: factories.referral(profile), of=profile)
    event = only_event()
    assert standard_verify(STANDARD_SECRET, raw, headers)["id"] == event
    assert stripe_verify(STANDARD_SECRET, raw, headers) is True
    assert (headers["webhook-id"], headers["Leadshare-Event-Id"], headers["webhook-timestamp"]) == (
        event,
        event,
        str(int(NOW.timestamp())),
    )
    assert headers["Leadshare-Signature"].startswith(f"t={int(NOW.timestamp())},v1=")


def test_the_standard_signature_is_the_base64_hmac_of_id_timestamp_and_body_with_the_decoded_key():
    raw, headers = delivered(STANDARD_SECRET)
    signed = f"{only_event()}.{int(NOW.timestamp())}.".encode() + raw
    digest = __import__("hmac").new(bytes(range(32)), signed, "sha256").digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(digest).decode()


@pytest.mark.parametrize("secret", ["whsec_test_secret_0123456789", "a partner's own secret", "whsec_"])
def test_a_secret_not_in_standard_form_verifies_as_whsec_and_the_base64_of_its_bytes(secret):
    raw, headers = delivered(secret)
    as_standard = "whsec_" + base64.b64encode(secret.encode()).decode()
    assert standard_verify(as_standard, raw, headers) == {
        "id": only_event(),
        "type": "ping",
        "created_at": NOW.isoformat().replace("+00:00", "Z"),
        "data": {},
    }
    assert stripe_verify(secret, raw, headers) is True


def test_new_secrets_are_in_the_standard_form_that_every_library_takes_as_is():
    secret = webhook_service.new_secret()
    assert (secret[:6], len(base64.b64decode(secret[6:], validate=True))) == ("whsec_", 32)
    raw, headers = delivered(secret)
    assert standard_verify(secret, raw, headers)["type"] == "ping"


def test_a_changed_body_or_another_secret_fails_both_verifiers():
    raw, headers = delivered(STANDARD_SECRET)
    tampered = raw.replace(b'"ping"', b'"pong"')
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standard_verify(STANDARD_SECRET, tampered, headers)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe_verify(STANDARD_SECRET, tampered, headers)
    other = "whsec_" + base64.b64encode(bytes(32)).decode()
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standard_verify(other, raw, headers)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe_verify(other, raw, headers)


# --- Rotation: both secrets sign until the time the admin chose ------------------------------------------------

OLD = STANDARD_SECRET
NEW = "whsec_" + base64.b64encode(bytes(range(100, 132))).decode()


def rotated(hook):
    Webhook.objects.filter(pk=hook.pk).update(secret=NEW, previous_secret=OLD, previous_secret_until=NOW + H)
    hook.refresh_from_db()
    return webhooks.ping(hook, NOW)


def test_during_the_overlap_each_event_carries_both_signatures_and_either_secret_verifies():
    raw, headers = delivered(OLD, rotated, at=NOW + H - S)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert headers["Leadshare-Signature"].count(",v1=") == 2
    with time_machine.travel(NOW + H - S, tick=False):
        for secret in (OLD, NEW):
            assert standard_verify(secret, raw, headers)["type"] == "ping"
            assert stripe_verify(secret, raw, headers) is True


def test_after_the_overlap_only_the_new_secret_signs():
    raw, headers = delivered(OLD, rotated, at=NOW + H)
    assert len(headers["webhook-signature"].split(" ")) == 1
    with time_machine.travel(NOW + H, tick=False):
        assert standard_verify(NEW, raw, headers)["type"] == "ping"
        assert stripe_verify(NEW, raw, headers) is True
        with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
            standard_verify(OLD, raw, headers)
        with pytest.raises(stripe.SignatureVerificationError):
            stripe_verify(OLD, raw, headers)


def stamps(receiver):
    headers = [r["headers"][webhooks.SIGNATURE_HEADER] for r in receiver.received]
    return [int(dict(item.split("=", 1) for item in header.split(","))["t"]) for header in headers]


@pytest.fixture
def public_address_leads_to(monkeypatch):
    """Connections to PUBLIC reach the given local port instead; every other connection is left alone."""
    real = socket.create_connection
    local = {}

    def create_connection(address, *args, **kwargs):  # type: ignore[no-untyped-def]
        host, port = address[:2]
        return real(("127.0.0.1", local["port"]) if host == PUBLIC else (host, port), *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return local


def test_an_event_goes_to_the_address_that_was_checked_when_the_name_then_resolves_to_an_internal_one(
    profile, dns, public_address_leads_to
):
    with Receiver(SECRET) as checked, Receiver(SECRET) as internal:
        public_address_leads_to["port"] = checked.port
        # The first answer passes the check; an attacker's DNS answers loopback from then on.
        dns.answer("crm.test", [PUBLIC], ["127.0.0.1"])
        hook = hook_for(profile, f"http://crm.test:{internal.port}/in")
        factories.referral(profile)
        assert webhooks.deliver_due(NOW) == 1
    assert internal.received == []
    assert [r["headers"]["Host"] for r in checked.received] == [f"crm.test:{internal.port}"]
    assert dns.asked["crm.test"] == 1
    row = OutboxMessage.objects.get(webhook=hook)
    assert (row.sent_at, row.due_at) == (NOW, None)


def test_https_speaks_tls_to_the_host_name_while_connecting_to_the_checked_address(
    profile, dns, public_address_leads_to, monkeypatch
):
    names = []

    class RefusingTls:
        def wrap_socket(self, sock, server_hostname):  # type: ignore[no-untyped-def]
            names.append((sock.getpeername()[0], server_hostname))
            raise ssl.SSLCertVerificationError("certificate verify failed: Hostname mismatch")

    monkeypatch.setattr(egress, "_TLS", RefusingTls())
    with Receiver(SECRET) as receiver:
        public_address_leads_to["port"] = receiver.port
        dns.answer("crm.test", [PUBLIC])
        hook = hook_for(profile, "https://crm.test/in")
        factories.referral(profile)
        assert webhooks.deliver_due(NOW) == 0
    assert receiver.received == []
    assert names == [("127.0.0.1", "crm.test")]
    row = OutboxMessage.objects.get(webhook=hook)
    assert (row.sent_at, row.due_at, row.attempts) == (None, NOW + 30 * S, 1)
    assert row.last_error.startswith("SSLCertVerificationError: ")


def test_an_internal_address_is_refused_at_delivery_too_and_nothing_is_sent(settings, profile):
    with Receiver(SECRET) as receiver:
        hook = hook_for(profile, receiver.url)
        factories.referral(profile)
        settings.WEBHOOK_TEST_HOSTS = []
        assert webhooks.deliver_due(NOW) == 0
    assert receiver.received == []
    row = OutboxMessage.objects.get(webhook=hook)
    assert (row.sent_at, row.due_at, row.last_error) == (
        None,
        NOW + 30 * S,
        "UnsafeUrl: The host 127.0.0.1 is not a public address.",
    )


def test_a_slow_receiver_holds_up_only_its_own_events(settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    slow_partner, other_partner = factories.profile(), factories.profile()
    with Receiver(SECRET, delay=1.5) as slow, Receiver(SECRET) as fast:
        slow_hook, fast_hook = hook_for(slow_partner, slow.url), hook_for(other_partner, fast.url)
        tests = [webhooks.ping(slow_hook, NOW) for _ in range(30)]
        other = webhooks.ping(fast_hook, NOW)
        assert webhooks.deliver_due(NOW) == 1
    assert (len(slow.received), len(fast.received)) == (1, 1)
    first, *rest = OutboxMessage.objects.filter(pk__in=[t.pk for t in tests]).order_by("id")
    assert (first.due_at, first.attempts, first.last_error[:13]) == (NOW + 30 * S, 1, "TimeoutError:")
    # The slow endpoint's other events were not even claimed: they wait for the next pass.
    assert {(r.due_at, r.claimed_until, r.attempts) for r in rest} == {(NOW, None, 0)}
    other.refresh_from_db()
    assert (other.sent_at, other.due_at) == (NOW, None)


def test_no_event_is_started_once_the_pass_has_spent_its_time(settings, profile):
    settings.OUTBOX_PASS_SECONDS = 30
    clock = Clock(NOW)
    with Receiver(SECRET, on_request=lambda: clock.advance(20 * S)) as receiver:
        hook = hook_for(profile, receiver.url)
        first, second, third = (webhooks.ping(hook, NOW) for _ in range(3))
        assert webhooks.deliver_due(NOW, clock=clock) == 2
    assert [r["body"]["id"] for r in receiver.received] == [f"evt_{first.pk}", f"evt_{second.pk}"]
    third.refresh_from_db()
    assert (third.due_at, third.claimed_until, third.attempts, third.sent_at) == (NOW, None, 0, None)


def test_each_event_is_signed_and_stamped_when_it_is_sent_not_when_the_pass_began(settings, profile):
    settings.OUTBOX_PASS_SECONDS = 3600
    clock = Clock(NOW)
    with Receiver(SECRET, on_request=lambda: clock.advance(400 * S)) as receiver:
        hook = hook_for(profile, receiver.url)
        first, second = webhooks.ping(hook, NOW), webhooks.ping(hook, NOW)
        assert webhooks.deliver_due(NOW, clock=clock) == 2
    # A receiver allows 300 s (docs/webhooks.md): the second, signed at the pass's start, would be refused.
    assert stamps(receiver) == [int(NOW.timestamp()), int((NOW + 400 * S).timestamp())]
    assert receiver.verified == [True, True]
    log = WebhookDelivery.objects.filter(webhook=hook).order_by("id").values_list("event_id", "at")
    assert list(log) == [(f"evt_{first.pk}", NOW + 400 * S), (f"evt_{second.pk}", NOW + 800 * S)]


def test_a_switched_off_webhook_gets_none_of_the_events_queued_for_it(profile):
    with Receiver(SECRET) as receiver:
        hook = hook_for(profile, receiver.url)
        factories.referral(profile)
        Webhook.objects.filter(pk=hook.pk).update(active=False)
        assert webhooks.deliver_due(NOW) == 0
    assert receiver.received == []
    row = OutboxMessage.objects.get(webhook=hook)
    assert (row.sent_at, row.due_at, row.claimed_until, row.failed_at, row.last_error) == (
        None,
        None,
        None,
        NOW,
        "Not sent: the webhook is switched off.",
    )
    assert WebhookDelivery.objects.count() == 0


# --- What happened: data.change -----------------------------------------------------------------------------


def at(instant):
    return instant.isoformat().replace("+00:00", "Z")


def test_each_event_says_what_happened_and_no_two_events_of_a_referral_read_alike(profile, admin_user):
    person = ActorRef.person(admin_user)
    with Receiver(SECRET) as receiver:
        hook_for(profile, receiver.url)
        referral = factories.referral(profile)
        services.mark_interested(referral.pk, person, NOW + H)
        services.update_notes(referral.pk, person, NOW + 2 * H, "Called them")
        sweep(NOW + H + 7 * 24 * H)  # evaluating expires 7 days after it began
        assert webhooks.deliver_due(NOW + 200 * H) == 4
    events = [r["body"] for r in receiver.received]
    user = {"kind": "user", "label": "admin@partner.example"}
    timer = {"kind": "system", "label": "timer"}
    assert [(e["type"], e["data"]["change"]) for e in events] == [
        ("referral.created", {"action": "create", "from": None, "to": "new", "at": at(NOW), "version": 1,
                              "actor": {"kind": "system", "label": "test"}}),
        ("referral.updated", {"action": "interested", "from": "new", "to": "evaluating", "at": at(NOW + H),
                              "version": 2, "actor": user}),
        ("referral.updated", {"action": "edit", "from": "evaluating", "to": "evaluating", "at": at(NOW + 2 * H),
                              "version": 3, "actor": user}),
        ("referral.updated", {"action": "expire", "from": "evaluating", "to": "expired",
                              "at": at(NOW + H + 7 * 24 * H), "version": 4, "actor": timer}),
    ]  # fmt: skip
    # What is sent is what the OpenAPI document's webhooks section describes.
    assert [webhook_schemas.ReferralEvent.model_validate(e).data.change.version for e in events] == [1, 2, 3, 4]
    # The referral is sent as it is at delivery, so only data.change tells the events apart.
    assert {e["data"]["referral"]["state"] for e in events} == {"expired"}
    assert len({repr(e["data"]) for e in events}) == 4


def test_a_ping_describes_no_change():
    _raw, headers = delivered(SECRET)
    assert headers["Leadshare-Event-Type"] == "ping"
    assert OutboxMessage.objects.get(channel="webhook").payload == {}
