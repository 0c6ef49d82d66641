"""Real concurrency: threads with their own connections, and several worker processes at once.

Nothing here is simulated: threads race on row locks (PostgreSQL) or on the database write lock
(SQLite, transaction_mode IMMEDIATE), and the process tests start `manage.py sweep` and
`manage.py worker --once` side by side against the test database and a real SMTP server.
"""

from __future__ import annotations

import email
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from kernel.errors import ReferralChanged
from notifications.models import OutboxMessage
from referrals import services
from referrals.actors import ActorRef
from referrals.lifecycle import DeadlinePassed, NotAllowed
from referrals.models import ProfileResponsiveness, Referral, ReferralEvent
from referrals.responsiveness import FIELDS, recompute
from referrals.timers import apply_deadlines, sweep
from tests import clock, factories
from tests.smtp import HOST, free_port

H = timedelta(hours=1)
NOTE = "customer_partner_declined"
ROUNDS = 10
BASE_DIR = Path(settings.BASE_DIR)
pytestmark = pytest.mark.django_db(transaction=True)


# --- Threads ---------------------------------------------------------------------------------------


def race(*calls):
    """Run each call in its own thread (and connection), all released at once; their results or errors."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def transitions(referral):
    return list(
        ReferralEvent.objects.filter(referral=referral).exclude(action="create").values_list("action", flat=True)
    )


def test_two_people_acting_on_one_referral_at_once_one_wins_and_the_other_is_told_it_changed():
    profile = factories.profile()
    alice = ActorRef.person(factories.user(profile.partner))
    bob = ActorRef.person(factories.user(profile.partner))
    winners = Counter()
    for i in range(ROUNDS):
        referral = factories.referral(profile, timezone.now())
        version = 1 if i % 2 else None  # half the time both send the version they saw
        outcomes = race(
            lambda r=referral, v=version: services.mark_interested(r.pk, alice, timezone.now(), expected_version=v),
            lambda r=referral, v=version: services.skip(r.pk, bob, timezone.now(), "no-capacity", expected_version=v),
        )
        won = [o for o in outcomes if isinstance(o, Referral)]
        lost = [o for o in outcomes if not isinstance(o, Referral)]
        assert len(won) == 1, outcomes
        assert len(lost) == 1 and isinstance(lost[0], ReferralChanged if version else (ReferralChanged, NotAllowed))
        after = Referral.objects.get(pk=referral.pk)
        assert (after.state, after.version) == (won[0].state, 2)
        assert transitions(referral) == ["interested" if after.state == "evaluating" else "skip"]
        assert OutboxMessage.objects.filter(referral=referral, template=NOTE).count() == (
            1 if after.state == "skipped" else 0
        )
        winners[after.state] += 1
    stats = ProfileResponsiveness.objects.get(profile=profile)
    assert stats.answered == ROUNDS
    assert {name: getattr(stats, name) for name in FIELDS} == recompute(profile.pk)
    assert sum(winners.values()) == ROUNDS


def test_a_person_acting_at_the_deadline_while_the_sweeper_runs_loses_and_the_deadline_fires_once():
    profile = factories.profile()
    person = ActorRef.person(factories.user(profile.partner))
    for _ in range(ROUNDS):
        created = timezone.now() - 72 * H
        referral = factories.referral(profile, created)
        due = referral.deadline_at
        outcomes = race(
            lambda due=due: sweep(due),
            lambda r=referral, due=due: services.mark_interested(r.pk, person, due),
        )
        assert isinstance(outcomes[1], DeadlinePassed | NotAllowed), outcomes
        assert outcomes[0].moved in (0, 1)
        after = Referral.objects.get(pk=referral.pk)
        assert (after.state, after.missed_at, after.first_answer_at) == ("missed", due, None)
        assert transitions(referral) == ["miss"]
        assert OutboxMessage.objects.filter(referral=referral, template=NOTE).count() == 1
    stats = ProfileResponsiveness.objects.get(profile=profile)
    assert (stats.missed, stats.answered) == (ROUNDS, 0)
    assert {name: getattr(stats, name) for name in FIELDS} == recompute(profile.pk)


class Inbox:
    """A real SMTP server on loopback that keeps the raw messages it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.port = free_port()
        # A fixed server name: by default aiosmtpd asks the resolver for it on every connection.
        self.controller = Controller(self, hostname=HOST, port=self.port, server_hostname="capture.test")

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 Message accepted for delivery"

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    def __enter__(self) -> Inbox:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@pytest.mark.postgres
@pytest.mark.parametrize("bulk_sql", [True, False])
def test_sweepers_and_new_engagements_at_once_never_deadlock_on_the_counters(bulk_sql):
    """Every writer takes the profiles' counter rows in profile order (they used to deadlock).

    The backlog's profiles come in shuffled order, so that concurrent batches of 11 touch
    overlapping sets of counter rows in different orders unless the writers sort them.
    """
    shuffle = random.Random(1729)
    profiles = [factories.profile(contacts=()) for _ in range(10)]
    created = timezone.now().replace(microsecond=0) - 10 * 24 * H
    for _ in range(100):
        factories.engagement(shuffle.sample(profiles, 3), created)
    instant = created + 72 * H

    def create_engagements():
        for _ in range(10):
            factories.engagement(profiles, timezone.now())
        return "created"

    sweepers = [lambda: apply_deadlines(instant, batch=11, bulk_sql=bulk_sql)] * 8
    outcomes = race(*sweepers, create_engagements, create_engagements)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(outcomes[:8]) == 300
    per_referral = Counter(ReferralEvent.objects.filter(action="miss").values_list("referral_id", flat=True))
    assert len(per_referral) == 300 and set(per_referral.values()) == {1}
    for profile in profiles:
        stats = ProfileResponsiveness.objects.get(profile=profile)
        assert {name: getattr(stats, name) for name in FIELDS} == recompute(profile.pk)
        assert stats.received == stats.missed + 20


# --- Processes -------------------------------------------------------------------------------------

# Each process loads Django, says it is ready, and waits for the word before running the command
# exactly as `manage.py` would: so the commands really start together, not a process start-up apart.
LAUNCHER = """
import os, sys, time
from tests.clock import start_from_environment
start_from_environment()
import django
django.setup()
folder, batch = sys.argv[1:3]
if batch:  # smaller batches than production's, so that several processes take turns on one backlog
    from referrals import timers
    timers.sweep.__defaults__ = (int(batch), None)
open(os.path.join(folder, f"ready-{os.getpid()}"), "w").close()
deadline = time.monotonic() + 60
while not os.path.exists(os.path.join(folder, "go")) and time.monotonic() < deadline:
    time.sleep(0.001)
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[3:]])
"""


def database_url():
    """The test database (not the configured one) as a DATABASE_URL for another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    assert connection.vendor == "postgresql"
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def run_together(folder, count, *command, email_url="console:", batch=None):
    """Start `count` processes of one management command, release them at once, and wait for all."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        stale.unlink()
    env = clock.environment(os.environ) | {
        "DJANGO_SETTINGS_MODULE": "leadshare.settings",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url(),
        "DATA_DIR": str(folder.parent / "data"),
        "EMAIL_URL": email_url,
        "LOG_LEVEL": "WARNING",
    }
    processes = [
        subprocess.Popen(  # our own interpreter and arguments
            [sys.executable, "-c", LAUNCHER, str(folder), str(batch or ""), *command],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(folder.glob("ready-*"))) < count and time.monotonic() < deadline:
            if any(p.poll() is not None for p in processes):
                break  # one failed to start: its error is reported below
            time.sleep(0.01)
        (folder / "go").touch()
        results = [p.communicate(timeout=120) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
    for p, (_out, err) in zip(processes, results, strict=True):
        assert p.returncode == 0, err
    return [out for out, _err in results]


def due_referrals(total=300, per_engagement=10):
    """`total` new referrals, all due at the same instant (in the past), one customer contact each."""
    profiles = [factories.profile(contacts=(f"alerts{i}@partner.example",)) for i in range(per_engagement)]
    created = timezone.now().replace(microsecond=0) - 10 * 24 * H
    for _ in range(total // per_engagement):
        factories.engagement(profiles, created)
    return profiles, created + 72 * H


def assert_each_deadline_fired_once(profiles, instant, total):
    assert Referral.objects.count() == total
    assert set(Referral.objects.values_list("state", "missed_at", "state_entered_at")) == {("missed", instant, instant)}
    per_referral = Counter(ReferralEvent.objects.filter(action="miss").values_list("referral_id", flat=True))
    assert len(per_referral) == total and set(per_referral.values()) == {1}
    assert set(ReferralEvent.objects.filter(action="miss").values_list("at", "actor_kind")) == {(instant, "system")}
    notes = OutboxMessage.objects.filter(template=NOTE).values("referral_id").annotate(n=Count("id"))
    assert len(notes) == total and {row["n"] for row in notes} == {1}
    assert not OutboxMessage.objects.exclude(template__in=(NOTE, "referral_new")).exists()  # no reminders
    for profile in profiles:
        stats = ProfileResponsiveness.objects.get(profile=profile)
        assert {name: getattr(stats, name) for name in FIELDS} == recompute(profile.pk)
        assert (stats.received, stats.missed) == (total // len(profiles), total // len(profiles))


@pytest.mark.parametrize("batch", [None, 5])
def test_three_sweep_processes_racing_apply_each_deadline_exactly_once(tmp_path, batch):
    """On PostgreSQL they share the work through SKIP LOCKED; SQLite lets one writer in at a time.

    With the production batch one process claims the whole backlog and the others find it taken;
    with batches of 5 they take turns (on PostgreSQL; SQLite tends to let one writer keep the lock).
    """
    profiles, instant = due_referrals()
    outputs = run_together(tmp_path / "sweep", 3, "sweep", "--at", instant.isoformat(), batch=batch)
    at = instant.isoformat()
    moved = [int(out.split("moved ")[1].split(",")[0]) for out in outputs]
    assert all(out.startswith(f"sweep at {at}: moved ") and out.endswith(", reminded 0\n") for out in outputs)
    assert sum(moved) == 300, outputs
    assert_each_deadline_fired_once(profiles, instant, 300)


def test_three_workers_racing_deliver_every_outbox_email_exactly_once(tmp_path):
    profiles, instant = due_referrals(total=150)
    sweep(instant)
    assert_each_deadline_fired_once(profiles, instant, 150)
    expected = {message.message_id: message.to_address for message in OutboxMessage.objects.all()}
    assert len(expected) == 300  # one alert to the partner and one note to the customer per referral
    with Inbox() as server:
        # Started together, the workers all reach for the same batch of 100: a round sends about 100.
        for _round in range(10):
            if not OutboxMessage.objects.filter(due_at__isnull=False).exists():
                break
            run_together(tmp_path / "worker", 3, "worker", "--once", email_url=server.url)
        received = [(str(m["Message-ID"]), str(m["To"])) for m in server.messages]
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert not OutboxMessage.objects.filter(failed_at__isnull=False).exists()
    assert len(received) == len(set(received)) == 300, Counter(received).most_common(3)
    assert dict(received) == expected
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
