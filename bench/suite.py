"""The whole benchmark: make the data sets, run each measurement on a fresh copy, print one table.

Needs BENCH_PG_URL, a PostgreSQL server started for this run alone (bench/run.sh starts one): the
suite creates and drops databases on it. BENCH_TMP is a scratch folder for the SQLite files.
BENCH_SCALE (default 1: a million referrals) scales every data set; BENCH_REPEAT sets how many runs
each sweep figure is the median of, BENCH_IDLE_PASSES how many passes each idle figure is.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SWEEP_REFERRALS = 1_000_000
IDLE_SMALL_REFERRALS = 10_000
SQLITE_REFERRALS = 100_000
SQLITE_IDLE_SMALL_REFERRALS = 10_000
GOAL_SHARE_OF_RAW = 0.25


@dataclass(frozen=True)
class Config:
    pg_url: str
    tmp: Path
    scale: float
    repeat: int
    idle_passes: int

    def size(self, referrals: int) -> int:
        # At least 100 referrals, so that even a tiny check run has something due.
        return max(100, round(referrals * self.scale))


def config() -> Config:
    pg_url, tmp = os.environ.get("BENCH_PG_URL"), os.environ.get("BENCH_TMP")
    if not pg_url or not tmp:
        raise SystemExit("run the benchmarks with `bash bench/run.sh`: it starts the server they use")
    return Config(
        pg_url=pg_url,
        tmp=Path(tmp),
        scale=float(os.environ.get("BENCH_SCALE", "1")),
        repeat=max(1, int(os.environ.get("BENCH_REPEAT", "5"))),
        idle_passes=max(4, int(os.environ.get("BENCH_IDLE_PASSES", "20"))),
    )


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Child processes ---------------------------------------------------------------------------


def child_env(cfg: Config, database_url: str, debug: bool = False) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": database_url,
        # Not DEBUG: Django would keep every query in memory and time the bookkeeping with them.
        "DEBUG": "1" if debug else "0",
        "SECRET_KEY": "leadshare-bench-throwaway-key",
        "DATA_DIR": str(cfg.tmp / "data"),
        "EMAIL_URL": f"file://{cfg.tmp / 'mail'}",
        "LOG_LEVEL": "WARNING",
    }


def migrate(cfg: Config, database_url: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=child_env(cfg, database_url, debug=True),
        check=True,
    )


def step(cfg: Config, database_url: str, *args: str) -> Any:
    """`python -m bench ARGS` on that database; its last line of output is its result."""
    done = subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        env=child_env(cfg, database_url),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- Databases ---------------------------------------------------------------------------------


class Postgres:
    """Databases on the run's own server; each measurement gets a fresh copy of the data."""

    def __init__(self, url: str) -> None:
        self.base = urlsplit(url)
        self.admin = psycopg.connect(self.url("postgres"), autocommit=True)

    def url(self, name: str) -> str:
        return urlunsplit(self.base._replace(path=f"/{name}"))

    def version(self) -> str:
        row = self.admin.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {str(row[0]).split()[0] if row else '?'}"

    def create(self, name: str, template: str | None = None) -> str:
        self.drop(name)
        # FILE_COPY copies the files instead of writing them all through the WAL: seconds, not minutes.
        clause = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        self.admin.execute(f"CREATE DATABASE {name}{clause}")
        return self.url(name)

    def drop(self, name: str) -> None:
        self.admin.execute(f"DROP DATABASE IF EXISTS {name}")

    def checkpoint(self) -> None:
        # Writes out what the copy left dirty, so that no measurement pays for an earlier one.
        self.admin.execute("CHECKPOINT")

    @contextmanager
    def copy_of(self, template: str) -> Iterator[str]:
        url = self.create("bench_run", template)
        self.checkpoint()
        try:
            yield url
        finally:
            self.drop("bench_run")


class Sqlite:
    """SQLite files in the scratch folder; a copy of the file restores the data."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.sqlite3"

    def url(self, name: str) -> str:
        return f"sqlite:///{self.path(name)}"

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"

    def create(self, name: str, template: str | None = None) -> str:
        self.drop(name)
        if template:
            # The last connection to close checkpoints the WAL, so the main file holds everything.
            assert not Path(f"{self.path(template)}-wal").exists(), "the template is still open"
            shutil.copyfile(self.path(template), self.path(name))
        return self.url(name)

    def drop(self, name: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path(name)}{suffix}").unlink(missing_ok=True)

    @contextmanager
    def copy_of(self, template: str) -> Iterator[str]:
        url = self.create("bench_run", template)
        try:
            yield url
        finally:
            self.drop("bench_run")


Database = Postgres | Sqlite


# --- Measurements ------------------------------------------------------------------------------


@dataclass
class DataSet:
    name: str
    referrals: int
    info: dict[str, Any]


def make_data(cfg: Config, db: Database, name: str, referrals: int) -> DataSet:
    say(f"{db.version()}: generating {referrals:,} referrals into {name}")
    url = db.create(name, "bench_schema")
    info = step(cfg, url, "generate", str(referrals))
    say(f"  {info}")
    return DataSet(name, referrals, info)


@dataclass
class SweepRuns:
    ours: list[dict[str, Any]]
    raw: list[dict[str, Any]]


def check_ours(run: dict[str, Any], due: int) -> None:
    # Every due referral moved, with one history row and one customer note each (one contact per engagement).
    expected = {"rows": due, "due_before": due, "due_after": 0, "events": due, "outbox": due, "reminded": 0}
    wrong = {k: (run[k], v) for k, v in expected.items() if run[k] != v}
    if wrong:
        raise SystemExit(f"the sweep did not do the expected work: {wrong}")


def check_raw(run: dict[str, Any], due: int) -> None:
    if (run["rows"], run["due_before"], run["due_after"]) != (due, due, 0):
        raise SystemExit(f"the raw UPDATE did not move the due rows: {run}")


def measure_sweeps(cfg: Config, db: Database, data: DataSet) -> SweepRuns:
    due = int(data.info["due"])
    runs = SweepRuns([], [])
    checks: dict[str, Callable[[dict[str, Any], int], None]] = {"ours": check_ours, "raw": check_raw}
    for i in range(cfg.repeat):
        # ABBA order, so that a drift during the run (cache, server state) weighs on both alike.
        for kind in ("ours", "raw") if i % 2 == 0 else ("raw", "ours"):
            with db.copy_of(data.name) as url:
                run = step(cfg, url, "sweep", kind)
            checks[kind](run, due)
            getattr(runs, kind).append(run)
            say(f"  {kind:4} run {i + 1}: {run['rows']:,} rows in {run['seconds']:.3f} s")
    return runs


def measure_idle(cfg: Config, db: Database, small: DataSet, big: DataSet) -> tuple[dict[str, Any], dict[str, Any]]:
    # Nothing is written when nothing is due, so the data sets themselves serve.
    runs = step(cfg, db.url(big.name), "sweep", "idle", str(cfg.idle_passes), db.url(small.name), db.url(big.name))
    if not isinstance(runs, list) or len(runs) != 2:
        raise SystemExit(f"unexpected idle result: {runs}")
    for run in runs:
        say(f"  idle at {run['rows']:,} referrals: median {run['median'] * 1000:.2f} ms")
    return runs[0], runs[1]


# --- The table ---------------------------------------------------------------------------------

HEADER = ("measurement", "database", "rows", "ours", "baseline", "ratio", "goal", "met")


def rate(runs: list[dict[str, Any]]) -> float:
    return float(runs[0]["rows"]) / statistics.median(float(r["seconds"]) for r in runs)


def sweep_row(label: str, database: str, data: DataSet, runs: SweepRuns, goal: bool) -> tuple[str, ...]:
    ours, raw = rate(runs.ours), rate(runs.raw)
    share = ours / raw
    return (
        label,
        database,
        f"{data.referrals:,} ({int(data.info['due']):,} due)",
        f"{ours:,.0f}/s",
        f"{raw:,.0f}/s raw UPDATE",
        f"{share:.1%}",
        "≥ 25% of raw" if goal else "(reported)",
        ("yes" if share >= GOAL_SHARE_OF_RAW else "NO") if goal else "-",
    )


def spread(times: list[float]) -> float:
    quartiles = statistics.quantiles(times, n=4)
    return quartiles[2] - quartiles[0]


def idle_row(database: str, small: dict[str, Any], big: dict[str, Any]) -> tuple[str, ...]:
    # The goal is that a pass costs no more on the large table: its median may exceed the small
    # one's by no more than the noise, the wider interquartile range of the two. Faster is fine.
    noise = max(spread(small["seconds"]), spread(big["seconds"]))
    same = big["median"] - small["median"] <= noise
    return (
        "idle worker pass (median)",
        database,
        f"{small['rows']:,} → {big['rows']:,}",
        f"{big['median'] * 1000:.2f} ms",
        f"{small['median'] * 1000:.2f} ms at {small['rows']:,}",
        f"{big['median'] / small['median']:.2f}×",
        f"same within noise (IQR {noise * 1000:.2f} ms)",
        "yes" if same else "NO",
    )


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(HEADER), rule, *(line(r) for r in rows)])


def run_figures(runs: SweepRuns) -> str:
    def each(kind: list[dict[str, Any]]) -> str:
        return ", ".join(f"{r['seconds']:.3f}" for r in kind)

    return f"ours {each(runs.ours)} s; raw {each(runs.raw)} s"


# --- The suite ---------------------------------------------------------------------------------


def postgres_part(cfg: Config) -> tuple[list[tuple[str, ...]], list[str]]:
    db = Postgres(cfg.pg_url)
    try:
        return postgres_measurements(cfg, db)
    finally:
        db.admin.close()


def postgres_measurements(cfg: Config, db: Postgres) -> tuple[list[tuple[str, ...]], list[str]]:
    version = db.version()
    db.create("bench_schema")
    migrate(cfg, db.url("bench_schema"))
    big = make_data(cfg, db, "bench_big", cfg.size(SWEEP_REFERRALS))
    small = make_data(cfg, db, "bench_small", cfg.size(IDLE_SMALL_REFERRALS))
    say("sweep, PostgreSQL (single-statement path)")
    runs = measure_sweeps(cfg, db, big)
    say("idle passes, PostgreSQL")
    idle_small, idle_big = measure_idle(cfg, db, small, big)
    rows = [
        sweep_row("sweep: deadline moves/s incl. history + outbox", version, big, runs, goal=True),
        idle_row(version, idle_small, idle_big),
    ]
    notes = [
        f"{version} sweep runs: {run_figures(runs)}",
        f"{version} data: {big.info}",
    ]
    return rows, notes


def sqlite_part(cfg: Config) -> tuple[list[tuple[str, ...]], list[str]]:
    folder = cfg.tmp / "sqlite"
    folder.mkdir(parents=True, exist_ok=True)
    db = Sqlite(folder)
    version = db.version()
    migrate(cfg, db.url("bench_schema"))
    big = make_data(cfg, db, "bench_big", cfg.size(SQLITE_REFERRALS))
    small = make_data(cfg, db, "bench_small", cfg.size(SQLITE_IDLE_SMALL_REFERRALS))
    say("sweep, SQLite (portable ORM path)")
    runs = measure_sweeps(cfg, db, big)
    say("idle passes, SQLite")
    idle_small, idle_big = measure_idle(cfg, db, small, big)
    rows = [
        sweep_row("sweep (portable path): moves/s incl. history + outbox", version, big, runs, goal=False),
        idle_row(version, idle_small, idle_big),
    ]
    return rows, [f"{version} sweep runs: {run_figures(runs)}"]


def main() -> None:
    cfg = config()
    started = time.perf_counter()
    # The machine may be shared: the load around the run belongs next to its figures.
    load_before = os.getloadavg()[0]
    pg_rows, pg_notes = postgres_part(cfg)
    sqlite_rows, sqlite_notes = sqlite_part(cfg)
    print(table(pg_rows + sqlite_rows))
    print()
    print(
        f"BENCH_SCALE={cfg.scale:g} on {os.cpu_count()} CPUs ({platform.machine()}). Sweep figures: median of "
        f"{cfg.repeat} runs, each on a fresh copy of the generated data, commits included; ours = "
        "referrals.timers.sweep(now) (state, history row, customer outbox row, counters; batches of 2,000); "
        "raw = one UPDATE of state and deadline_at with the same due predicate, nothing else. Idle: "
        f"leadshare.worker.run_pass at an instant with nothing due, median of {cfg.idle_passes} passes."
    )
    for note in pg_notes + sqlite_notes:
        print(note)
    print(f"Load average (1 min) before the run {load_before:.2f}, after {os.getloadavg()[0]:.2f}.")
    say(f"done in {time.perf_counter() - started:.0f} s")
