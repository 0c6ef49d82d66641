#!/usr/bin/env bash
# `make bench`: the foundation's benchmarks on a throwaway PostgreSQL and SQLite; the table goes to
# stdout, progress to stderr. BENCH_SCALE=0.02 makes a quick check run (default 1: 1M referrals).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/leadshare-bench.XXXXXX)
state="$work/postgres-dir"
cleanup() {
  if [ -s "$state" ]; then scripts/postgres.sh stop "$(cat "$state")"; fi
  rm -rf "$work"
}
trap cleanup EXIT
# The EXIT trap runs on these too, once the running step has stopped.
trap 'exit 130' INT
trap 'exit 143' TERM

url=$(PG_STATE_FILE="$state" scripts/postgres.sh start)
BENCH_PG_URL="$url" BENCH_TMP="$work" .venv/bin/python -m bench
BENCH_PG_URL="$url" BENCH_TMP="$work" .venv/bin/python -m bench.pages
.venv/bin/python -m bench.api
BENCH_PG_URL="$url" BENCH_TMP="$work" .venv/bin/python -m bench.finder
BENCH_TMP="$work" .venv/bin/python -m bench.matching
OPENBLAS_NUM_THREADS=1 .venv/bin/python -m bench.matching_engine
