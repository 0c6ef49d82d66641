"""What the in-process benchmarks (bench.pages, bench.finder) share: a fresh PostgreSQL database of their
own on the run's server, and a child process per database (Django reads DATABASE_URL once)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def fresh_postgres(url: str, name: str) -> str:
    """The URL of an empty database `name` on the server of `url`."""
    import psycopg

    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def drop_postgres(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")


def run_child(module: str, database_url: str, tmp: Path) -> dict[str, Any]:
    """`python -m MODULE child` on that database; its last stdout line, as JSON. Progress passes to stderr."""
    env = os.environ | {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "leadshare.settings",
        "DEBUG": "0",
        "SECRET_KEY": "leadshare-bench-throwaway-key",
        "DATA_DIR": str(tmp / "data"),
        "EMAIL_URL": f"file://{tmp / 'mail'}",
        "LOG_LEVEL": "WARNING",
    }
    out = subprocess.run([sys.executable, "-m", module, "child"], env=env, check=True, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def figures(times: list[float]) -> dict[str, float]:
    """Median and p95 of timings in ms."""
    ordered = sorted(times)
    return {"median": statistics.median(ordered), "p95": ordered[max(0, round(0.95 * len(ordered)) - 1)]}


def print_table(header: Sequence[str], rows: list[Sequence[str]]) -> None:
    """Columns padded to their widest cell, a rule under the header."""
    widths = [max(len(x) for x in column) for column in zip(header, *rows, strict=False)]
    for row in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip())
