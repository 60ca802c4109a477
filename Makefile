# Developer and CI entry points for django-resetkit.
#
#   make demo           run the example project on http://127.0.0.1:8000/
#   make test           the test suite on SQLite (auth.User, then a UUID-keyed custom user)
#   make lint           ruff (lint + format check) and mypy
#   make test-services  the suite on PostgreSQL+Redis and on MariaDB+Redis
#   make test-replicas  the replica tests: reads routed to a lagging second database (SQLite, PostgreSQL)
#   make test-pgbouncer endpoints, store contract, races and replicas through PgBouncer (transaction mode)
#   make test-redis-store  the native Redis token store on one Redis, a Cluster and Sentinel
#   make test-redis-replica  the cache store and counters with a real Redis replica
#   make compat         the Django/DRF/Python compatibility matrix (nox)
#   make schemathesis   the demo under a real server, fuzzed against its OpenAPI schema
#   make browser-test   the demo's reset page in headless Chromium (Playwright)
#   make check-translations  the translation catalogs hold every message of the code
#   make docs           the documentation site in site/ (MkDocs; any warning fails)
#   make check-migrations  the models and the committed migrations agree (makemigrations --check)
#   make wheel-smoke    build the sdist and wheel, install the wheel in a fresh venv, run a reset
#   make race           32 simultaneous confirms with one token, on PostgreSQL and Redis
#   make timing         the request endpoint's timing oracle: resetkit (threads, tasks) beside upstream
#   make timing-quick   the same, 60 requests per class and cell (about 2 minutes; for CI)
#   make attack         burst each shipped limit with 64 simultaneous requests (attack-quick: 3 rounds)
#   make e2e            the issuing work on real task workers (django-tasks-db, RQ)
#   make bench          resetkit beside upstream: round trips, throughput, cleanup (BENCH_ARGS=--quick)
#   make bench-stores   the token stores side by side: round trips, throughput, Redis memory (STORES_ARGS=--quick)
#   make bench-nodes    two app nodes against one, sharing PostgreSQL and Redis (NODES_ARGS=--quick)
#   make diagrams       redraw docs/img/deployment.png from docs/img/deployment.dot (Graphviz)
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
SCHEMATHESIS_STAMP := $(VENV)/.installed-schemathesis
BROWSER_STAMP  := $(VENV)/.installed-browser
DOCS_STAMP     := $(VENV)/.installed-docs
BENCH_STAMP    := $(VENV)/.installed-bench

# Service runs: distinct test databases and Redis databases, so the two can run in parallel.
PG_TEST_NAME      ?= test_resetkit_pg
MARIADB_TEST_NAME ?= test_resetkit_mariadb
PG_REDIS_URL      ?= redis://127.0.0.1:6379/2
MARIADB_REDIS_URL ?= redis://127.0.0.1:6379/3
PGBOUNCER_TEST_NAME  ?= test_resetkit_pgbouncer
REPLICA_PG_TEST_NAME ?= test_resetkit_replica

# Extra arguments for pytest and nox, e.g. `make test PYTEST_ARGS="-k confirm"`.
PYTEST_ARGS ?=
NOX_ARGS    ?=

DEMO_ADDR ?= 127.0.0.1:8000

# The browser test drives this Chromium (Debian's package), never one Playwright downloads.
CHROMIUM ?= /usr/bin/chromium

.DEFAULT_GOAL := help

.PHONY: help venv services-venv demo test lint test-services test-postgres test-mariadb \
        test-replicas test-pgbouncer test-redis-store test-redis-replica \
        compat schemathesis browser-test check-translations docs check-migrations wheel-smoke \
        race timing timing-quick attack attack-quick e2e bench bench-stores bench-nodes diagrams clean

help:
	@sed -n '3,28p' Makefile | sed 's/^# *//'

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

# Reads routed to a replica that lags (tests/replicas/): a second real database that holds the
# users but never sees later writes; request, validate and confirm must work at once.
test-replicas: $(SERVICES_STAMP)
	RESETKIT_TEST_REPLICA=1 RESETKIT_TEST_DB=sqlite RESETKIT_TEST_CACHE=locmem \
		$(BIN)/pytest -q tests/replicas $(PYTEST_ARGS)
	RESETKIT_TEST_REPLICA=1 RESETKIT_TEST_DB=postgres RESETKIT_TEST_CACHE=locmem \
	RESETKIT_PG_TEST_NAME=$(REPLICA_PG_TEST_NAME) \
		$(BIN)/pytest -q tests/replicas $(PYTEST_ARGS)

# PgBouncer in transaction mode (.ci/pgbouncer.sh: 127.0.0.1:6432, Debian's pgbouncer package)
# in front of PostgreSQL: the endpoint suite, the store contract, the races and the replicas.
test-pgbouncer: $(SERVICES_STAMP)
	@trap '.ci/pgbouncer.sh stop' EXIT; .ci/pgbouncer.sh start || exit 1; status=0; \
	RESETKIT_TEST_DB=postgres RESETKIT_TEST_CACHE=locmem RESETKIT_PG_PORT=6432 \
	RESETKIT_PG_TEST_NAME=$(PGBOUNCER_TEST_NAME) \
		$(BIN)/pytest -q tests/test_endpoints.py tests/backends tests/security tests/replicas \
		tests/test_cleanup_command.py $(PYTEST_ARGS) || status=1; \
	RESETKIT_TEST_REPLICA=1 RESETKIT_TEST_DB=postgres RESETKIT_TEST_CACHE=locmem \
	RESETKIT_PG_PORT=6432 RESETKIT_PG_TEST_NAME=$(PGBOUNCER_TEST_NAME) \
		$(BIN)/pytest -q tests/replicas $(PYTEST_ARGS) || status=1; \
	exit $$status

# resetkit.backends.redis.RedisTokenStore on PostgreSQL and three Redis setups, started here and
# stopped however the run ends: one Redis (database REDIS_STORE_URL), a three-master Cluster
# (.ci/redis-cluster.sh: 127.0.0.1:7000-7002) and a master with its replica under a Sentinel
# (.ci/redis-sentinel.sh: 7003, 7004, 7005). Every test named for Redis: the store contract, one
# round trip per step, the races (two tokens of one user reset at once; 32 confirms of one
# token: exactly one wins), a Sentinel failover, and every test that runs once per store (the
# store_kind fixture) with this store added. An unreachable setup fails the run.
REDIS_STORE_URL          ?= redis://127.0.0.1:6379/6
REDIS_STORE_PG_TEST_NAME ?= test_resetkit_redis_store

test-redis-store: $(SERVICES_STAMP)
	@set -eu; \
	trap '.ci/redis-cluster.sh stop; .ci/redis-sentinel.sh stop' EXIT; \
	.ci/redis-cluster.sh start; \
	.ci/redis-sentinel.sh start; \
	export RESETKIT_TEST_DB=postgres RESETKIT_TEST_CACHE=locmem RESETKIT_TEST_USER_MODEL=auth \
		RESETKIT_PG_TEST_NAME=$(REDIS_STORE_PG_TEST_NAME) \
		RESETKIT_TEST_REDIS_STORE_URL=$(REDIS_STORE_URL) \
		RESETKIT_TEST_REDIS_CLUSTER=127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002 \
		RESETKIT_TEST_REDIS_SENTINEL=127.0.0.1:7005; \
	$(BIN)/pytest -q -k redis $(PYTEST_ARGS)

# Django's RedisCache on a primary and a real replica (tests/replicas/test_redis_replica.py):
# the replica (127.0.0.1:6380) is cut off from the primary mid-test so it serves stale data;
# every read resetkit decides on must still come from the primary. Started and stopped here.
REPLICA_CACHE_REDIS_URL ?= redis://127.0.0.1:6379/7
REDIS_REPLICA_URL       ?= redis://127.0.0.1:6380

test-redis-replica: $(DEV_STAMP)
	.ci/redis-replica.sh start
	RESETKIT_TEST_DB=sqlite RESETKIT_TEST_CACHE=redis RESETKIT_REDIS_URL=$(REPLICA_CACHE_REDIS_URL) \
	RESETKIT_TEST_REDIS_REPLICA=$(REDIS_REPLICA_URL) \
		$(BIN)/pytest -q tests/replicas/test_redis_replica.py tests/backends/test_cache_commands.py \
		$(PYTEST_ARGS); status=$$?; .ci/redis-replica.sh stop; exit $$status

compat: $(DEV_STAMP)
	$(BIN)/nox $(NOX_ARGS)

# --- schemathesis -----------------------------------------------------------------------

# Test cases per operation and phase, and extra arguments (`--seed N` replays a run).
SCHEMATHESIS_EXAMPLES ?= 50
SCHEMATHESIS_ARGS     ?=

$(SCHEMATHESIS_STAMP): pyproject.toml $(DEV_STAMP)
	$(BIN)/python -m pip install -e ".[dev,schemathesis]"
	@touch $@

# The demo on a free loopback port (runserver, a fresh SQLite file, the request throttle
# relaxed through DEMO_THROTTLE_RATE), then schemathesis against the schema it serves: no 5xx,
# and every status, body, content type and header as documented. Its data reaches the 200s of
# validate and confirm only by luck (tokens are secret); tests/test_schema.py covers those.
# The server is stopped however the run ends; its log is shown when the run fails.
schemathesis: $(SCHEMATHESIS_STAMP)
	@set -eu; \
	work=$$(mktemp -d); server=; \
	cleanup() { \
		if [ -n "$$server" ]; then kill "$$server" 2>/dev/null || true; wait "$$server" 2>/dev/null || true; fi; \
		rm -rf "$$work"; \
	}; \
	trap cleanup EXIT; trap 'exit 130' INT TERM; \
	export DJANGO_SETTINGS_MODULE=demo.settings DEMO_DB_PATH="$$work/db.sqlite3" \
		DEMO_THROTTLE_RATE=100000/minute; \
	$(BIN)/python example/manage.py migrate --verbosity 0; \
	$(BIN)/python example/manage.py create_demo_user >/dev/null; \
	port=$$($(BIN)/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	$(BIN)/python example/manage.py runserver --noreload "127.0.0.1:$$port" >"$$work/server.log" 2>&1 & \
	server=$$!; \
	echo "demo server on http://127.0.0.1:$$port/ (pid $$server)"; \
	rc=0; \
	$(BIN)/schemathesis run "http://127.0.0.1:$$port/api/schema/" --wait-for-schema 30 \
		--checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection \
		--max-examples $(SCHEMATHESIS_EXAMPLES) --generation-database none --no-color \
		$(SCHEMATHESIS_ARGS) || rc=$$?; \
	if [ "$$rc" != 0 ]; then echo "--- demo server log (last 100 lines)"; tail -n 100 "$$work/server.log"; fi; \
	exit "$$rc"

# --- browser test ------------------------------------------------------------------------

$(BROWSER_STAMP): pyproject.toml $(DEV_STAMP)
	$(BIN)/python -m pip install -e ".[dev,browser]"
	@touch $@

# A missing Chromium fails the test, never skips it (CI installs it: .ci/run). Screenshots of
# each step go to .ci/artifacts/screenshots/.
browser-test: $(BROWSER_STAMP)
	@test -x "$(CHROMIUM)" || { echo "browser-test needs $(CHROMIUM): install Debian's chromium package (or set CHROMIUM=...)" >&2; exit 1; }
	RESETKIT_TEST_DB=sqlite RESETKIT_TEST_CACHE=locmem CHROMIUM=$(CHROMIUM) \
		$(BIN)/pytest tests/browser -m browser $(PYTEST_ARGS)

# --- translations ------------------------------------------------------------------------

# makemessages over a copy of the package must find no message the committed catalogs lack.
# Needs GNU gettext; a missing one fails the check, never skips it (CI installs it: .ci/run).
check-translations: $(DEV_STAMP)
	@command -v xgettext >/dev/null || { echo "check-translations needs xgettext: install Debian's gettext package" >&2; exit 1; }
	$(BIN)/pytest tests/test_translations.py -m gettext $(PYTEST_ARGS)

# --- documentation -----------------------------------------------------------------------

$(DOCS_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[docs]"
	@touch $@

# --strict: a broken link or anchor, a page missing from the nav or an included file that
# does not exist fails the build.
# NO_MKDOCS_2_WARNING silences Material's start-up banner about its end of life (not a build
# warning).
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# --- diagrams ----------------------------------------------------------------------------

# docs/img/deployment.png (docs/deployment.md) from its Graphviz source. Needs dot (Debian's
# graphviz package); the same Graphviz version redraws it byte for byte.
diagrams:
	@command -v dot >/dev/null || { echo "diagrams needs Graphviz's dot: install Debian's graphviz package" >&2; exit 1; }
	dot -Tpng docs/img/deployment.dot -o docs/img/deployment.png

# --- packaging ---------------------------------------------------------------------------

# The models of resetkit (and of the test apps) against the committed migrations: a model
# change without its migration fails.
check-migrations: $(DEV_STAMP)
	DJANGO_SETTINGS_MODULE=tests.settings RESETKIT_TEST_DB=sqlite RESETKIT_TEST_CACHE=locmem \
		$(BIN)/python -m django makemigrations --check --dry-run --skip-checks

# `python -m build` makes the sdist, then the wheel from the sdist, in a temporary directory; the
# wheel goes into a fresh virtualenv (with the Django and DRF it requires, from the index), and
# tests/install/wheel_smoke.py runs there, outside the checkout: templates, static files,
# compiled translations, migrations and LICENSE present, and a reset from request to confirm.
wheel-smoke: $(DEV_STAMP)
	@set -eu; \
	work=$$(mktemp -d); trap 'rm -rf "$$work"' EXIT; \
	$(BIN)/python -m build --outdir "$$work/dist" . >"$$work/build.log" 2>&1 \
		|| { tail -n 50 "$$work/build.log"; exit 1; }; \
	ls "$$work/dist"; \
	$(BIN)/python -m venv "$$work/venv"; \
	"$$work/venv/bin/python" -m pip install --quiet "$$work"/dist/*.whl; \
	cd "$$work" && "$$work/venv/bin/python" "$(CURDIR)/tests/install/wheel_smoke.py" \
		"$$work/dist" "$(CURDIR)"

# --- race and timing (benchmarks/) ------------------------------------------------------

# The scripts create and drop their own scratch databases (<prefix>_race_*, <prefix>_timing_*)
# and touch only Redis keys under those names. RACE_ARGS / TIMING_ARGS add options, e.g.
# `make race RACE_ARGS=--mariadb` (needs `make services-venv` first for mysqlclient).
BENCH_DB_PREFIX ?= resetkit_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/15
RACE_ARGS       ?=
TIMING_ARGS     ?=

$(BENCH_STAMP): pyproject.toml $(DEV_STAMP)
	$(BIN)/python -m pip install -e ".[dev,bench]"
	@touch $@

# gunicorn -w 4 --threads 8 on PostgreSQL: 10 rounds of 32 simultaneous confirms with one
# token on the ORM store, 10 on the cache store (Redis). Fails unless every round has exactly
# one 200, the winner's password and one post_password_reset.
race: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.race --db-prefix $(BENCH_DB_PREFIX) \
		--redis-url $(BENCH_REDIS_URL) $(RACE_ARGS)

# Time to the last byte, to the server's close, and the next request's answer, under gunicorn
# sync and gthread and uvicorn (one worker each): django-rest-passwordreset 1.6.0 (installed into
# .bench/venv-upstream on first use), resetkit with the thread executor and with the tasks executor
# (django-tasks-db and a real db_worker), each e-mailing through SMTP to a local sink; 200
# requests per class in each cell, about 8 minutes. Fails if a resetkit cell's accuracy is above
# 55% with a Mann-Whitney p below 0.01/18, or if an e-mail is missing.
timing: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.timing_oracle --alpha 0.01 --db-prefix $(BENCH_DB_PREFIX) \
		--redis-url $(BENCH_REDIS_URL) $(TIMING_ARGS)

# The same with 60 requests per class and cell, about 4 minutes: for CI, catches large leaks.
timing-quick: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.timing_oracle --quick --alpha 0.01 \
		--db-prefix $(BENCH_DB_PREFIX) --redis-url $(BENCH_REDIS_URL) $(TIMING_ARGS)

# Burst test (benchmarks/attack.py): does each limit resetkit ships hold when requests arrive
# together? gunicorn -w 4 --threads 16 (gthread) on a scratch PostgreSQL database, the cache on
# Redis (shared by the workers), the limits on as shipped (BENCH_LIMITS=shipped). Per
# limit, 10 rounds of 64 requests released at once on pre-opened keep-alive connections, the
# limit's state cleared between rounds: the request, validate and confirm throttles of one
# client; the token budget of one account asked for from 64 addresses; wrong six-digit codes for
# one account from 64 addresses (CODE_ATTEMPT_LIMIT; "n/a" where short codes are not bound to
# the account); 64 addresses of one IPv6 /64 against the request throttle. Prints a table
# (limit | configured | allowed (max) | per round | verdict); fails if any limit let more
# through than configured, or a request got a 5xx. About a minute. ATTACK_ARGS=--report-only
# always exits 0; attack-quick plays 3 rounds.
ATTACK_ARGS ?=

attack: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.attack --db-prefix $(BENCH_DB_PREFIX) \
		--redis-url $(BENCH_REDIS_URL) $(ATTACK_ARGS)

attack-quick: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.attack --rounds 3 --db-prefix $(BENCH_DB_PREFIX) \
		--redis-url $(BENCH_REDIS_URL) $(ATTACK_ARGS)

# The issuing work on real task workers (tests/e2e/): per backend (django-tasks-db, django-tasks-rq)
# a scratch PostgreSQL database, gunicorn, db_worker / rqworker and a local SMTP sink; request,
# e-mail, validate, confirm. The thread executor under runserver, gunicorn and uvicorn, the demo's
# reset page included; two gunicorn nodes with a db_worker each on one database and one Redis
# cache (tokens, throttles and the account budget shared across nodes). Unreachable PostgreSQL
# or Redis fails it, never skips it.
E2E_REDIS_URL ?= redis://127.0.0.1:6379/11

e2e: $(BENCH_STAMP)
	RESETKIT_E2E=1 RESETKIT_E2E_REDIS_URL=$(E2E_REDIS_URL) \
	RESETKIT_TEST_DB=sqlite RESETKIT_TEST_CACHE=locmem \
		$(BIN)/pytest tests/e2e -m e2e $(PYTEST_ARGS)

# resetkit beside django-rest-passwordreset 1.6.0 (benchmarks/run.py): round trips, throughput
# through gunicorn + wrk, a million expired tokens, the cleanup command, Redis memory. Builds
# django-rest-passwordreset's virtualenv in .bench/, PostgreSQL databases bench_perf_* and uses
# Redis database BENCH_PERF_REDIS_URL; rewrites docs/performance.md and docs/img/benchmark-ratios.png. The
# throughput section needs wrk (Debian's wrk package). BENCH_ARGS=--quick takes a few minutes,
# the full run about half an hour.
BENCH_ARGS           ?=
BENCH_PERF_REDIS_URL ?= redis://127.0.0.1:6379/13

bench: $(BENCH_STAMP)
	@case ",$(BENCH_ARGS)," in *--only*) ;; *) command -v wrk >/dev/null || { \
		echo "bench needs wrk for its throughput section: install Debian's wrk package" >&2; exit 1; } ;; esac
	BENCH_REDIS_URL=$(BENCH_PERF_REDIS_URL) $(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# The token stores side by side (benchmarks/stores.py): database and Redis round trips per step,
# validate and confirm throughput through gunicorn + wrk in interleaved rounds, Redis memory per
# outstanding token; the ORM store, the cache store, the native Redis store and
# django-rest-passwordreset 1.6.0. Creates and drops PostgreSQL databases bench_stores_*, FLUSHES
# Redis database BENCH_STORES_REDIS_URL (its own); writes .bench/stores.json. STORES_ARGS=--quick
# takes about 6 minutes; --cluster adds the native store on a three-master Redis Cluster on ports
# 7100-7102 (started and stopped through .ci/redis-cluster.sh), or on RESETKIT_BENCH_REDIS_CLUSTER.
STORES_ARGS            ?=
NODES_ARGS             ?=
BENCH_STORES_REDIS_URL ?= redis://127.0.0.1:6379/14

bench-stores: $(BENCH_STAMP)
	@command -v wrk >/dev/null || { echo "bench-stores needs wrk: install Debian's wrk package" >&2; exit 1; }
	$(BIN)/python -m benchmarks.stores --redis-url $(BENCH_STORES_REDIS_URL) $(STORES_ARGS)

# Two gunicorn nodes with half the workers each against one node, sharing PostgreSQL and Redis
# (benchmarks/nodes.py): request, validate and confirm throughput, two wrk processes in both
# set-ups. NODES_ARGS=--quick takes about 6 minutes; --store orm|cache|redis.
bench-nodes: $(BENCH_STAMP)
	@command -v wrk >/dev/null || { echo "bench-nodes needs wrk: install Debian's wrk package" >&2; exit 1; }
	$(BIN)/python -m benchmarks.nodes --redis-url $(BENCH_STORES_REDIS_URL) $(NODES_ARGS)

# --- housekeeping ------------------------------------------------------------------------

clean:
	rm -rf $(VENV) .nox .ci/logs .ci/artifacts build dist site .mypy_cache .ruff_cache .pytest_cache
	rm -rf .bench .bench-venvs .hypothesis
	rm -rf *.egg-info example/db.sqlite3
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
