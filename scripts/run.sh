#!/usr/bin/env bash
# `make run`: migrate, load demo data into an empty database, start the worker and the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=${DEBUG:-1}
PORT=${PORT:-8000}
PY=.venv/bin/python

$PY manage.py migrate --noinput -v0
$PY manage.py demo --if-empty

$PY manage.py worker &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT INT TERM

echo "Leadshare on http://127.0.0.1:$PORT  (worker pid $worker; e-mail: ${EMAIL_URL:-file://$PWD/data/mail})"
$PY manage.py runserver "127.0.0.1:$PORT" --noreload
