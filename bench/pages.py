"""Server time of the partner's pages: `python -m bench.pages` (needs BENCH_PG_URL and BENCH_TMP, as bench/run.sh sets).

One partner with BENCH_PAGES_REFERRALS (10,000) referrals, and another partner with as many, on a fresh
SQLite file and a fresh PostgreSQL database. Each page is requested BENCH_PAGES_REPEAT (60) times after a
warm-up, through Django's test Client *in-process*: the full middleware stack, URL routing, view, ORM and
template rendering, but no HTTP server or network. Next to them, a trivial view (plain HttpResponse through
the same middleware) in the same run, as the floor.

Each database runs in its own child process (Django reads DATABASE_URL once). The table goes to stdout,
progress to stderr.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from bench.children import drop_postgres, figures, fresh_postgres, print_table, run_child

REFERRALS = int(os.environ.get("BENCH_PAGES_REFERRALS", "10000"))
REPEAT = int(os.environ.get("BENCH_PAGES_REPEAT", "60"))
WARM_UP = 5
DB_NAME = "leadshare_bench_pages"


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def __getattr__(name: str) -> Any:
    # The project's URLs plus the trivial page; the child points ROOT_URLCONF here. Built on first use,
    # once Django is set up (the parent process never sets it up).
    if name == "urlpatterns":
        return [path("bench/ping/", ping), path("", include("leadshare.urls"))]
    raise AttributeError(name)


def say(message: str) -> None:
    print(f"[bench.pages {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- In the child: data and timings ---------------------------------------------------------------


def fill(partner_name: str, referrals: int, now: datetime) -> tuple[Any, int]:
    from partners.models import BusinessProfile, Location, Partner, Role, User
    from referrals.lifecycle import State
    from referrals.models import CustomerContact, Engagement, Referral, ReferralEvent

    partner = Partner.objects.create(name=partner_name, country="DE")
    profile = BusinessProfile.objects.create(partner=partner, country="DE", description="Bench")
    location = Location.objects.create(profile=profile, city="Berlin", address="Hauptstr. 1", lat=52.5, lon=13.4)
    user = User.objects.create_user(
        email=f"admin@{partner_name}.example", password="bench-password", partner=partner, role=Role.REFERRALS_ADMIN
    )
    # Mostly closed, as an inbox is after a while; a few open in each tab.
    states = (
        [State.NEW] * 2
        + [State.EVALUATING] * 2
        + [State.NEGOTIATING] * 3
        + [State.WON] * 20
        + [State.LOST] * 20
        + [State.SKIPPED] * 15
        + [State.MISSED] * 20
        + [State.DECLINED] * 10
        + [State.EXPIRED] * 8
    )
    sizes = ["1-9", "10-49", "50-249", "250-999", "1000-4999", "5000+"]
    industries = ["manufacturing", "retail", "finance", "healthcare", "education"]
    cities = ["Berlin", "Hamburg", "Munich", "Cologne", "Frankfurt"]
    products = [["office-suite"], ["crm", "analytics"], ["erp", "cloud-platform"], ["security"]]
    engagements = Engagement.objects.bulk_create(
        Engagement(
            customer_company=f"Customer {i}",
            customer_size_id=sizes[i % len(sizes)],
            customer_industry_id=industries[i % len(industries)],
            customer_country="DE",
            customer_city=cities[i % len(cities)],
            customer_address=f"Street {i}",
            need=f"Request number {i}: move mailboxes, a CRM, or data dashboards",
            requested_products=products[i % len(products)],
            consent_contact=True,
            source="agent",
            created_at=now - timedelta(minutes=10 * (referrals - i)),
        )
        for i in range(referrals)
    )
    CustomerContact.objects.bulk_create(
        CustomerContact(engagement=e, name=f"Contact {i}", email=f"c{i}@customer.example", phone="+49 30 1")
        for i, e in enumerate(engagements)
    )
    rows = []
    for i, e in enumerate(engagements):
        state = states[i % len(states)]
        is_open = state in (State.NEW, State.EVALUATING)
        created = e.created_at if not is_open else now - timedelta(hours=i % 60)
        rows.append(
            Referral(
                engagement=e,
                profile=profile,
                partner=partner,
                location=location,
                state=state.value,
                created_at=created,
                updated_at=created,
                state_entered_at=created,
                deadline_at=created + timedelta(hours=72) if is_open else None,
                deal_value=12500 if state in (State.NEGOTIATING, State.WON, State.LOST) else None,
                deal_currency="EUR" if state in (State.NEGOTIATING, State.WON, State.LOST) else "",
            )
        )
    made = Referral.objects.bulk_create(rows, batch_size=2000)
    ReferralEvent.objects.bulk_create(
        (
            ReferralEvent(
                referral=r, at=r.created_at, actor_kind="system", actor_label="bench", action="create", to_state="new"
            )
            for r in made
        ),
        batch_size=2000,
    )
    negotiating = next(r for r in made if r.state == State.NEGOTIATING.value)
    return user, negotiating.pk


def counting(executed: list[str]) -> Any:
    def wrapper(run: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return run(sql, params, many, context)

    return wrapper


def rows_read(connection: Any) -> int | None:
    """Table rows PostgreSQL has read so far (sequential and through indexes), all tables; None on SQLite.

    Unlike time, this does not depend on what else the machine is doing."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # this backend's counters, flushed once it is idle
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0) FROM pg_stat_user_tables")
        return int(cursor.fetchone()[0])


def next_link(client: Any, url: str) -> str:
    """The URL the page's Next link leads to, as a person paging through would follow it."""
    body = client.get(url).content.decode()
    found = re.search(r'href="([^"]+)" rel="next"', body)
    assert found is not None, url
    return "/referrals/" + html.unescape(found.group(1))


def cpu_seconds(connection: Any) -> tuple[float, int | None]:
    """CPU time used so far by this process and by its PostgreSQL server process (on this machine), with that
    process's id. CPU time grows far less than wall time when other work shares the cores."""
    own = time.process_time()
    if connection.vendor != "postgresql":
        return own, None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return own + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), pid


def timings(client: Any, url: str, connection: Any) -> dict[str, float | None]:
    for _ in range(WARM_UP):
        assert client.get(url).status_code == 200, url
    times = []
    cpu_before, server = cpu_seconds(connection)
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    cpu_after, server_after = cpu_seconds(connection)
    # A new server process (the connection was renewed) took some of the CPU time with it: no figure.
    cpu = (cpu_after - cpu_before) * 1000 / REPEAT if server == server_after else None
    return {**figures(times), "cpu": cpu}


def child() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from referrals import changes

    call_command("migrate", verbosity=0)
    now = datetime.now(UTC)
    say(f"{connection.vendor}: {REFERRALS} referrals for each of two partners")
    user, detail_id = fill("bench-one", REFERRALS, now)
    fill("bench-two", REFERRALS, now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # As autovacuum leaves a table after a while: statistics, and the visibility map that lets an index
            # answer a count without reading the rows.
            cursor.execute("VACUUM ANALYZE")
    client = Client()
    client.force_login(user)
    pages = [
        ("trivial view (HttpResponse)", "/bench/ping/"),
        ("inbox: New tab", "/referrals/"),
        ("inbox: Archive, page 1", "/referrals/?tab=archive"),
        ("inbox: Archive, page 200 (by its number)", "/referrals/?tab=archive&page=200"),
        ("inbox: Archive, page 200 (its Next link)", next_link(client, "/referrals/?tab=archive&page=199")),
        ("inbox: Archive, search 'dashboards'", "/referrals/?tab=archive&q=dashboards"),
        ("inbox: Archive, search 'customer 77'", "/referrals/?tab=archive&q=customer+77"),
        ("inbox: Archive, search with no match", "/referrals/?tab=archive&q=nowhere"),
        ("inbox: Archive, deadline sort, won", "/referrals/?tab=archive&outcome=won&sort=deadline"),
        ("referral page (negotiating)", f"/referrals/{detail_id}/"),
    ]
    with override_settings(ROOT_URLCONF="bench.pages"):
        results = [measured(client, label, url, connection) for label, url in pages]
        # Until now the admin had read none of the changes (the navigation's count walks back to its cap).
        changes.mark_read(user, now - timedelta(hours=1))
        results.append(measured(client, "inbox: New tab (changes read 1 h ago)", "/referrals/", connection))
    print(json.dumps({"database": connection.vendor, "results": results}))


def measured(client: Any, label: str, url: str, connection: Any) -> dict[str, Any]:
    executed: list[str] = []
    before = rows_read(connection)
    with connection.execute_wrapper(counting(executed)):
        client.get(url)
    after = rows_read(connection)
    read = None if before is None or after is None else after - before
    found = timings(client, url, connection)
    say(f"{connection.vendor}: {label}: median {found['median']:.1f} ms")
    return {"page": label, "queries": len(executed), "rows_read": read, **found}


# --- In the parent: databases and the table -------------------------------------------------------


def main() -> None:
    if sys.argv[1:] == ["child"]:
        child()
        return
    pg_url, tmp = os.environ.get("BENCH_PG_URL"), os.environ.get("BENCH_TMP")
    if not pg_url or not tmp:
        raise SystemExit("set BENCH_PG_URL (a PostgreSQL server of this run alone) and BENCH_TMP (a scratch folder)")
    scratch = Path(tmp)
    runs = []
    sqlite_file = scratch / "bench-pages.sqlite3"
    sqlite_file.unlink(missing_ok=True)
    runs.append(run_child("bench.pages", f"sqlite:///{sqlite_file}", scratch))
    sqlite_file.unlink(missing_ok=True)
    try:
        runs.append(run_child("bench.pages", fresh_postgres(pg_url, DB_NAME), scratch))
    finally:
        drop_postgres(pg_url, DB_NAME)
    print(
        f"Server time per page, one partner with {REFERRALS:,} referrals (and another with as many); "
        f"{REPEAT} requests each after {WARM_UP} to warm up."
    )
    print("Measured in-process with Django's test Client: middleware, view, ORM and templates; no HTTP server.")
    print()
    print("Rows read: table rows PostgreSQL read for one request (pg_stat_user_tables), load-independent.")
    print("CPU ms: mean CPU time per request of the process and of its PostgreSQL server process; load moves it less.")
    print("Every page counts the admin's unread changes for the navigation: none read before the last row.")
    print()
    header = ("database", "page", "queries", "rows read", "CPU ms", "median ms", "p95 ms")
    rows: list[Sequence[str]] = [
        (
            run["database"],
            r["page"],
            str(r["queries"]),
            "—" if r.get("rows_read") is None else f"{r['rows_read']:,}",
            "—" if r.get("cpu") is None else f"{r['cpu']:.1f}",
            f"{r['median']:.1f}",
            f"{r['p95']:.1f}",
        )
        for run in runs
        for r in run["results"]
    ]
    print_table(header, rows)


if __name__ == "__main__":
    main()
