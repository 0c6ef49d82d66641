# The two commands of the README, and what they share. See docs/operations.md for production.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

LINTER := tools/openapi-lint

.PHONY: install run test lint types test-deps bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	touch $@

# Redocly CLI for `make lint`, exactly as its package-lock.json pins it (Debian's nodejs and npm if missing).
$(LINTER)/node_modules/.installed: $(LINTER)/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	cd $(LINTER) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

run: install
	bash scripts/run.sh

# Debian's chromium for the browser tests; nothing downloads a browser of its own.
test-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: install $(LINTER)/node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	bash scripts/openapi-lint.sh

types: install
	$(BIN)/mypy .

test: install test-deps lint types
	bash scripts/test.sh

bench: install
	bash bench/run.sh

clean:
	rm -rf $(VENV) data staticfiles $(LINTER)/node_modules
