#!/usr/bin/env bash
# `make test` after lint and types: the whole suite on SQLite, then on a throwaway PostgreSQL.
# Browser tests (sync Playwright) run in their own pytest process on each database.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/pytest -q)
unset DATABASE_URL

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
