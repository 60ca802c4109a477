"""Database-tagged checks, run by ``migrate`` and ``check --database``: the token table exists
and is migrated, and an index serves the account lookup."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError

from resetkit.checks.settings import settings_are_valid
from resetkit.conf import resetkit_settings


def called_by_migrate() -> bool:
    """Whether ``manage.py migrate`` is running these checks: it runs them just before it
    creates the very table they look for, and a warning then only alarms."""
    import sys

    migrate = "django.core.management.commands.migrate"
    frame = sys._getframe(1)
    while frame is not None:
        # The command's own code, or BaseCommand.execute() running checks for it.
        if frame.f_globals.get("__name__") == migrate:
            return True
        if type(frame.f_locals.get("self")).__module__ == migrate:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


@checks.register(checks.Tags.database)
def check_token_table(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """The token table must exist and resetkit's migrations be applied, or validate and confirm
    fail on every request. Warnings, not errors: ``migrate`` runs this check before it
    migrates, and an error would stop the very command that fixes it."""
    from django.apps import apps
    from django.db import connections, router
    from django.db.migrations.loader import MigrationLoader

    if not apps.is_installed("resetkit") or called_by_migrate():
        return []  # E014 (the model cannot even be imported); migrate is about to fix it
    from resetkit.models import ResetPasswordToken

    using = router.db_for_write(ResetPasswordToken)
    if using not in (databases or ()):
        return []
    if not router.allow_migrate_model(using, ResetPasswordToken):
        return []
    connection = connections[using]
    table = ResetPasswordToken._meta.db_table
    try:
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
        loader = MigrationLoader(connection, ignore_no_migrations=True)
    except DatabaseError:
        return []  # unreachable: the command that needs the database will say so
    if table not in tables:
        return [
            checks.Warning(
                f"The reset token table {table!r} does not exist in database {using!r}: "
                "validate and confirm fail on every request (HTTP 500) and no token can be "
                "issued.",
                hint=f"Run: python manage.py migrate resetkit --database {using}",
                id="resetkit.W009",
            )
        ]
    pending = sorted(
        name
        for app, name in loader.graph.nodes
        if app == "resetkit" and (app, name) not in loader.applied_migrations
    )
    if pending:
        return [
            checks.Warning(
                f"resetkit has unapplied migrations in database {using!r}: {', '.join(pending)}.",
                hint=f"Run: python manage.py migrate resetkit --database {using}",
                id="resetkit.W010",
            )
        ]
    return []


#: From this many users (the planner's estimate) a missing lookup index is a warning.
LOOKUP_INDEX_WARNING_ROWS = 10_000


@checks.register(checks.Tags.database)
def check_lookup_index(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """On PostgreSQL, ``LOOKUP_FIELD__iexact`` compiles to ``UPPER(field) = UPPER(%s)``, which
    no plain index serves: every reset request then scans the whole user table."""
    from django.db import connections, router

    if not settings_are_valid():
        return []

    field_name = resetkit_settings.LOOKUP_FIELD
    model: Any = get_user_model()
    if not isinstance(field_name, str) or "__" in field_name:
        return []  # a related field: the project knows its own lookup path
    try:
        column = model._meta.get_field(field_name).column
    except FieldDoesNotExist:
        return []  # reported by E002
    using = router.db_for_read(model)
    if using not in (databases or ()) or connections[using].vendor != "postgresql":
        return []
    table = model._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s "
            "AND schemaname = ANY(current_schemas(false))",
            [table],
        )
        definitions = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    served = re.compile(rf'\bupper\(\(*"?{re.escape(column)}"?\)*(::text)?\)', re.IGNORECASE)
    if any(served.search(definition) for definition in definitions):
        return []
    rows = int(row[0]) if row and row[0] and row[0] > 0 else 0
    level = checks.Warning if rows >= LOOKUP_INDEX_WARNING_ROWS else checks.Info
    return [
        level(
            f"No index on UPPER({column}) in {table}: the reset request's case-insensitive "
            f"lookup ({resetkit_settings.source_of('LOOKUP_FIELD')}) reads every row of the "
            f"user table (about {rows} rows now).",
            hint=f"Add a functional index: CREATE INDEX CONCURRENTLY {table}_upper_{column}_idx "
            f"ON {table} (UPPER({column})); see the performance page of the documentation for "
            "a migration.",
            id="resetkit.W006" if level is checks.Warning else "resetkit.I001",
        )
    ]
