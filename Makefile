# Developer and CI entry points for django-resetkit.
#
#   make demo           run the example project on http://127.0.0.1:8000/
#   make test           the test suite on SQLite (auth.User, then a UUID-keyed custom user)
#   make lint           ruff (lint + format check) and mypy
#   make test-services  the suite on PostgreSQL+Redis and on MariaDB+Redis
#   make compat         the Django/DRF/Python compatibility matrix (nox)
#   make clean          remove every generated file, the virtualenv included
#
# Everything runs in ./.venv, created from $(PYTHON) on first use and refreshed whenever
# pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

# Stamps: the editable install re-runs only when pyproject.toml is newer than its stamp.
DEV_STAMP      := $(VENV)/.installed-dev
SERVICES_STAMP := $(VENV)/.installed-services

# Service runs: distinct test databases and Redis databases, so the two can run in parallel.
PG_TEST_NAME      ?= test_resetkit_pg
MARIADB_TEST_NAME ?= test_resetkit_mariadb
PG_REDIS_URL      ?= redis://127.0.0.1:6379/2
MARIADB_REDIS_URL ?= redis://127.0.0.1:6379/3

# Extra arguments for pytest and nox, e.g. `make test PYTEST_ARGS="-k confirm"`.
PYTEST_ARGS ?=
NOX_ARGS    ?=

DEMO_ADDR ?= 127.0.0.1:8000

.DEFAULT_GOAL := help

.PHONY: help venv services-venv demo test lint test-services test-postgres test-mariadb \
        compat clean

help:
	@sed -n '3,9p' Makefile | sed 's/^# *//'

# --- environment -------------------------------------------------------------------------

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "resetkit needs Python >= 3.10; run: make PYTHON=/path/to/python3.X ..." >&2; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "'$(PYTHON) -m venv' failed; on Debian/Ubuntu install the python3-venv package." >&2; \
		exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[dev]"
	@touch $@

# The service drivers: psycopg (binary wheel) and mysqlclient, which compiles against
# libmariadb-dev (or libmysqlclient-dev) and needs pkg-config.
$(SERVICES_STAMP): pyproject.toml $(DEV_STAMP)
	$(BIN)/python -m pip install -e ".[dev,postgres,mysql]"
	@touch $@

venv: $(DEV_STAMP)

services-venv: $(SERVICES_STAMP)

# --- demo --------------------------------------------------------------------------------

demo: $(DEV_STAMP)
	$(BIN)/python example/manage.py migrate
	$(BIN)/python example/manage.py create_demo_user
	$(BIN)/python example/manage.py runserver $(DEMO_ADDR)

# --- tests -------------------------------------------------------------------------------

# The defaults are spelled out so that a RESETKIT_TEST_* variable left in the shell
# cannot turn `make test` into something else.
test: $(DEV_STAMP)
	RESETKIT_TEST_DB=sqlite RESETKIT_TEST_CACHE=locmem RESETKIT_TEST_USER_MODEL=auth \
		$(BIN)/pytest $(PYTEST_ARGS)
	RESETKIT_TEST_DB=sqlite RESETKIT_TEST_CACHE=locmem RESETKIT_TEST_USER_MODEL=uuid \
		$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-services: test-postgres test-mariadb

test-postgres: $(SERVICES_STAMP)
	RESETKIT_TEST_DB=postgres RESETKIT_TEST_CACHE=redis RESETKIT_TEST_USER_MODEL=uuid \
	RESETKIT_PG_TEST_NAME=$(PG_TEST_NAME) RESETKIT_REDIS_URL=$(PG_REDIS_URL) \
		$(BIN)/pytest -q $(PYTEST_ARGS)

test-mariadb: $(SERVICES_STAMP)
	RESETKIT_TEST_DB=mariadb RESETKIT_TEST_CACHE=redis RESETKIT_TEST_USER_MODEL=auth \
	RESETKIT_MARIADB_TEST_NAME=$(MARIADB_TEST_NAME) RESETKIT_REDIS_URL=$(MARIADB_REDIS_URL) \
		$(BIN)/pytest -q $(PYTEST_ARGS)

compat: $(DEV_STAMP)
	$(BIN)/nox $(NOX_ARGS)

# --- housekeeping ------------------------------------------------------------------------

clean:
	rm -rf $(VENV) .nox .ci/logs build dist site .mypy_cache .ruff_cache .pytest_cache
	rm -rf *.egg-info example/db.sqlite3
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
