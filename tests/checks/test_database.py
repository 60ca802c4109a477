"""W009/W010: the token table missing, or resetkit's migrations not all applied (database
checks: ``migrate`` and ``check --database`` run them); I001/W006: no index serves the account
lookup on PostgreSQL. And a missing table at request time is a 500 with a log line naming the
fix, never the outage 503."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, OperationalError, ProgrammingError, connection
from django.db.migrations.recorder import MigrationRecorder
from rest_framework.test import APIClient

from resetkit.backends.orm import ORMTokenStore
from resetkit.checks import check_lookup_index, check_token_table
from resetkit.exceptions import is_outage, is_schema_error
from resetkit.testing import capture_issue_jobs

pytestmark = pytest.mark.django_db

MIGRATE = "run `python manage.py migrate`"
ON_POSTGRESQL = connection.vendor == "postgresql"


def test_migrated_database_is_clean() -> None:
    assert check_token_table() == []  # not asked to look at a database
    assert check_token_table(databases=[DEFAULT_DB_ALIAS]) == []


def test_missing_table_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection.introspection, "table_names", lambda *a, **k: [])
    found = checks.run_checks(databases=[DEFAULT_DB_ALIAS], tags=[checks.Tags.database])
    [message] = [m for m in found if m.id == "resetkit.W009"]
    assert "'resetkit_resetpasswordtoken' does not exist in database 'default'" in message.msg
    assert message.hint == "Run: python manage.py migrate resetkit --database default"
    # A warning: migrate runs database checks first, and must not be stopped by this one.
    assert not message.is_serious()


def test_pending_migration_warns() -> None:
    MigrationRecorder(connection).record_unapplied("resetkit", "0001_initial")
    [message] = check_token_table(databases=[DEFAULT_DB_ALIAS])
    assert message.id == "resetkit.W010"
    assert "0001_initial" in message.msg


def test_migrate_itself_is_not_warned_about_the_table_it_is_creating(tmp_path: Any) -> None:
    """``migrate`` runs the database checks just before it creates the table: no W009/W010
    there (a fresh project's first ``migrate`` printed a warning that sounded like a failure)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "RESETKIT_TEST_DB": "sqlite",
        "RESETKIT_TEST_CACHE": "locmem",
    }
    script = (
        "import django, sys; from django.conf import settings; "
        "settings.DATABASES['default']['NAME'] = sys.argv[1]; django.setup(); "
        "from django.core.management import call_command; "
        "call_command('migrate', verbosity=0, skip_checks=False)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "fresh.sqlite3")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "resetkit.W009" not in done.stderr + done.stdout
    assert "resetkit.W010" not in done.stderr + done.stdout


def test_unreachable_database_is_no_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection.introspection, "table_names", down)
    assert check_token_table(databases=[DEFAULT_DB_ALIAS]) == []


SCHEMA_ERRORS = [
    OperationalError("no such table: resetkit_resetpasswordtoken"),
    OperationalError("no such column: resetkit_resetpasswordtoken.user_agent"),
    ProgrammingError('relation "resetkit_resetpasswordtoken" does not exist'),
    ProgrammingError("column resetkit_resetpasswordtoken.user_agent does not exist"),
    ProgrammingError("(1146, \"Table 'app.resetkit_resetpasswordtoken' doesn't exist\")"),
    OperationalError("(1054, \"Unknown column 'user_agent' in 'field list'\")"),
]
OUTAGES = [
    OperationalError("could not connect to server: Connection refused"),
    OperationalError("database is locked"),
    OperationalError("(2006, 'MySQL server has gone away')"),
]


@pytest.mark.parametrize("exc", SCHEMA_ERRORS, ids=str)
def test_schema_errors_are_not_outages(exc: Exception) -> None:
    assert is_schema_error(exc)
    assert not is_outage(exc)


@pytest.mark.parametrize("exc", OUTAGES, ids=str)
def test_outages_stay_outages(exc: Exception) -> None:
    assert not is_schema_error(exc)
    assert is_outage(exc)


@pytest.mark.parametrize("exc", SCHEMA_ERRORS[:3], ids=str)
@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/password_reset/validate_token/", {"token": "abc"}),
        ("/api/password_reset/confirm/", {"token": "abc", "password": "brand-new-Passw0rd"}),
    ],
)
def test_missing_table_is_a_500_with_the_fix_in_the_log(
    monkeypatch: pytest.MonkeyPatch, caplog: Any, exc: Exception, url: str, body: Any
) -> None:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise exc

    monkeypatch.setattr(ORMTokenStore, "get_token", missing)
    client = APIClient(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="resetkit"):
        response = client.post(url, body, format="json")
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.name == "resetkit"]
    assert MIGRATE in record.getMessage()
    assert record.reset_event == "schema_error"  # type: ignore[attr-defined]


def test_missing_table_behind_the_request_is_logged_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, caplog: Any, user: Any
) -> None:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise SCHEMA_ERRORS[0]

    monkeypatch.setattr(ORMTokenStore, "clear_expired", missing)
    with caplog.at_level(logging.ERROR, logger="resetkit"), capture_issue_jobs() as jobs:
        response = APIClient().post(
            "/api/password_reset/", {"email": "alice@example.com"}, format="json"
        )
        assert response.status_code == 200  # answered before the work runs, as for everyone
        jobs.run()
    assert any(MIGRATE in r.getMessage() for r in caplog.records)


# -- the account lookup's index ------------------------------------------------------------------


@pytest.mark.skipif(ON_POSTGRESQL, reason="off PostgreSQL only; the next test covers it")
def test_lookup_index_check_is_silent_off_postgresql() -> None:
    """SQLite and MariaDB serve ``email__iexact`` without a functional index: nothing to say."""
    assert check_lookup_index() == []
    assert check_lookup_index(databases=[DEFAULT_DB_ALIAS]) == []


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="PostgreSQL only (pg_indexes, UPPER() indexes): runs in make test-postgres",
)
def test_lookup_index_check_on_postgresql() -> None:
    """``email__iexact`` compiles to ``UPPER(email) = UPPER(%s)`` on PostgreSQL: only an index
    on ``UPPER(email)`` serves it, and the check says so until there is one."""
    from django.contrib.auth import get_user_model

    assert check_lookup_index() == []  # not asked to look at a database
    messages = check_lookup_index(databases=[DEFAULT_DB_ALIAS])
    assert [message.id for message in messages] == ["resetkit.I001"]  # a small table
    assert "UPPER(email)" in messages[0].msg
    table = get_user_model()._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE INDEX resetkit_test_upper_email ON "{table}" (UPPER("email"))')
        try:
            assert check_lookup_index(databases=[DEFAULT_DB_ALIAS]) == []
        finally:
            cursor.execute("DROP INDEX resetkit_test_upper_email")
