#!/usr/bin/env bash
# `make lint`: the API's OpenAPI document against Redocly's recommended rules (tools/openapi-lint, pinned by
# its package-lock.json and installed by `make install`). Offline: no telemetry, no update check.
set -euo pipefail
cd "$(dirname "$0")/../tools/openapi-lint"
# A fixed name (git ignores it): the exceptions in .redocly.lint-ignore.yaml name the file they apply to.
DJANGO_SETTINGS_MODULE=leadshare.settings_test ../../.venv/bin/python ../../manage.py openapi >openapi.json
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true node_modules/.bin/redocly lint openapi.json
