"""The operators' commands: `sweep --at` on a chosen instant, and one pass of the worker."""

from __future__ import annotations

import signal
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from notifications.models import OutboxMessage
from referrals.models import Referral, ReferralEvent
from tests import factories
from tests.factories import NOW

H = timedelta(hours=1)
DEADLINE = NOW + 72 * H  # of a referral created at NOW


def run(*args, **options):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def state_of_everything():
    return (
        list(Referral.objects.order_by("id").values_list()),
        list(ReferralEvent.objects.order_by("id").values_list()),
        list(OutboxMessage.objects.order_by("id").values_list()),
    )


@pytest.mark.django_db
def test_sweep_at_an_instant_applies_what_is_due_then_and_says_how_much(profile):
    due_then = factories.referral(profile, NOW)  # deadline exactly at DEADLINE
    later = factories.referral(profile, NOW + H)  # deadline an hour later; both reminders owed
    out = run("sweep", at=f"{DEADLINE:%Y-%m-%dT%H:%M:%S}Z")
    assert out == f"sweep at {DEADLINE.isoformat()}: moved 1, reminded 1\n"
    assert Referral.objects.get(pk=due_then.pk).state == "missed"
    assert Referral.objects.get(pk=later.pk).state == "new"
    assert ReferralEvent.objects.filter(action="miss").values_list("referral_id", "at").get() == (
        due_then.pk,
        NOW + 72 * H,
    )
    # Only the latest reminder owed is sent.
    assert list(
        OutboxMessage.objects.filter(referral=later).exclude(template="referral_new").values_list("template")
    ) == [("referral_deadline_soon",)]
    an_hour_later = (DEADLINE + H).isoformat()
    assert run("sweep", at=an_hour_later) == f"sweep at {an_hour_later}: moved 1, reminded 0\n"


@pytest.mark.django_db
def test_sweep_accepts_any_time_zone_and_means_the_same_instant(profile):
    referral = factories.referral(profile, NOW)
    moscow = timezone.get_fixed_timezone(180)
    assert "moved 0" in run("sweep", at=(DEADLINE - timedelta(seconds=1)).astimezone(moscow).isoformat())
    assert "moved 1" in run("sweep", at=DEADLINE.astimezone(moscow).isoformat())
    assert Referral.objects.get(pk=referral.pk).missed_at == NOW + 72 * H


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-12-04T09:00:00", "--at needs a time zone, such as 2026-12-03T10:00:00Z"),
        ("2026-12-04", "--at needs a time zone, such as 2026-12-03T10:00:00Z"),
        ("garbage", "--at 'garbage' is not an ISO 8601 time such as 2026-12-03T10:00:00Z"),
        ("2026-13-04T09:00:00Z", "--at '2026-13-04T09:00:00Z' is not an ISO 8601 time such as 2026-12-03T10:00:00Z"),
    ],
)
def test_sweep_with_a_bad_instant_refuses_plainly_and_changes_nothing(profile, value, message):
    factories.referral(profile, NOW - 30 * 24 * H)  # long overdue: any sweep would move it
    before = state_of_everything()
    with pytest.raises(CommandError) as caught:
        run("sweep", at=value)
    assert str(caught.value) == message
    assert caught.value.returncode == 2
    assert state_of_everything() == before


@pytest.fixture
def signal_handlers():
    """The worker installs SIGTERM/SIGINT handlers; put pytest's back afterwards."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


# The worker closes stale connections between passes, which a test wrapped in a transaction forbids.
@pytest.mark.django_db(transaction=True)
def test_worker_once_does_one_pass_sweeps_and_delivers_then_exits(signal_handlers):
    profile = factories.profile(contacts=("alerts@partner.example",))
    created = timezone.now().replace(microsecond=0) - 4 * 24 * H
    referral = factories.referral(profile, created)
    mail.outbox.clear()
    out = run("worker", once=True)
    assert out == "worker: moved 1, reminded 0, sent 2\n"
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.missed_at) == ("missed", created + 72 * H)
    assert sorted((m.to[0], m.extra_headers["Auto-Submitted"]) for m in mail.outbox) == [
        ("alerts@partner.example", "auto-generated"),
        ("anna@contoso.example", "auto-generated"),
    ]
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    # A second pass finds nothing to do and says so.
    assert run("worker", once=True) == "worker: moved 0, reminded 0, sent 0\n"
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_worker_once_at_an_instant_runs_the_whole_pass_then_and_delivers_what_it_caused(signal_handlers):
    profile = factories.profile(contacts=("alerts@partner.example",))
    referral = factories.referral(profile, NOW)
    OutboxMessage.objects.all().delete()
    mail.outbox.clear()
    out = run("worker", once=True, at=f"{DEADLINE:%Y-%m-%dT%H:%M:%S}Z")
    assert out == "worker: moved 1, reminded 0, sent 1\n"
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.missed_at) == ("missed", DEADLINE)
    # The customer hears that the partner did not answer in time, sent on the moved clock (it runs on from
    # the instant given while the pass goes).
    assert [m.to for m in mail.outbox] == [["anna@contoso.example"]]
    (template, sent_at), *others = OutboxMessage.objects.values_list("template", "sent_at")
    assert (template, others) == ("customer_partner_declined", [])
    assert DEADLINE <= sent_at < DEADLINE + timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"once": True, "at": "garbage"}, "--at 'garbage' is not an ISO 8601 time such as 2026-12-03T10:00:00Z"),
        ({"once": True, "at": f"{DEADLINE:%Y-%m-%dT%H:%M:%S}"}, "--at needs a time zone, such as 2026-12-03T10:00:00Z"),
        ({"at": f"{DEADLINE:%Y-%m-%dT%H:%M:%S}Z"}, "--at needs --once: one pass runs at the instant given"),
    ],
)
def test_worker_with_a_bad_instant_refuses_with_exit_code_2_and_does_nothing(signal_handlers, options, message):
    factories.referral(factories.profile(contacts=("alerts@partner.example",)), NOW - 30 * 24 * H)
    mail.outbox.clear()
    before = state_of_everything()
    with pytest.raises(CommandError) as caught:
        run("worker", **options)
    assert (str(caught.value), caught.value.returncode) == (message, 2)
    assert state_of_everything() == before
    assert mail.outbox == []
