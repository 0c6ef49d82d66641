"""The sweeper on a moved clock: deadlines, reminders, catch-up after downtime, and its cost."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications.models import OutboxMessage, Webhook
from partners.models import ProfileContact
from referrals import services
from referrals.actors import ActorRef
from referrals.lifecycle import Action, DeadlinePassed, State
from referrals.models import Engagement, ProfileResponsiveness, Programme, Referral, ReferralEvent
from referrals.responsiveness import FIELDS, recompute
from referrals.timers import SweepResult, apply_deadlines, sweep
from tests import factories
from tests.factories import NOW

H = timedelta(hours=1)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)
NOTE = "customer_partner_declined"
UNANSWERED = "referral_unanswered"
SOON = "referral_deadline_soon"
pytestmark = pytest.mark.django_db

REFERRAL_FIELDS = [f.attname for f in Referral._meta.concrete_fields]
OUTBOX_FIELDS = [f.attname for f in OutboxMessage._meta.concrete_fields if f.attname != "id"]


def snapshot():
    """Everything a sweep may write, to compare before and after."""
    return (
        list(Referral.objects.order_by("id").values_list(*REFERRAL_FIELDS)),
        list(ReferralEvent.objects.order_by("id").values_list()),
        list(OutboxMessage.objects.order_by("id").values_list()),
        list(ProfileResponsiveness.objects.order_by("id").values_list()),
    )


def notes(referral=None):
    qs = OutboxMessage.objects.filter(template=NOTE)
    if referral is not None:
        qs = qs.filter(referral=referral)
    return list(qs.order_by("id").values_list("to_address", "language", "referral_id", "created_at", "due_at"))


def reminders(referral=None):
    qs = OutboxMessage.objects.filter(template__in=(UNANSWERED, SOON))
    if referral is not None:
        qs = qs.filter(referral=referral)
    return list(qs.order_by("id").values_list("template", "to_address", "language", "created_at"))


def history(referral):
    return list(
        ReferralEvent.objects.filter(referral=referral)
        .order_by("id")
        .values_list("action", "from_state", "to_state", "actor_kind", "actor_id", "actor_label", "at")
    )


def counters(profile):
    stats = ProfileResponsiveness.objects.get(profile=profile)
    return {name: getattr(stats, name) for name in recompute(profile.pk)}


@pytest.fixture
def person(profile):
    return ActorRef.person(factories.user(profile.partner))


def evaluating(referral, person, at):
    services.mark_interested(referral.pk, person, at)
    return Referral.objects.get(pk=referral.pk)


# --- Deadlines ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "action", "target"),
    [("new", "miss", "missed"), ("evaluating", "expire", "expired")],
)
def test_nothing_happens_a_microsecond_before_the_deadline(referral, person, start, action, target):
    if start == "evaluating":
        referral = evaluating(referral, person, NOW + H)
    due = referral.deadline_at
    assert due == (NOW + 72 * H if start == "new" else NOW + H + 7 * DAY)
    # The reminders owed before the deadline go out first (12 h before it)...
    assert sweep(due - 12 * H) == SweepResult(moved=0, reminded=1)
    before = snapshot()
    # ...and then the sweep a microsecond before the deadline finds nothing at all to do.
    assert sweep(due - TICK) == SweepResult(moved=0, reminded=0)
    assert snapshot() == before
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.version, after.deadline_at, after.remind_at) == (start, referral.version, due, None)
    assert [row[0] for row in history(referral)] == ["create"] + (["interested"] if start == "evaluating" else [])
    assert notes() == []
    assert (counters(referral.profile)["missed"], counters(referral.profile)["expired"]) == (0, 0)


@pytest.mark.parametrize(
    ("start", "action", "target"),
    [("new", "miss", "missed"), ("evaluating", "expire", "expired")],
)
def test_at_the_deadline_the_system_closes_the_referral_and_tells_the_customer_once(
    referral, person, start, action, target
):
    if start == "evaluating":
        referral = evaluating(referral, person, NOW + H)
    due = referral.deadline_at
    events = history(referral)
    result = sweep(due)
    after = Referral.objects.get(pk=referral.pk)
    assert result.moved == 1
    assert (after.state, getattr(after, f"{target}_at"), after.state_entered_at, after.version) == (
        target,
        due,
        due,
        referral.version + 1,
    )
    assert (after.deadline_at, after.remind_at, after.updated_at) == (None, None, due)
    assert history(referral) == [*events, (action, start, target, "system", None, "timer", due)]
    assert notes() == [("anna@contoso.example", "en", referral.pk, due, due)]
    stats = counters(referral.profile)
    assert (stats["missed"], stats["expired"]) == ((1, 0) if target == "missed" else (0, 1))
    assert stats == recompute(referral.profile_id)


def _late_answer(referral, person, now):
    with pytest.raises(DeadlinePassed):
        services.mark_interested(referral.pk, person, now)


@pytest.mark.parametrize(
    "writer",
    [
        pytest.param(lambda referral, person, now: apply_deadlines(now, bulk_sql=False), id="portable sweep"),
        pytest.param(
            lambda referral, person, now: apply_deadlines(now, bulk_sql=True),
            id="postgresql sweep",
            marks=pytest.mark.postgres,
        ),
        pytest.param(_late_answer, id="late answer"),
    ],
)
def test_every_writer_of_a_deadlines_move_writes_the_same_side_effects(profile, person, writer):
    hook = Webhook.objects.create(
        partner=profile.partner, url="https://crm.example/hook", events=["referral.updated"], secret="s", created_at=NOW
    )
    referral = factories.referral(profile)
    due = referral.deadline_at
    writer(referral, person, due + H)
    assert history(referral)[1:] == [("miss", "new", "missed", "system", None, "timer", due)]
    assert list(
        OutboxMessage.objects.filter(referral=referral)
        .exclude(template="referral_new")
        .order_by("channel", "id")  # the PostgreSQL statement inserts in no set order
        .values_list("channel", "template", "to_address", "language", "webhook_id", "created_at")
    ) == [
        ("email", NOTE, "anna@contoso.example", "en", None, due + H),
        ("webhook", "referral.updated", "", "en", hook.pk, due + H),
    ]
    assert counters(profile) == {
        "received": 1,
        "answered": 0,
        "answered_within_24h": 0,
        "answer_seconds_total": 0,
        "missed": 1,
        "expired": 0,
    }


def test_sweeping_again_at_the_same_instant_or_later_changes_nothing(referral):
    assert sweep(NOW + 72 * H) == SweepResult(moved=1, reminded=0)
    before = snapshot()
    assert sweep(NOW + 72 * H) == SweepResult(moved=0, reminded=0)
    assert sweep(NOW + 72 * H + 30 * DAY) == SweepResult(moved=0, reminded=0)
    assert snapshot() == before
    assert len(notes()) == 1


def test_a_deadline_that_passed_during_downtime_fires_on_the_next_pass_at_its_own_time(referral):
    back = NOW + 30 * DAY
    result = sweep(back)
    after = Referral.objects.get(pk=referral.pk)
    assert (result.moved, result.reminded) == (1, 0)
    assert (after.state, after.missed_at, after.state_entered_at, after.updated_at) == (
        "missed",
        NOW + 72 * H,
        NOW + 72 * H,
        back,
    )
    assert history(referral)[-1] == ("miss", "new", "missed", "system", None, "timer", NOW + 72 * H)
    # The customer is told now; the partner gets no reminder for a referral that already closed.
    assert notes() == [("anna@contoso.example", "en", referral.pk, back, back)]
    assert reminders() == []


def test_downtime_catches_up_many_referrals_over_several_batches(profile):
    created = [factories.referral(profile, NOW + i * H) for i in range(7)]
    assert apply_deadlines(NOW + 30 * DAY, batch=3) == 7
    assert set(Referral.objects.values_list("state", flat=True)) == {"missed"}
    for referral in created:
        assert history(referral)[-1][-1] == referral.deadline_at
    assert len(notes()) == 7
    assert counters(profile)["missed"] == 7


@pytest.mark.parametrize("edit", ["notes", "assign"])
def test_an_edit_after_the_deadline_applies_the_deadline_first_so_history_stays_in_time_order(referral, edit):
    admin = factories.user(referral.partner)
    actor = ActorRef.person(admin)
    late = NOW + 73 * H
    if edit == "notes":
        services.update_notes(referral.pk, actor, late, "Called the customer")
    else:
        services.assign(referral.pk, actor, late, admin.pk)
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.missed_at, after.deadline_at, after.version) == ("missed", NOW + 72 * H, None, 3)
    assert [row[:3] + row[-1:] for row in history(referral)] == [
        ("create", "", "new", NOW),
        ("miss", "new", "missed", NOW + 72 * H),
        ("edit", "missed", "missed", late),
    ]
    assert len(notes(referral)) == 1
    assert counters(referral.profile)["missed"] == 1
    assert sweep(NOW + 80 * H) == SweepResult(moved=0, reminded=0)


# --- Reminders ------------------------------------------------------------------------------------


@pytest.fixture
def two_contacts(db):
    profile = factories.profile(contacts=("alerts@partner.example", "ru@partner.example"))
    ProfileContact.objects.filter(email="ru@partner.example").update(language="ru")
    return profile


def test_after_24_hours_unanswered_each_contact_is_reminded_in_their_language(two_contacts):
    referral = factories.referral(two_contacts)
    assert sweep(NOW + 24 * H - TICK).reminded == 0
    assert reminders() == []
    assert sweep(NOW + 24 * H).reminded == 1
    assert reminders(referral) == [
        (UNANSWERED, "alerts@partner.example", "en", NOW + 24 * H),
        (UNANSWERED, "ru@partner.example", "ru", NOW + 24 * H),
    ]
    assert Referral.objects.get(pk=referral.pk).remind_at == NOW + 60 * H
    assert sweep(NOW + 60 * H - TICK).reminded == 0
    assert sweep(NOW + 60 * H).reminded == 1
    assert reminders(referral)[2:] == [
        (SOON, "alerts@partner.example", "en", NOW + 60 * H),
        (SOON, "ru@partner.example", "ru", NOW + 60 * H),
    ]
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.remind_at, after.version) == ("new", None, 1)
    # Nothing more until the deadline itself.
    before = snapshot()
    assert sweep(NOW + 72 * H - TICK).reminded == 0
    assert snapshot() == before


def test_after_downtime_spanning_both_reminders_only_the_deadline_warning_is_sent(two_contacts):
    referral = factories.referral(two_contacts)
    assert sweep(NOW + 65 * H).reminded == 1
    assert reminders(referral) == [
        (SOON, "alerts@partner.example", "en", NOW + 65 * H),
        (SOON, "ru@partner.example", "ru", NOW + 65 * H),
    ]
    assert Referral.objects.get(pk=referral.pk).remind_at is None


def test_a_referral_answered_within_24_hours_gets_no_unanswered_reminder(referral, person):
    services.mark_interested(referral.pk, person, NOW + 23 * H)
    after = Referral.objects.get(pk=referral.pk)
    assert after.remind_at == NOW + 23 * H + 7 * DAY - 12 * H
    assert sweep(NOW + 24 * H).reminded == 0
    assert sweep(NOW + 72 * H).reminded == 0
    assert reminders() == []
    # The evaluating deadline warns once, 12 h before it.
    assert sweep(NOW + 23 * H + 7 * DAY - 12 * H).reminded == 1
    assert [r[0] for r in reminders()] == [SOON]


def test_a_skipped_referral_is_never_reminded(referral, person):
    services.skip(referral.pk, person, NOW + H)
    assert sweep(NOW + 30 * DAY) == SweepResult(moved=0, reminded=0)
    assert reminders() == []


# --- Programme settings ---------------------------------------------------------------------------


def test_changed_programme_deadlines_apply_to_referrals_created_after_the_change(profile, person):
    old = factories.referral(profile)
    Programme.objects.filter(pk=1).update(new_deadline_hours=336, evaluating_deadline_hours=336)
    later = NOW + H
    new = factories.referral(profile, later)
    assert (Referral.objects.get(pk=old.pk).deadline_at, new.deadline_at) == (NOW + 72 * H, later + 336 * H)
    assert sweep(NOW + 72 * H) == SweepResult(moved=1, reminded=1)  # old missed; new reminded after 24 h
    assert Referral.objects.get(pk=old.pk).state == "missed"
    assert (Referral.objects.get(pk=new.pk).state, [r[0] for r in reminders(new)]) == ("new", [UNANSWERED])
    # The deadline warning moves with the deadline: 12 h before 14 days.
    assert sweep(later + 324 * H - TICK) == SweepResult(moved=0, reminded=0)
    assert sweep(later + 324 * H) == SweepResult(moved=0, reminded=1)
    assert [r[0] for r in reminders(new)] == [UNANSWERED, SOON]
    assert sweep(later + 336 * H - TICK) == SweepResult(moved=0, reminded=0)
    services.mark_interested(new.pk, person, later + 336 * H - TICK)
    assert Referral.objects.get(pk=new.pk).deadline_at == later + 672 * H - TICK


def test_the_new_deadline_setting_is_read_when_the_referral_is_created(profile):
    Programme.objects.filter(pk=1).update(new_deadline_hours=336)
    referral = factories.referral(profile)
    assert sweep(NOW + 336 * H - TICK).moved == 0
    assert Referral.objects.get(pk=referral.pk).state == "new"
    assert sweep(NOW + 336 * H).moved == 1
    assert history(referral)[-1] == ("miss", "new", "missed", "system", None, "timer", NOW + 336 * H)


# --- Cost -----------------------------------------------------------------------------------------


def idle_sweep_queries(at):
    with CaptureQueriesContext(connection) as queries:
        result = sweep(at)
    assert (result.moved, result.reminded) == (0, 0)
    return [re.sub(r'"s\d+_x\d+"', "SAVEPOINT", q["sql"]) for q in queries.captured_queries]


def test_an_idle_sweep_costs_the_same_with_5_and_with_200_open_referrals(profile):
    def open_referrals(n):
        for _ in range(n):
            services.create_engagement(factories.engagement_input([profile.pk]), ActorRef.system("test"), NOW)

    open_referrals(5)
    with_5 = idle_sweep_queries(NOW + H)
    open_referrals(195)
    assert Referral.objects.filter(state="new").count() == 200
    with_200 = idle_sweep_queries(NOW + H)
    assert with_5 == with_200


def test_a_busy_sweep_costs_the_same_number_of_queries_for_3_and_for_30_due_referrals(profile):
    def due_referrals(n, at):
        for _ in range(n):
            services.create_engagement(factories.engagement_input([profile.pk]), ActorRef.system("test"), at)

    due_referrals(3, NOW)
    with CaptureQueriesContext(connection) as three:
        assert sweep(NOW + 72 * H) == SweepResult(moved=3, reminded=0)
    due_referrals(30, NOW + 100 * H)
    with CaptureQueriesContext(connection) as thirty:
        assert sweep(NOW + 172 * H) == SweepResult(moved=30, reminded=0)
    assert len(three.captured_queries) == len(thirty.captured_queries)
    assert counters(profile)["missed"] == 33


@pytest.mark.parametrize("bulk_sql", [False, pytest.param(True, marks=pytest.mark.postgres)])
def test_imported_referrals_that_time_out_are_not_counted_against_the_profile(profile, bulk_sql):
    imported = factories.referral(profile, source=Engagement.Source.IMPORT)
    ours = factories.referral(profile)
    person = ActorRef.person(factories.user(profile.partner))
    services.mark_interested(imported.pk, person, NOW + H)  # evaluating: it expires 7 days later
    assert sweep(NOW + 72 * H, bulk_sql=bulk_sql).moved == 1
    assert sweep(NOW + 72 * H + 7 * DAY, bulk_sql=bulk_sql).moved == 1
    assert Referral.objects.get(pk=ours.pk).state == "missed"
    assert Referral.objects.get(pk=imported.pk).state == "expired"
    assert counters(profile) == recompute(profile.pk) == {
        "received": 1, "answered": 0, "answered_within_24h": 0, "answer_seconds_total": 0, "missed": 1, "expired": 0,
    }  # fmt: skip


@pytest.mark.parametrize("bulk_sql", [False, pytest.param(True, marks=pytest.mark.postgres)])
def test_a_missed_referral_tells_the_customer_nothing_while_its_partner_works_on_another_of_the_request(
    profile, bulk_sql
):
    referral = factories.referral(profile)
    # Two referrals of one partner in one engagement, as written before a partner was asked once per request.
    vienna = factories.profile(partner_=profile.partner, country="AT", city="Vienna")
    other = services.create_referral(
        referral.engagement, vienna, ActorRef.system("test"), NOW, Programme.deadlines(), State.NEW
    )
    services.mark_interested(other.pk, ActorRef.person(factories.user(profile.partner)), NOW + H)
    assert sweep(NOW + 72 * H, bulk_sql=bulk_sql).moved == 1
    assert Referral.objects.get(pk=referral.pk).state == "missed"
    assert notes() == []
    assert sweep(NOW + H + 7 * DAY, bulk_sql=bulk_sql).moved == 1  # the other expires: now the customer hears
    expires = NOW + H + 7 * DAY
    assert notes() == [("anna@contoso.example", "en", other.pk, expires, expires)]


# --- The PostgreSQL statement against the portable path -----------------------------------------


def _build_mixed_data_set():
    """Referrals in every timed situation across three profiles; returns the profiles in order."""
    a = factories.profile(contacts=("a@a.example",))
    b = factories.profile(contacts=("b@b.example", "b2@b.example"))
    c = factories.profile(contacts=())
    actor = ActorRef.system("test")
    contacts = [services.ContactInput("Anna", "anna@contoso.example"), services.ContactInput("Bob", "bob@c.example")]
    due = NOW + 10 * DAY
    for i in range(4):  # new, due at different times, two customer contacts each
        services.create_engagement(factories.engagement_input([a.pk, b.pk], contacts=contacts), actor, NOW + i * H)
    russian = services.create_engagement(factories.engagement_input([c.pk], language="ru"), actor, NOW)
    german = services.create_engagement(factories.engagement_input([a.pk, c.pk]), actor, NOW + 5 * H)
    Engagement.objects.filter(pk=german.pk).update(language="de")
    # Evaluating and due, evaluating and not yet due, negotiating, skipped, new and not due.
    for profile, start in ((a, NOW + DAY), (b, NOW + 2 * DAY), (c, NOW + 3 * DAY + 12 * H)):
        r = factories.referral(profile, start)
        services.perform(r.pk, Action.INTERESTED, actor, start + H)
    r = factories.referral(b, NOW + 4 * DAY)
    services.perform(r.pk, Action.INTERESTED, actor, NOW + 4 * DAY)
    services.accept(r.pk, actor, NOW + 4 * DAY + H, "100", "EUR", factories.close_date())
    r = factories.referral(a, NOW + 5 * DAY)
    services.skip(r.pk, actor, NOW + 5 * DAY + H)
    factories.referral(c, due - H)
    assert russian.language == "ru"
    return [a, b, c]


def _normalised():
    """The sweep's results with database ids replaced by creation order, ids of side rows dropped."""
    referral_ids = list(Referral.objects.order_by("id").values_list("id", flat=True))
    profile_ids = sorted(set(Referral.objects.values_list("profile_id", flat=True)))
    ref = {pk: i for i, pk in enumerate(referral_ids)}
    fields = [f for f in REFERRAL_FIELDS if f not in ("id", "engagement_id", "profile_id", "partner_id", "location_id")]
    referrals = [(ref[row[0]], *row[1:]) for row in Referral.objects.order_by("id").values_list("id", *fields)]
    events = sorted(
        (ref[row[0]], *row[1:])
        for row in ReferralEvent.objects.values_list(
            "referral_id",
            "at",
            "actor_kind",
            "actor_id",
            "actor_label",
            "action",
            "from_state",
            "to_state",
            "reason",
            "comment",
        )
    )
    outbox = sorted(
        (ref[row[0]], *(repr(v) for v in row[1:]))
        for row in OutboxMessage.objects.values_list("referral_id", *[f for f in OUTBOX_FIELDS if f != "referral_id"])
    )
    stats = [ProfileResponsiveness.objects.filter(profile_id=pk).values_list(*FIELDS).get() for pk in profile_ids]
    return referrals, events, outbox, stats


def _run(path_is_sql, at):
    with transaction.atomic():
        profiles = _build_mixed_data_set()
        moved = apply_deadlines(at, batch=3, bulk_sql=path_is_sql)
        result = (moved, _normalised())
        for profile in profiles:
            assert counters(profile) == recompute(profile.pk)
        transaction.set_rollback(True)
    return result


@pytest.mark.postgres
@pytest.mark.parametrize(("days", "moved"), [(0, 0), (3, 3), (5, 11), (9, 12), (30, 15)])
def test_the_postgresql_statement_and_the_portable_path_give_identical_results(days, moved):
    at = NOW + days * DAY
    by_sql = _run(True, at)
    portable = _run(False, at)
    assert by_sql[0] == portable[0] == moved
    for got, expected in zip(by_sql[1], portable[1], strict=True):
        assert got == expected
    assert by_sql == portable
