"""The sweeper: applies deadlines that have come and sends reminders that are owed.

Cost follows the work: both steps read only rows whose due column (deadline_at, remind_at) is at or
before `now`, through partial indexes that closed referrals leave. Each batch is claimed so that any
number of workers can sweep at once: on PostgreSQL with FOR UPDATE SKIP LOCKED, on SQLite by the
database-wide write lock that every transaction takes at its start (transaction_mode IMMEDIATE).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from notifications import outbox, webhooks
from notifications.models import OutboxMessage, Webhook
from partners import alerts
from referrals import actors, lifecycle, list_cache, transitions
from referrals.lifecycle import State
from referrals.models import (
    UNRANKED_SOURCES,
    CustomerContact,
    Engagement,
    ProfileResponsiveness,
    Programme,
    Referral,
    ReferralEvent,
)

BATCH = 2000
REMINDER_TEMPLATES = {
    lifecycle.Reminder.UNANSWERED: outbox.PARTNER_UNANSWERED,
    lifecycle.Reminder.DEADLINE_SOON: outbox.PARTNER_DEADLINE_SOON,
}


@dataclass
class SweepResult:
    moved: int = 0
    reminded: int = 0


def sweep(now: datetime, batch: int = BATCH, bulk_sql: bool | None = None) -> SweepResult:
    """Everything due at `now`: deadlines first (a referral past its deadline needs no reminder)."""
    return SweepResult(moved=apply_deadlines(now, batch, bulk_sql), reminded=send_reminders(now, batch))


def apply_deadlines(now: datetime, batch: int = BATCH, bulk_sql: bool | None = None) -> int:
    use_sql = connection.vendor == "postgresql" if bulk_sql is None else bulk_sql
    step = _deadline_batch_postgres if use_sql else _deadline_batch_portable
    total = 0
    while True:
        with transaction.atomic():
            moved = step(now, batch)
        total += moved
        if moved < batch:
            return total


def _timer_moves() -> list[tuple[State, lifecycle.Action, State]]:
    return [(state, action, lifecycle.next_state(state, action)) for state, action in lifecycle.TIMERS.items()]


def _deadline_batch_portable(now: datetime, batch: int) -> int:
    due = list(
        Referral.objects.filter(deadline_at__lte=now)
        # Deadlines due at the same instant in the order the referrals were made, on every database: the routing
        # engine learns from the history rows in this order (the simulator's --through-services compares).
        .order_by("deadline_at", "pk")
        .select_for_update(skip_locked=True)
        .values_list(
            "id", "state", "deadline_at", "profile_id", "engagement_id", "partner_id", "created_at", "version"
        )[:batch]
    )
    if not due:
        return 0
    changes: list[transitions.Change] = []
    for state, action, target in _timer_moves():
        rows = [row for row in due if row[1] == state.value]
        if not rows:
            continue
        Referral.objects.filter(pk__in=[r[0] for r in rows], state=state.value).update(
            state=target.value,
            state_entered_at=F("deadline_at"),
            **{f"{target.value}_at": F("deadline_at")},
            deadline_at=None,
            remind_at=None,
            version=F("version") + 1,
            updated_at=now,
        )
        for referral_id, _state, deadline_at, profile_id, engagement_id, partner_id, created_at, version in rows:
            assert deadline_at is not None  # selected by deadline_at <= now
            changes.append(
                transitions.Change(
                    referral_id=referral_id,
                    partner_id=partner_id,
                    profile_id=profile_id,
                    engagement_id=engagement_id,
                    received_at=created_at,
                    action=action.value,
                    source=state,
                    target=target,
                    actor=transitions.TIMER,
                    at=deadline_at,
                    version=version + 1,  # as the update above leaves it (the rows are locked)
                )
            )
    transitions.record(changes, now, Programme.deadlines().first_answer_urged)
    return len(due)


def _case(column: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items())
    return f"CASE {column} {whens} END"


def _deadline_batch_postgres(now: datetime, batch: int) -> int:
    """The same batch as the portable path, as one statement: the PostgreSQL-only speed-up."""
    moves = _timer_moves()
    target_of = {s.value: t.value for s, _a, t in moves}
    action_of = {t.value: a.value for _s, a, t in moves}
    source_of = {t.value: s.value for s, _a, t in moves}
    told = [t.value for _s, _a, t in moves if lifecycle.customer_told_partner_will_not_follow_up(t)]
    # The counters each close adds one to: transitions.TIMER_COUNTERS, as the portable path counts them.
    counters = {target.value: transitions.TIMER_COUNTERS[target] for _s, _a, target in moves}
    counter_sums = ", ".join(f"{c} = s.{c} + t.{c}" for c in counters.values())
    counter_columns = ", ".join(f"m.{c}" for c in counters.values())
    counter_counts = ", ".join(f"count(*) FILTER (WHERE moved.state = '{t}') AS {c}" for t, c in counters.items())
    stamp_columns = ", ".join(
        f"{t}_at = CASE WHEN r.state = '{s}' THEN r.deadline_at ELSE r.{t}_at END" for s, t in target_of.items()
    )
    sql = f"""
    WITH due AS (
        SELECT id FROM {Referral._meta.db_table}
        WHERE deadline_at <= %(now)s ORDER BY deadline_at, id LIMIT %(batch)s
        FOR UPDATE SKIP LOCKED
    ), moved AS (
        UPDATE {Referral._meta.db_table} r SET
            state = {_case("r.state", target_of)},
            {stamp_columns},
            state_entered_at = r.deadline_at, deadline_at = NULL, remind_at = NULL,
            version = r.version + 1, updated_at = %(now)s
        FROM due WHERE r.id = due.id AND r.state = ANY(%(sources)s)
        RETURNING r.id, r.engagement_id, r.profile_id, r.partner_id, r.state, r.state_entered_at, r.version
    ), events AS (
        INSERT INTO {ReferralEvent._meta.db_table}
            (referral_id, at, actor_kind, actor_id, actor_label, action, from_state, to_state, reason, comment)
        SELECT id, state_entered_at, %(system)s, NULL, %(label)s, {_case("state", action_of)},
               {_case("state", source_of)}, state, '', ''
        FROM moved ORDER BY id
    ), notes AS (
        INSERT INTO {OutboxMessage._meta.db_table}
            (channel, template, to_address, language, referral_id, payload, created_at, due_at,
             claimed_until, attempts, sent_at, failed_at, last_error)
        SELECT 'email', %(template)s, c.email,
               CASE WHEN e.language IN ('en', 'ru') THEN e.language ELSE 'en' END,
               m.id, '{{}}'::jsonb, %(now)s, %(now)s, NULL, 0, NULL, NULL, ''
        FROM moved m
        JOIN {Engagement._meta.db_table} e ON e.id = m.engagement_id
        JOIN {CustomerContact._meta.db_table} c ON c.engagement_id = m.engagement_id
        WHERE m.state = ANY(%(told)s)
          -- lifecycle.customer_told_partner_will_not_follow_up: not while the partner still works on the request
          -- (the rows moved now are read as they were: they are in `moved`, not following up any more).
          AND NOT EXISTS (
              SELECT 1 FROM {Referral._meta.db_table} o
              WHERE o.engagement_id = m.engagement_id AND o.partner_id = m.partner_id AND o.id <> m.id
                AND o.state = ANY(%(following)s) AND o.id NOT IN (SELECT id FROM moved)
          )
        ORDER BY m.id, c.id
    ), hooks AS (
        INSERT INTO {OutboxMessage._meta.db_table}
            (channel, template, to_address, language, referral_id, webhook_id, payload, created_at, due_at,
             claimed_until, attempts, sent_at, failed_at, last_error)
        -- transitions.described, as the portable path writes it
        SELECT 'webhook', %(updated)s, '', 'en', m.id, w.id,
               jsonb_build_object('change', jsonb_build_object(
                   'action', {_case("m.state", action_of)}, 'from', {_case("m.state", source_of)}, 'to', m.state,
                   'at', m.state_entered_at, 'version', m.version,
                   'actor', jsonb_build_object('kind', %(system)s::text, 'label', %(shown)s::text))),
               %(now)s, %(now)s, NULL, 0, NULL, NULL, ''
        FROM moved m
        JOIN {Webhook._meta.db_table} w ON w.partner_id = m.partner_id AND w.active
        WHERE w.events @> %(updated_json)s::jsonb
        ORDER BY m.id, w.id
    ), counted AS (
        UPDATE {ProfileResponsiveness._meta.db_table} s
        SET {counter_sums}
        FROM (
            -- Counter rows are locked in profile order, as by every writer: sweepers never deadlock.
            SELECT c.id, {counter_columns}
            FROM {ProfileResponsiveness._meta.db_table} c
            JOIN (
                SELECT moved.profile_id, {counter_counts}
                FROM moved JOIN {Engagement._meta.db_table} ranked ON ranked.id = moved.engagement_id
                -- Engagement.counts_toward_ranking: imported history never counts
                WHERE NOT ranked.source = ANY(%(unranked)s)
                GROUP BY moved.profile_id
            ) m ON m.profile_id = c.profile_id
            ORDER BY c.profile_id
            FOR UPDATE OF c
        ) t
        WHERE s.id = t.id
    )
    SELECT count(*), coalesce(array_agg(DISTINCT partner_id), '{{}}') FROM moved
    """
    params: dict[str, Any] = {
        "now": now,
        "batch": batch,
        "sources": list(target_of),
        "system": transitions.TIMER.kind.value,
        "label": transitions.TIMER.label,
        "shown": actors.shown(transitions.TIMER.kind, transitions.TIMER.label),
        "template": outbox.CUSTOMER_PARTNER_WONT_FOLLOW_UP,
        "told": told,
        "updated": webhooks.UPDATED,
        "updated_json": json.dumps([webhooks.UPDATED]),
        "unranked": list(UNRANKED_SOURCES),
        "following": [state.value for state in lifecycle.STILL_FOLLOWING_UP],
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, partner_ids = cursor.fetchone()
    list_cache.changed(partner_ids)
    return int(count)


def send_reminders(now: datetime, batch: int = BATCH) -> int:
    deadlines = Programme.deadlines()
    total = 0
    while True:
        with transaction.atomic():
            rows = list(
                Referral.objects.filter(remind_at__lte=now)
                .order_by("remind_at")
                .select_for_update(skip_locked=True)
                .values_list(
                    "id", "state", "state_entered_at", "deadline_at", "remind_at", "profile_id", "location_id"
                )[:batch]
            )
            contacts = alerts.recipients(((r[0], r[5], r[6]) for r in rows), alerts.REMINDERS)
            messages: list[OutboxMessage] = []
            for referral_id, state_value, entered_at, due, remind_at, _profile, _location in rows:
                assert remind_at is not None  # selected by remind_at <= now
                state = State(state_value)
                for kind in lifecycle.reminders_due(state, entered_at, due, remind_at, now, deadlines):
                    messages.extend(
                        outbox.email(REMINDER_TEMPLATES[kind], address, language, now, referral_id)
                        for address, language in contacts[referral_id]
                    )
                following = lifecycle.next_reminder_at(state, entered_at, due, now, deadlines)
                Referral.objects.filter(pk=referral_id, remind_at=remind_at).update(remind_at=following)
            outbox.add(messages)
        total += len(rows)
        if len(rows) < batch:
            return total
