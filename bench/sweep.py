"""The measurements. Each runs in its own process on a database the suite made for it (bench.suite).

ours  the worker's deadline sweep at the bench instant: state, history, outbox and counters
raw   one bare UPDATE of the same rows, same due predicate: the ceiling the sweep is held against
idle  full worker passes (sweep and outbox delivery) at an instant when nothing is due
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import dj_database_url
from django.db import connection, transaction

from bench.generate import IDLE_AT, NOW
from leadshare.worker import run_pass
from notifications.models import OutboxMessage
from referrals import lifecycle
from referrals.models import Referral, ReferralEvent
from referrals.timers import sweep

# Passes before the timed ones after each switch: the first pays for connecting and cold caches.
IDLE_WARMUP = 3
IDLE_ROUNDS = 4


def raw_update_sql() -> str:
    cases = " ".join(
        f"WHEN '{state.value}' THEN '{lifecycle.next_state(state, action).value}'"
        for state, action in lifecycle.TIMERS.items()
    )
    return (
        f"UPDATE {Referral._meta.db_table} SET state = CASE state {cases} END, deadline_at = NULL "
        "WHERE deadline_at <= %s"
    )


def table_counts() -> dict[str, int]:
    return {
        "due": Referral.objects.filter(deadline_at__lte=NOW).count(),
        "events": ReferralEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
    }


def measure_ours(now: datetime) -> dict[str, Any]:
    before = table_counts()
    connection.ensure_connection()
    start = time.perf_counter()
    result = sweep(now)
    seconds = time.perf_counter() - start
    after = table_counts()
    return {
        "rows": result.moved,
        "seconds": seconds,
        "due_before": before["due"],
        "due_after": after["due"],
        "reminded": result.reminded,
        "events": after["events"] - before["events"],
        "outbox": after["outbox"] - before["outbox"],
    }


def measure_raw(now: datetime) -> dict[str, Any]:
    before = table_counts()
    connection.ensure_connection()
    sql = raw_update_sql()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [now])
        rows = cursor.rowcount
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": seconds, "due_before": before["due"], "due_after": table_counts()["due"]}


def switch_to(database_url: str) -> None:
    """Point the default connection at another database of the same kind: settings are read once."""
    connection.close()
    connection.settings_dict["NAME"] = dj_database_url.parse(database_url)["NAME"]


def measure_idle(at: datetime, passes: int, database_urls: Sequence[str]) -> list[dict[str, Any]]:
    """Passes on each database in turn, in ABBA rounds: load from elsewhere weighs on all alike."""
    per_round = -(-passes // IDLE_ROUNDS)
    times: dict[str, list[float]] = {url: [] for url in database_urls}
    rows: dict[str, int] = {}
    for i in range(IDLE_ROUNDS):
        for url in database_urls if i % 2 == 0 else reversed(database_urls):
            switch_to(url)
            rows[url] = Referral.objects.count()
            for _ in range(IDLE_WARMUP):
                run_pass(at)
            for _ in range(per_round):
                start = time.perf_counter()
                result = run_pass(at)
                times[url].append(time.perf_counter() - start)
                if result.busy:
                    raise SystemExit(f"the idle pass found work: {result}")
    return [{"rows": rows[url], "seconds": times[url], "median": statistics.median(times[url])} for url in times]


def main(argv: Sequence[str]) -> None:
    """`python -m bench sweep ours|raw` or `... sweep idle PASSES URL...`: prints one JSON line."""
    kind = argv[0]
    result: Any
    if kind == "ours":
        result = measure_ours(NOW)
    elif kind == "raw":
        result = measure_raw(NOW)
    elif kind == "idle":
        result = measure_idle(IDLE_AT, int(argv[1]), argv[2:])
    else:
        raise SystemExit(f"unknown measurement {kind!r}")
    print(json.dumps(result), flush=True)
