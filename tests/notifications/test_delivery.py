"""Delivery bookkeeping against a real SMTP server: sent, retried, given up, claimed, due."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem

from notifications import delivery
from notifications.delivery import MAX_ATTEMPTS, deliver_due
from notifications.models import OutboxMessage
from tests import factories
from tests.clock import Clock
from tests.factories import NOW
from tests.smtp import HOST, free_port

S = timedelta(seconds=1)
MIN = timedelta(minutes=1)
THREE_CONTACTS = ("a@nordlicht.example", "b@nordlicht.example", "c@nordlicht.example")
pytestmark = pytest.mark.django_db


def only_row() -> OutboxMessage:
    [row] = OutboxMessage.objects.all()
    return row


def bookkeeping(row: OutboxMessage) -> tuple:
    row.refresh_from_db()
    return (row.sent_at, row.due_at, row.claimed_until, row.attempts, row.failed_at, row.last_error)


@pytest.fixture
def alert(db):
    """One referral with one partner contact: exactly one outbox row, due at NOW."""
    factories.referral(factories.profile(contacts=("alerts@nordlicht.example",)))
    return only_row()


def test_a_sent_message_gets_its_sent_time_and_is_no_longer_due(smtp_server, alert):
    assert deliver_due(NOW + S) == 1
    assert [m["Message-ID"] for m in smtp_server.messages] == [alert.message_id]
    assert bookkeeping(alert) == (NOW + S, None, None, 1, None, "")


def test_the_sent_time_comes_from_the_clock_when_one_is_given(smtp_server, alert):
    assert deliver_due(NOW, clock=lambda: NOW + 3 * S) == 1
    assert bookkeeping(alert) == (NOW + 3 * S, None, None, 1, None, "")


def test_a_refused_message_stays_unsent_and_is_retried_a_minute_later(smtp_server, alert):
    smtp_server.refuse("451 try later")
    assert deliver_due(NOW) == 0
    assert smtp_server.messages == []
    assert bookkeeping(alert) == (None, NOW + MIN, None, 1, None, "SMTPDataError: (451, b'try later')")

    smtp_server.refuse(None)
    assert deliver_due(NOW + MIN - S) == 0  # not yet: nothing read, nothing sent, nothing changed
    assert smtp_server.messages == []
    assert bookkeeping(alert) == (None, NOW + MIN, None, 1, None, "SMTPDataError: (451, b'try later')")

    assert deliver_due(NOW + MIN) == 1
    assert [m["Message-ID"] for m in smtp_server.messages] == [alert.message_id]
    assert bookkeeping(alert) == (NOW + MIN, None, None, 2, None, "")


def test_an_unreachable_server_is_retried_with_growing_delays_and_given_up_after_the_last_attempt(settings, alert):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = HOST, free_port(), 5  # nobody listens
    delays = []
    at = NOW
    for _attempt in range(MAX_ATTEMPTS - 1):
        assert deliver_due(at) == 0
        alert.refresh_from_db()
        delays.append((alert.due_at - at) // MIN)
        at = alert.due_at
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 240, 240, 240]
    assert deliver_due(at) == 0
    error = "ConnectionRefusedError: [Errno 111] Connection refused"
    assert bookkeeping(alert) == (None, None, None, MAX_ATTEMPTS, at, error)
    # Given up: never read again.
    assert deliver_due(at + timedelta(days=30)) == 0
    assert bookkeeping(alert) == (None, None, None, MAX_ATTEMPTS, at, error)


def test_a_message_another_worker_has_claimed_is_not_sent_until_its_lease_runs_out(smtp_server, alert):
    OutboxMessage.objects.filter(pk=alert.pk).update(claimed_until=NOW + 30 * S, attempts=1)
    assert deliver_due(NOW + 30 * S) == 0
    assert smtp_server.messages == []
    assert bookkeeping(alert) == (None, NOW, NOW + 30 * S, 1, None, "")

    assert deliver_due(NOW + 31 * S) == 1
    assert [m["Message-ID"] for m in smtp_server.messages] == [alert.message_id]
    assert bookkeeping(alert) == (NOW + 31 * S, None, None, 2, None, "")


def test_only_due_messages_are_read(smtp_server, django_assert_num_queries):
    factories.referral(factories.profile(contacts=THREE_CONTACTS))
    later, sent, given_up = OutboxMessage.objects.order_by("id")
    OutboxMessage.objects.filter(pk=later.pk).update(due_at=NOW + MIN)
    OutboxMessage.objects.filter(pk=sent.pk).update(due_at=None, sent_at=NOW, attempts=1)
    OutboxMessage.objects.filter(pk=given_up.pk).update(due_at=None, failed_at=NOW, attempts=MAX_ATTEMPTS)
    before = [bookkeeping(r) for r in (later, sent, given_up)]
    with django_assert_num_queries(1):  # the one look for due rows, which finds none
        assert deliver_due(NOW + MIN - S) == 0
    assert smtp_server.messages == []
    assert [bookkeeping(r) for r in (later, sent, given_up)] == before


def test_one_pass_sends_at_most_its_limit_the_longest_due_first(smtp_server):
    factories.referral(factories.profile(contacts=THREE_CONTACTS))
    a, _b, _c = OutboxMessage.objects.order_by("id")
    OutboxMessage.objects.filter(pk=a.pk).update(due_at=NOW + S)
    assert deliver_due(NOW + S, limit=2) == 2
    assert [m["To"] for m in smtp_server.messages] == ["b@nordlicht.example", "c@nordlicht.example"]
    assert bookkeeping(a) == (None, NOW + S, None, 0, None, "")


def test_a_webhook_row_is_left_to_its_own_worker(smtp_server, alert):
    OutboxMessage.objects.filter(pk=alert.pk).update(channel=OutboxMessage.Channel.WEBHOOK)
    assert deliver_due(NOW) == 0
    assert smtp_server.messages == []
    assert bookkeeping(alert) == (None, NOW, None, 0, None, "")


def test_a_row_that_cannot_be_rendered_is_recorded_as_failed_and_nothing_is_sent(smtp_server, alert):
    OutboxMessage.objects.filter(pk=alert.pk).update(template="no_such_template")
    assert deliver_due(NOW) == 0
    assert smtp_server.messages == []
    assert bookkeeping(alert) == (None, NOW + MIN, None, 1, None, "UnknownTemplate: no_such_template")


def test_a_late_failure_does_not_unsend_a_message_another_worker_has_sent(alert):
    # This worker's lease ran out mid-send; another worker claimed the row, sent it and marked it sent.
    OutboxMessage.objects.filter(pk=alert.pk).update(attempts=2, sent_at=NOW + 2 * MIN, due_at=None)
    alert.attempts = 1
    delivery.mark_failed(alert, NOW + 3 * MIN, "TimeoutError: timed out")
    assert bookkeeping(alert) == (NOW + 2 * MIN, None, None, 2, None, "")


class SlowBackend(locmem.EmailBackend):
    """Django's in-memory backend, with each message taking the time `on_send` makes the test clock move."""

    on_send: Callable[[], None] = staticmethod(lambda: None)

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        SlowBackend.on_send()
        return super().send_messages(messages)


def test_a_second_worker_starting_during_a_long_pass_sends_no_message_the_first_is_sending(settings, monkeypatch):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.SlowBackend"
    settings.OUTBOX_LEASE_SECONDS, settings.OUTBOX_PASS_SECONDS = 60, 3600
    factories.referral(factories.profile(contacts=THREE_CONTACTS))
    clock = Clock(NOW)  # the wall clock both workers read
    second_worker = []

    def send_taking_40_seconds():  # the second worker starts 66 s into the first one's pass
        clock.advance(26 * S)
        if clock() == NOW + 66 * S and not second_worker:
            second_worker.append(deliver_due(clock(), clock=clock))
        clock.advance(14 * S)

    monkeypatch.setattr(SlowBackend, "on_send", staticmethod(send_taking_40_seconds))
    first_worker = deliver_due(NOW, clock=clock)
    sent = [m.to[0] for m in mail.outbox]
    # The second worker sent c@ while the first was still sending b@: the first worker's lease on b@ ran
    # from its claim at NOW + 40 s, not from the start of its pass (which would have run out at NOW + 60 s).
    assert sent == ["a@nordlicht.example", "c@nordlicht.example", "b@nordlicht.example"]
    assert (first_worker, second_worker) == (2, [1])
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [1, 1, 1]
