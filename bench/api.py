"""The REST API under a production server: `python -m bench.api` (the last step of `make bench`).

gunicorn with 2 worker processes on its own throwaway PostgreSQL, one partner with 100,000 referrals
(BENCH_SCALE=0.02 for a quick run), and as many again spread over 20 other partners. `wrk` (Debian's) sends
32 concurrent connections, only to 127.0.0.1, for BENCH_API_SECONDS (10) per endpoint after a warm-up:

  GET  /api/v1/ping                          a trivial JSON endpoint, no token, no database
  GET  /api/v1/referrals?limit=50            the first page of the partner's referrals
  POST /api/v1/referrals/{id}/interested     each request on another new referral

The list is measured twice: as a polling client sees it (the same page again, kept in memory while
the partner's referrals do not change: referrals/list_cache.py), and with API_LIST_CACHE_SIZE=0, when every
request builds its page.

Workers: sync (BENCH_API_WORKER_CLASS=gthread BENCH_API_THREADS=4 to compare). Every endpoint here is
CPU-bound Python, and the two cores are shared with PostgreSQL and wrk: threads add nothing to use,
only GIL hand-offs. Measured side by side, gthread (2 or 4 threads) gave the list and `interested`
less throughput, a worse p99 and run-to-run swings of 2x; sync closes each connection after its
response, and a new loopback connection costs far less than one list request. Behind nginx (a
buffering proxy, as gunicorn recommends for sync workers) the keep-alive is nginx's anyway.

The table goes to stdout with a profile of one list request (queries, time in SQL, the main query's
plan) and one `interested`; progress goes to stderr. Every process started here is stopped by its
id on the way out, an interrupt included.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
REFERRALS = 100_000
OTHER_PARTNERS = 20
CONNECTIONS = 32
WORKERS = 2
GOAL_SHARE_OF_TRIVIAL = 0.40
GOAL_P99_MS = 100.0
# New referrals per second of `interested` load the pool must cover (far above what two workers do).
POOL_PER_SECOND = 1500


def say(message: str) -> None:
    print(f"[bench api {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Config:
    scale: float
    seconds: int
    warmup: int
    worker_class: str
    threads: int
    tmp: Path

    @property
    def referrals(self) -> int:
        return max(500, round(REFERRALS * self.scale))

    @property
    def new_pool(self) -> int:
        """New referrals for `interested`: 30% of the partner's, or enough for the run if that is more."""
        return max(self.referrals * 3 // 10, (self.seconds + self.warmup) * POOL_PER_SECOND)


def config(tmp: Path) -> Config:
    worker_class = os.environ.get("BENCH_API_WORKER_CLASS", "sync")
    if worker_class not in ("gthread", "sync"):
        raise SystemExit("BENCH_API_WORKER_CLASS is gthread or sync")
    return Config(
        scale=float(os.environ.get("BENCH_SCALE", "1")),
        seconds=max(1, int(os.environ.get("BENCH_API_SECONDS", "10"))),
        warmup=max(1, int(os.environ.get("BENCH_API_WARMUP", "2"))),
        worker_class=worker_class,
        threads=max(1, int(os.environ.get("BENCH_API_THREADS", "4"))) if worker_class == "gthread" else 1,
        tmp=tmp,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_wrk() -> str:
    """Debian's wrk, installed as `make test-deps` installs chromium when it is missing."""
    found = shutil.which("wrk")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing Debian's wrk")
        quiet = {"stdout": subprocess.DEVNULL, "env": os.environ | {"DEBIAN_FRONTEND": "noninteractive"}}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, **quiet)  # type: ignore[call-overload]
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("the API benchmark needs wrk: apt-get install -y wrk")
    return found


# --- Processes ---------------------------------------------------------------------------------


@contextmanager
def postgres(tmp: Path) -> Iterator[str]:
    """Our own PostgreSQL (scripts/postgres.sh), with a database `leadshare` on it; stopped on the way out."""
    state = tmp / "postgres-dir"
    url = subprocess.run(
        ["bash", "scripts/postgres.sh", "start"],
        cwd=ROOT,
        env=os.environ | {"PG_STATE_FILE": str(state)},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout.strip()
    try:
        import psycopg

        parts = urlsplit(url)
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute("CREATE DATABASE leadshare")
        yield url
    finally:
        if state.exists() and state.read_text().strip():
            subprocess.run(["bash", "scripts/postgres.sh", "stop", state.read_text().strip()], cwd=ROOT, check=False)


def server_env(cfg: Config, database_url: str) -> dict[str, str]:
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "leadshare.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "leadshare-bench-throwaway-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "API_RATE_LIMIT": "1000000000/m",
        "DATA_DIR": str(cfg.tmp / "data"),
        "EMAIL_URL": f"file://{cfg.tmp / 'mail'}",
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def gunicorn(cfg: Config, env: dict[str, str]) -> Iterator[str]:
    """The app under gunicorn on a free loopback port; its base URL. Stopped by its pid on the way out."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "leadshare.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={WORKERS}",
        f"--worker-class={cfg.worker_class}",
        f"--threads={cfg.threads}",
        "--backlog=256",
        "--keep-alive=5",
        "--log-level=warning",
        f"--error-logfile={cfg.tmp / 'gunicorn.log'}",
        f"--chdir={ROOT}",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited: see {cfg.tmp / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(f"{base}/api/v1/ping", timeout=2) as response:  # noqa: S310 (loopback)
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not answer within 60 s") from None
                time.sleep(0.2)
        say(f"gunicorn pid {process.pid}: {WORKERS} {cfg.worker_class} workers, {cfg.threads} thread(s) each, {base}")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- Data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    partner_id: int
    user_id: int
    token: str
    warm_ids: list[int]
    run_ids: list[int]
    spare_id: int


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def insert_select(model: Any, values: dict[str, str], rows: str) -> None:
    """INSERT INTO model's table SELECT `values` (column -> SQL over `rows`) FROM `rows`: the other columns
    take their model default, so a column someone adds later does not break the load."""
    from django.db import connection

    rest = [f for f in model._meta.concrete_fields if f.column not in values and not f.primary_key]
    defaults = [f.get_default() for f in rest]
    missing = [f.name for f, value in zip(rest, defaults, strict=True) if value is None and not f.null]
    if missing:
        raise SystemExit(f"bench/api.py does not fill {model.__name__}.{', '.join(missing)}: add it to the load")
    names = ", ".join(connection.ops.quote_name(c) for c in [*values, *(f.column for f in rest)])
    table = connection.ops.quote_name(model._meta.db_table)
    select = ", ".join([*values.values(), *["%s"] * len(rest)])
    params = [f.get_db_prep_save(value, connection) for f, value in zip(rest, defaults, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {select} FROM {rows}", params)


def load(cfg: Config, env: dict[str, str]) -> Dataset:
    """One partner with cfg.referrals referrals (and the pool of new ones), 20 others with as many."""
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from notifications.models import OutboxMessage
    from partners import tokens
    from partners.models import BusinessProfile, Location, Partner, ProfileContact, Role, User
    from referrals.models import CustomerContact, Engagement, ProfileResponsiveness, Referral, ReferralEvent

    now = timezone.now().replace(microsecond=0)
    partners, profiles = [], []
    for i in range(OTHER_PARTNERS + 1):
        partner = Partner.objects.create(name="Bench Partner" if i == 0 else f"Other Partner {i}", country="DE")
        profile = BusinessProfile.objects.create(partner=partner, country="DE", description=f"Profile {i}")
        Location.objects.create(profile=profile, city="Berlin", address=f"Street {i}", lat=52.5, lon=13.4)
        ProfileContact.objects.create(profile=profile, name="Alerts", email=f"alerts{i}@partner{i}.example")
        ProfileResponsiveness.objects.create(profile=profile)
        partners.append(partner)
        profiles.append(profile)
    admin = User.objects.create_user("admin@bench.example", None, partner=partners[0], role=Role.REFERRALS_ADMIN)
    _token, plain = tokens.issue(admin, "bench", now)

    # Referral g (with engagement g, created with it): 1..mine are the bench partner's, the rest the others'.
    # The bench partner's first `referrals` are 30% new (g mod 10 < 3), then by g mod 10: 3 evaluating,
    # 4 negotiating, 5-6 won, 7 lost, 8 skipped, 9 missed; past them, the rest of the pool, all new.
    pool_extra = max(0, cfg.new_pool - cfg.referrals * 3 // 10)
    mine = cfg.referrals + pool_extra
    total = mine + cfg.referrals
    at = f"TIMESTAMPTZ '{now.isoformat()}'"
    state = (
        f"CASE WHEN g > {mine} THEN (ARRAY['won','lost','skipped','missed','declined','expired'])[1 + mod(g, 6)]"
        f" WHEN g > {cfg.referrals} OR mod(g, 10) < 3 THEN 'new'"
        " ELSE (ARRAY['evaluating','negotiating','won','won','lost','skipped','missed'])[mod(g, 10) - 2] END"
    )
    # New ones within the last day (their 72-hour deadline ahead), the others over the last two years.
    created = (
        f"CASE WHEN {state} = 'new' THEN {at} - make_interval(secs => mod(g * 37, 86400))"
        f" ELSE {at} - make_interval(secs => 86400 + mod(g * 97, 63072000)) END"
    )
    series = f"(SELECT g, {state} AS s, {created} AS c FROM generate_series(1, {total}) AS g) AS r"
    owner = f"CASE WHEN g <= {mine} THEN {{first}} ELSE {{other}} + mod(g, {OTHER_PARTNERS}) END"
    say(f"loading {total:,} engagements, contacts, referrals and their history ({mine:,} for the bench partner)")
    started = time.monotonic()
    insert_select(
        Engagement,
        {
            "id": "g",
            "public_token": "'bench-' || g",
            "customer_company": "'Customer ' || g",
            "customer_size_id": "'50-249'",
            "customer_industry_id": "'manufacturing'",
            "customer_country": "'DE'",
            "customer_city": "'Berlin'",
            "customer_address": "'Street ' || g",
            "need": "'Move ' || mod(g, 500) || ' mailboxes to the cloud'",
            "requested_products": "'[\"office-suite\"]'::jsonb",
            "consent_contact": "true",
            "source": "'agent'",
            "created_at": "c",
        },
        series,
    )
    insert_select(
        CustomerContact,
        {"engagement_id": "id", "name": "'Contact ' || id", "email": "'contact' || id || '@customer.example'"},
        "referrals_engagement",
    )
    insert_select(
        Referral,
        {
            "id": "g",
            "engagement_id": "g",
            "profile_id": owner.format(first=profiles[0].pk, other=profiles[1].pk),
            "partner_id": owner.format(first=partners[0].pk, other=partners[1].pk),
            "state": "s",
            "version": "1",
            "created_at": "c",
            "updated_at": "c + make_interval(secs => mod(g, 3600))",
            "state_entered_at": "c + make_interval(secs => mod(g, 3600))",
            "deadline_at": "CASE s WHEN 'new' THEN c + interval '72 hours' "
            "WHEN 'evaluating' THEN c + interval '7 days' ELSE NULL END",
            "remind_at": "CASE s WHEN 'new' THEN c + interval '60 hours' ELSE NULL END",
        },
        series,
    )
    insert_select(
        ReferralEvent,
        {
            "referral_id": "id",
            "at": "created_at",
            "actor_kind": "'system'",
            "actor_label": "'bench'",
            "action": "'create'",
            "to_state": "'new'",
        },
        "referrals_referral",
    )
    with connection.cursor() as cursor:
        for table in (Engagement._meta.db_table, Referral._meta.db_table):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        for model in (Engagement, CustomerContact, Referral, ReferralEvent, OutboxMessage):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    say(f"loaded in {time.monotonic() - started:.1f} s")

    new_ids = list(
        Referral.objects.filter(partner=partners[0], state="new", deadline_at__gt=now)
        .order_by("id")
        .values_list("id", flat=True)
    )
    warm = cfg.warmup * POOL_PER_SECOND
    return Dataset(partners[0].pk, admin.pk, plain, new_ids[1 : warm + 1], new_ids[warm + 1 :], new_ids[0])


# --- Profile -----------------------------------------------------------------------------------


def profile(data: Dataset) -> list[str]:
    """Queries and time of one list request and one `interested`, in-process, and the list's plan."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from partners.models import User
    from referrals import queries

    lines = []
    headers = {"Authorization": f"Bearer {data.token}"}
    with override_settings(ALLOWED_HOSTS=["testserver"], API_LIST_CACHE_SIZE=0):  # the page as built
        client = Client()
        client.get("/api/v1/referrals?limit=50", headers=headers)  # warm
        times = []
        for _ in range(20):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = client.get("/api/v1/referrals?limit=50", headers=headers)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content
        sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        lines.append(
            f"list, in-process: {len(captured.captured_queries)} queries, {statistics.median(times) * 1000:.1f} ms "
            f"per request (median of 20), {sql_ms:.1f} ms of it in SQL"
        )
        lines.extend(f"  {q['time']}s  {q['sql'][:150]}" for q in captured.captured_queries)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.post(f"/api/v1/referrals/{data.spare_id}/interested", headers=headers)
            took = time.perf_counter() - started
        assert response.status_code == 200, response.content
        sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        lines.append(
            f"interested, in-process: {len(captured.captured_queries)} queries, {took * 1000:.1f} ms, "
            f"{sql_ms:.1f} ms of it in SQL"
        )
    user = User.objects.get(pk=data.user_id)
    # A page deep in the list costs what the first does only if the cursor bounds the index scan.
    ordered = queries.selected(user, queries.Filters()).order_by("updated_at", "id")
    count = ordered.count()
    for share in (0.0, 0.5, 0.99):
        after = None
        if share:
            after = queries.encode_cursor(ordered[int(count * share)])
        page_times = []
        for _ in range(5):
            started = time.perf_counter()
            queries.page(user, queries.Filters(), 50, after)
            page_times.append(time.perf_counter() - started)
        median_ms = statistics.median(page_times) * 1000
        lines.append(f"list, a page at {share:.0%} of {count:,}: {median_ms:.1f} ms (in-process)")
    plan = (
        queries.selected(user, queries.Filters())
        .order_by("updated_at", "id")
        .select_related("engagement")[:51]
        .explain(analyze=True, buffers=True)
    )
    lines.append("list, main query: EXPLAIN (ANALYZE, BUFFERS)")
    lines.extend(f"  {line}" for line in plan.splitlines())
    return lines


# --- Load --------------------------------------------------------------------------------------

DONE = """
done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non2xx": %d, '
    .. '"errors": %d}\\n', summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""


def script(tmp: Path, name: str, token: str | None = None, ids: list[int] | None = None) -> Path:
    lua = []
    if token:
        lua.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    if ids is not None:
        ids_file = tmp / f"{name}.ids"
        ids_file.write_text("\n".join(map(str, ids)) + "\n")
        lua.append(
            f"""
wrk.method = "POST"
local ids = {{}}
for line in io.lines("{ids_file}") do ids[#ids + 1] = line end
local next_id = 0
request = function()
  -- Each request on another new referral; past the end of the pool the last id again (a 409).
  next_id = math.min(next_id + 1, #ids)
  return wrk.format(nil, "/api/v1/referrals/" .. ids[next_id] .. "/interested")
end
"""
        )
    lua.append(DONE)
    path = tmp / f"{name}.lua"
    path.write_text("\n".join(lua))
    return path


@dataclass(frozen=True)
class Result:
    endpoint: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def wrk(binary: str, url: str, lua: Path, seconds: int, endpoint: str) -> Result:
    # One wrk thread: it needs little CPU, and the two cores are the server's and PostgreSQL's.
    command = [binary, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout=5s", "-s", str(lua), url]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, timeout=seconds + 60)
    numbers = json.loads(done.stdout.strip().splitlines()[-1])
    return Result(
        endpoint,
        numbers["requests"],
        numbers["duration_us"] / 1e6,
        numbers["p50_us"] / 1000,
        numbers["p99_us"] / 1000,
        numbers["non2xx"],
        numbers["errors"],
    )


def table(results: list[Result], trivial: Result) -> list[str]:
    lines = [
        "| endpoint | rps | p50 | p99 | vs trivial | goal |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        share = r.rps / trivial.rps
        if r is trivial:
            goal = "(the yardstick)"
        elif r.endpoint.startswith("GET /api/v1/referrals"):
            met = share >= GOAL_SHARE_OF_TRIVIAL and r.p99_ms < GOAL_P99_MS
            verdict = "met" if met else "MISSED"
            goal = f"≥ {GOAL_SHARE_OF_TRIVIAL:.0%} of trivial rps, p99 < {GOAL_P99_MS:.0f} ms: {verdict}"
        else:
            goal = f"p99 < {GOAL_P99_MS:.0f} ms: {'met' if r.p99_ms < GOAL_P99_MS else 'missed'} (no rps goal)"
        lines.append(f"| {r.endpoint} | {r.rps:,.0f} | {r.p50_ms:.1f} ms | {r.p99_ms:.1f} ms | {share:.0%} | {goal} |")
    return lines


def measure(binary: str, cfg: Config, base: str, plan: tuple[str, str, Path, Path | None]) -> Result:
    endpoint, path, lua, warm_lua = plan
    say(f"{endpoint}: {cfg.warmup} s warm-up, {cfg.seconds} s measured")
    wrk(binary, base + path, warm_lua or lua, cfg.warmup, endpoint)
    result = wrk(binary, base + path, lua, cfg.seconds, endpoint)
    say(f"  {result.requests:,} requests, {result.non_2xx} not 2xx, {result.errors} socket errors")
    return result


def main() -> None:
    # The `finally` blocks stop the server and PostgreSQL on SIGTERM too, as they do on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    binary = require_wrk()
    with tempfile.TemporaryDirectory(prefix="leadshare-bench-api.") as tmp_name:
        cfg = config(Path(tmp_name))
        say(f"scale {cfg.scale}: {cfg.referrals:,} referrals for one partner; {cfg.seconds} s per endpoint")
        with postgres(cfg.tmp) as database_url:
            env = server_env(cfg, database_url)
            migrate(env)
            data = load(cfg, env)
            notes = profile(data)
            with gunicorn(cfg, env) as base:
                plans = [
                    ("GET /api/v1/ping", "/api/v1/ping", script(cfg.tmp, "ping"), None),
                    (
                        "GET /api/v1/referrals?limit=50",
                        "/api/v1/referrals?limit=50",
                        script(cfg.tmp, "list", data.token),
                        None,
                    ),
                    (
                        "POST /api/v1/referrals/{id}/interested",
                        "/api/v1/referrals",
                        script(cfg.tmp, "interested", data.token, data.run_ids),
                        script(cfg.tmp, "interested-warm", data.token, data.warm_ids),
                    ),
                ]
                results = [measure(binary, cfg, base, plan) for plan in plans]
            # The same list with no page kept in memory: what each request costs when it must be built.
            with gunicorn(cfg, env | {"API_LIST_CACHE_SIZE": "0"}) as base:
                cold = (
                    "GET /api/v1/referrals?limit=50, built every time (API_LIST_CACHE_SIZE=0)",
                    "/api/v1/referrals?limit=50",
                    script(cfg.tmp, "list", data.token),
                    None,
                )
                results.insert(2, measure(binary, cfg, base, cold))
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    workers = f"{WORKERS} {cfg.worker_class} workers" + (f" x {cfg.threads} threads" if cfg.threads > 1 else "")
    print(
        f"\nREST API under gunicorn ({workers}), PostgreSQL, "
        f"{cfg.referrals:,} referrals for the partner, {CONNECTIONS} connections, {cfg.seconds} s each "
        f"({os.cpu_count()} CPUs shared with PostgreSQL and wrk; {when})\n"
    )
    print("\n".join(table(results, results[0])))
    for r in results:
        if r.non_2xx or r.errors:
            print(f"\nWARNING: {r.endpoint}: {r.non_2xx} responses not 2xx, {r.errors} socket errors")
    print("\nProfile\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
