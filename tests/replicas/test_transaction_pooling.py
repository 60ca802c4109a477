"""Behind a pooler in transaction mode (PgBouncer), a connection's session is shared.

The pooler hands each transaction whichever server connection is free, so a setting made for
the session outlives the statement that made it and reaches other clients. resetkit only sets
what it needs with ``SET LOCAL`` (``set_config(..., true)``) inside a transaction of its own.
These tests capture the SQL of every path on PostgreSQL and fail on a session-level setting,
and check what another client sees in the middle of a cleanup. ``make test-pgbouncer`` runs
them, with the endpoint suite, the store contract and the race, through PgBouncer
(``.ci/pgbouncer.sh``); ``make test-postgres`` runs them directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from resetkit.backends.orm import ORMTokenStore
from resetkit.models import ResetPasswordToken
from tests.concurrency import run_together
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

REQUEST_URL = reverse("password_reset:reset-password-request")
VALIDATE_URL = reverse("password_reset:reset-password-validate")
CONFIRM_URL = reverse("password_reset:reset-password-confirm")
EXPIRED = 400
CONFIRMS = 32

# A statement that changes a setting: SET/RESET/set_config, and what lives past a transaction.
SETTING = re.compile(r"^\s*(SET|RESET)\b|\bset_config\s*\(", re.IGNORECASE)
SESSION_STATE = re.compile(
    r"^\s*(PREPARE|LISTEN|DECLARE\b.*\bWITH\s+HOLD|CREATE\s+TEMP)|pg_advisory_lock\(",
    re.IGNORECASE,
)
LOCAL = re.compile(r"^\s*SET\s+LOCAL\b", re.IGNORECASE)
SET_CONFIG = re.compile(r"\bset_config\s*\(\s*'[^']+'\s*,\s*[^,]+,\s*(\w+)\s*\)", re.IGNORECASE)


def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("transaction pooling (PgBouncer) is PostgreSQL's")


class StatementLog:
    """Every statement run on any connection of this thread, and whether it ran inside a
    transaction block."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, bool]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        in_block = context["connection"].in_atomic_block
        self.statements.append((str(sql), bool(in_block)))
        return execute(sql, params, many, context)

    def settings_made(self) -> list[tuple[str, bool]]:
        return [(sql, in_block) for sql, in_block in self.statements if SETTING.search(sql)]

    def session_level(self) -> list[str]:
        """The statements that leave state on the server connection past their transaction."""
        found = []
        for sql, in_block in self.statements:
            if SESSION_STATE.search(sql):
                found.append(sql)
            if not SETTING.search(sql):
                continue
            local_flags = [flag.lower() for flag in SET_CONFIG.findall(sql)]
            is_local = bool(LOCAL.search(sql)) or (
                bool(local_flags) and all(flag == "true" for flag in local_flags)
            )
            if not (is_local and in_block):
                found.append(sql)
        return found


@pytest.fixture
def statements() -> Iterator[StatementLog]:
    log = StatementLog()
    wrappers = [connections[alias].execute_wrapper(log) for alias in connections]
    for wrapper in wrappers:
        wrapper.__enter__()
    try:
        yield log
    finally:
        for wrapper in reversed(wrappers):
            wrapper.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _orm_store_unthrottled() -> Iterator[None]:
    with resetkit_overrides(
        TOKEN_STORE="resetkit.backends.orm.ORMTokenStore",
        VALIDATE_THROTTLE_CLASSES=[],
        CONFIRM_THROTTLE_CLASSES=[],
    ):
        yield


def load_expired(user: Any, count: int = EXPIRED) -> None:
    """``count`` expired rows of ``user``: enough for the cleanup's page batches."""
    old = timezone.now() - timedelta(hours=48)
    ResetPasswordToken.objects.bulk_create(
        ResetPasswordToken(
            user=user,
            digest=f"{n:064x}",
            created_at=old - timedelta(seconds=n),
            user_agent="expired",
            password_fingerprint="",
        )
        for n in range(count)
    )


def test_no_path_leaves_a_setting_on_the_session(
    api_client: Any, signals: Any, make_user: Any, statements: StatementLog
) -> None:
    """Request (with its bounded cleanup), validate, confirm, issuing that revokes earlier
    tokens, the cleanup command's batches: every setting is SET LOCAL in a transaction."""
    postgres_only()
    user = make_user(email="pool@example.com")
    load_expired(user)
    with resetkit_overrides(REVOKE_EARLIER_TOKENS=True):
        assert api_client.post(REQUEST_URL, {"email": user.email}, format="json").status_code == 200
    key = signals.keys[-1]
    assert api_client.post(VALIDATE_URL, {"token": key}, format="json").status_code == 200
    body = {"token": key, "password": "pooled-Passw0rd-new"}
    assert api_client.post(CONFIRM_URL, body, format="json").status_code == 200

    load_expired(user)
    call_command("clearresetpasswodtokens", verbosity=0)
    assert not ResetPasswordToken.objects.using("default").exists()

    assert statements.session_level() == []
    # The cleanup's settings were made, and made inside its own transactions.
    made = statements.settings_made()
    assert any("lock_timeout" in sql and in_block for sql, in_block in made), made


def test_another_client_never_sees_the_cleanup_settings(
    make_user: Any, statements: StatementLog
) -> None:
    """Between two batches of the cleanup (their server connection back in the pool), a new
    client's session has PostgreSQL's defaults. Through PgBouncer in transaction mode the
    new client is handed the connection the batch just used."""
    postgres_only()
    load_expired(make_user(email="batches@example.com"), 3 * EXPIRED)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {ResetPasswordToken._meta.db_table}")
    batches = ORMTokenStore().clear_expired_in_batches(EXPIRED // 2)
    assert next(batches) > 0  # one batch done and committed; more to come
    # The batch ran with its settings (the page batches, not the small-table fallback).
    assert any("lock_timeout" in sql for sql, _ in statements.settings_made())
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('lock_timeout'), current_setting('synchronous_commit')"
            )
            seen = cursor.fetchone()
    finally:
        other.close()
    assert seen == ("0", "on")
    assert sum(batches) > 0


def test_one_token_confirmed_by_32_at_once_resets_once(make_user: Any, signals: Any) -> None:
    """The race of the contract, through whatever the run connects through (PgBouncer for
    ``make test-pgbouncer``): of 32 simultaneous confirms with one token, exactly one wins."""
    postgres_only()
    from rest_framework.test import APIClient

    user = make_user(email="race@example.com")
    token = ORMTokenStore().create_token(user, "r" * 32)

    def confirm(n: int) -> int:
        body = {"token": token.key, "password": f"race-Passw0rd-{n}"}
        return int(APIClient().post(CONFIRM_URL, body, format="json").status_code)

    statuses = run_together(CONFIRMS, confirm)
    assert sorted(statuses) == [200] + [404] * (CONFIRMS - 1)
    winner = statuses.index(200)
    fresh = get_user_model()._base_manager.using("default").get(pk=user.pk)
    assert fresh.check_password(f"race-Passw0rd-{winner}")
    assert len(signals.pre) == len(signals.post) == 1
    assert not ResetPasswordToken.objects.using("default").exists()


def test_the_run_goes_through_the_pooler_when_asked() -> None:
    """``make test-pgbouncer`` really talks to PgBouncer (its admin database answers there),
    with Django's server-side cursors off, as transaction pooling needs."""
    postgres_only()
    if not getattr(settings, "PG_BOUNCER", False):
        pytest.skip("not a PgBouncer run (RESETKIT_PG_PORT=6432)")
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    params = {**connection.get_connection_params(), "dbname": "pgbouncer"}
    import psycopg

    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as admin:
        admin.autocommit = True
        version = admin.execute("SHOW VERSION").fetchall()
    assert "PgBouncer" in str(version)
