#!/usr/bin/env bash
# `make test` after lint and types: the whole suite on SQLite, then on a throwaway PostgreSQL.
# Browser tests (sync Playwright) run in their own pytest process on each database.
set -euo pipefail
cd "$(dirname "$0")/.."
# The whole suite runs with the wall clock moved by a random number of days (tests/clock.py), so that no test
# depends on the date it runs on; CLOCK_OFFSET_DAYS=N replays a run.
offset=${CLOCK_OFFSET_DAYS:-$((RANDOM % 801 - 400))}
echo "== clock offset: $offset days (replay with CLOCK_OFFSET_DAYS=$offset make test)"
PYTEST=(.venv/bin/pytest -q --clock-offset-days "$offset")
unset DATABASE_URL
# One BLAS thread, as the routing service decides with: on a 2-core machine numpy's threads only fight the
# suite's own process (the matching engine's tests took 39 s with them and 14 s without).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

echo "== SQLite: suite"
"${PYTEST[@]}" -m "not browser"
echo "== SQLite: browser"
"${PYTEST[@]}" -m browser tests/browser

state=$(mktemp)
PG_STATE_FILE=$state bash scripts/postgres.sh start >"$state.url"
trap 'bash scripts/postgres.sh stop "$(cat "$state")"; rm -f "$state" "$state.url"' EXIT
export DATABASE_URL=$(cat "$state.url")

echo "== PostgreSQL: suite"
"${PYTEST[@]}" -m "not browser"
echo "== PostgreSQL: browser"
"${PYTEST[@]}" -m browser tests/browser
