"""The ORM store's SQL: one statement per job and vendor, and the portable fallbacks.

Kept apart from :mod:`resetkit.backends.orm` (the store's logic) as Django keeps a backend's
``operations.py`` apart from its ``base.py``. Names are quoted by the backend; every value is a
parameter, except a batch size, an int. Each function takes ``returning``: whether the
connection has ``DELETE ... RETURNING`` (the store decides, with :func:`can_delete_returning`);
without it, the two-statement fallbacks run, deleting through ``QuerySet._raw_delete`` (a
private Django API, pinned by ``tests/backends/test_private_apis.py``) so that no row is loaded
into Python and no ``pre_delete``/``post_delete`` receiver runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db import OperationalError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = [
    "PageRanges",
    "can_delete_returning",
    "clear_oldest",
    "delete_expired_batch",
    "delete_expired_pages",
    "delete_user_rows",
    "table_names",
]


def table_names(model: Any, connection: BaseDatabaseWrapper) -> dict[str, str]:
    """The quoted names the statements below are written with."""
    meta = model._meta
    quote = connection.ops.quote_name
    return {
        "table": quote(meta.db_table),
        "pk": quote(meta.pk.column),
        "user": quote(meta.get_field("user").column),
        "created": quote(meta.get_field("created_at").column),
    }


def prep_created_at(model: Any, value: datetime, connection: BaseDatabaseWrapper) -> Any:
    """``value`` as the database takes it for the ``created_at`` column."""
    return model._meta.get_field("created_at").get_db_prep_value(value, connection)


def delete_user_rows(
    model: Any, connection: BaseDatabaseWrapper, user_id: Any, *, returning: bool
) -> set[Any]:
    """Delete all of a user's rows, locking them in key order; return the deleted keys."""
    template = _CONSUME_SQL.get(connection.vendor) if returning else None
    if template is not None:
        param = model._meta.get_field("user").get_db_prep_value(user_id, connection)
        with connection.cursor() as cursor:
            cursor.execute(template.format(**table_names(model, connection)), [param])
            return {row[0] for row in cursor.fetchall()}
    rows = model._default_manager.db_manager(connection.alias).filter(user_id=user_id)
    pks = set(rows.select_for_update().order_by("pk").values_list("pk", flat=True))
    rows.filter(pk__in=pks)._raw_delete(connection.alias)
    return pks


def clear_oldest(
    model: Any, connection: BaseDatabaseWrapper, cutoff: datetime, limit: int, *, returning: bool
) -> int:
    """Delete up to ``limit`` of the oldest rows created before ``cutoff``; return how many."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _CLEAR_OLDEST_SQL.format(limit=int(limit), **table_names(model, connection)),
                [prep_created_at(model, cutoff, connection)],
            )
            return int(cursor.rowcount)
    deleted, _newest = delete_expired_batch(
        model, connection, cutoff, limit, None, returning=returning
    )
    return deleted


def delete_expired_batch(
    model: Any,
    connection: BaseDatabaseWrapper,
    cutoff: datetime,
    limit: int,
    floor: Any,
    *,
    returning: bool,
) -> tuple[int, Any]:
    """Delete up to ``limit`` rows created before ``cutoff`` (and at or after ``floor``,
    as the database returned it), oldest first; return how many, and the newest
    ``created_at`` among them (the next batch's ``floor``)."""
    params: list[Any] = [prep_created_at(model, cutoff, connection)]
    if floor is not None:
        params.append(floor)
    template = _CLEANUP_SQL.get(connection.vendor) if returning else None
    if template is not None:
        names = table_names(model, connection)
        where = "{created} < %s".format(**names)
        if floor is not None:
            where += " AND {created} >= %s".format(**names)
        sql = template.format(where=where, limit=int(limit), **names)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return len(rows), max((row[0] for row in rows), default=None)
    # Two statements: MySQL allows no LIMIT in an IN (...) subquery nor DELETE ... RETURNING.
    expired = model._default_manager.db_manager(connection.alias).filter(created_at__lt=cutoff)
    if floor is not None:
        expired = expired.filter(created_at__gte=floor)
    found = list(expired.order_by("created_at").values_list("pk", "created_at")[:limit])
    if found:
        expired.filter(pk__in=[row[0] for row in found])._raw_delete(connection.alias)
    return len(found), max((row[1] for row in found), default=None)


def delete_expired_pages(
    model: Any, connection: BaseDatabaseWrapper, cutoff: datetime, pages: PageRanges
) -> Iterator[int]:
    """PostgreSQL: delete the expired rows of each run of pages; yield each count.

    The statement takes no row locks before deleting, so a row that a reset holds makes
    it wait. In autocommit each run is a transaction of its own, in which the statement waits
    at most ``lock_timeout`` (the reset's transaction may be waiting for a row this batch
    already deleted: without the timeout that is a deadlock, and PostgreSQL might end the
    reset rather than the cleanup), then does that run again skipping locked rows. Inside the
    caller's transaction it always skips them.

    In autocommit the batches also commit without waiting for the disk
    (``synchronous_commit = off``): after a crash the last batches may be undone, and the next
    cleanup deletes those rows again. Both settings are ``SET LOCAL`` (``set_config(...,
    true)``): they end with the batch's transaction, so no later statement of the connection
    inherits them, which matters behind a pooler in transaction mode (PgBouncer), where the
    next transaction on that server connection may be another client's.
    """
    names = table_names(model, connection)
    param = prep_created_at(model, cutoff, connection)
    fast = _PAGES_SQL.format(**names)
    careful = _PAGES_SKIP_LOCKED_SQL.format(**names)
    if connection.in_atomic_block:
        for start, end in pages:
            with connection.cursor() as cursor:
                cursor.execute(careful, [f"({start},0)", f"({end},0)", param])
                deleted = cursor.rowcount
            if deleted:
                yield deleted
        return
    for start, end in pages:
        params = [f"({start},0)", f"({end},0)", param]
        # Counted inside, yielded once the batch is committed.
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(_CLEANUP_SETTINGS_SQL, [_CLEANUP_LOCK_TIMEOUT])
            if not _execute_unless_locked(connection, cursor, fast, params):
                cursor.execute(careful, params)
            deleted = cursor.rowcount
        if deleted:
            yield deleted


# Statements per vendor. Names are quoted by the backend; every value is a parameter, except
# the batch size, an int.

# Consume and revoke: all of a user's rows, locked in key order (PostgreSQL: the FOR UPDATE
# subquery; MariaDB: the user index is walked in key order; SQLite: one writer at a time).
_CONSUME_SQL = {
    "postgresql": (
        "DELETE FROM {table} WHERE {pk} = ANY(ARRAY(SELECT {pk} FROM {table} WHERE {user} = %s "
        "ORDER BY {pk} FOR UPDATE)) RETURNING {pk}"
    ),
    "mysql": "DELETE FROM {table} WHERE {user} = %s ORDER BY {pk} RETURNING {pk}",
    "sqlite": "DELETE FROM {table} WHERE {user} = %s RETURNING {pk}",
}

# One cleanup batch, oldest first through the created_at index, returning the created_at of
# each deleted row (the next batch starts at the newest). PostgreSQL has its own statements
# below.
_CLEANUP_SQL = {
    "mysql": (
        "DELETE FROM {table} WHERE {where} ORDER BY {created} LIMIT {limit} RETURNING {created}"
    ),
    "sqlite": (
        "DELETE FROM {table} WHERE {pk} IN (SELECT {pk} FROM {table} WHERE {where} "
        "ORDER BY {created} LIMIT {limit}) RETURNING {created}"
    ),
}

# The oldest expired rows on PostgreSQL (the request path's bounded cleanup). Deleted by
# physical row address ("ctid = ANY(ARRAY(...))"): a TID scan, where "IN (...)" lets the planner
# hash-join the batch against a scan of the whole table and a primary key lookup costs an index
# descent per row. SKIP LOCKED: it never waits for a row a reset (or another cleaner) holds, so
# it can neither queue behind nor deadlock with them; a skipped row goes next time.
_CLEAR_OLDEST_SQL = (
    "DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE {created} < %s "
    "ORDER BY {created} LIMIT {limit} FOR UPDATE SKIP LOCKED))"
)

# The command's batches on PostgreSQL: the expired rows of a run of pages, found by a TID range
# scan (PostgreSQL 14+); and the same, skipping rows that other transactions hold.
_PAGES_SQL = "DELETE FROM {table} WHERE ctid >= %s::tid AND ctid < %s::tid AND {created} < %s"
_PAGES_SKIP_LOCKED_SQL = (
    "DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE ctid >= %s::tid "
    "AND ctid < %s::tid AND {created} < %s FOR UPDATE SKIP LOCKED))"
)
# How long a batch may wait for a row another transaction holds before it skips such rows:
# far below PostgreSQL's deadlock_timeout (1s), so a reset waiting on the batch never loses.
_CLEANUP_LOCK_TIMEOUT = "50ms"
# For one batch's transaction only (``is_local``: the third argument of set_config).
_CLEANUP_SETTINGS_SQL = (
    "SELECT set_config('lock_timeout', %s, true), set_config('synchronous_commit', 'off', true)"
)


def _execute_unless_locked(
    connection: BaseDatabaseWrapper, cursor: Any, sql: str, params: list[Any]
) -> bool:
    """Run ``sql`` under a savepoint; ``False`` if it gave up waiting for a row lock
    (``lock_timeout``), the transaction still usable."""
    try:
        with transaction.atomic(using=connection.alias):
            cursor.execute(sql, params)
    except OperationalError as exc:
        cause = exc.__cause__  # psycopg 3 names it sqlstate, psycopg2 pgcode
        if (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) != "55P03":
            raise
        return False
    return True


class PageRanges:
    """Runs of the token table's pages, each expected to hold about ``batch_size`` rows.

    The table's size is read once, at the start: rows added later go to its end or into
    space freed by deletes, and either way were created after the cutoff.
    """

    def __init__(self, page_count: int, step: int) -> None:
        self.page_count = page_count
        self.step = step

    @classmethod
    def measure(
        cls, connection: BaseDatabaseWrapper, table: str, batch_size: int
    ) -> PageRanges | None:
        """The ranges for ``table``; ``None`` when a batch is smaller than one page."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_relation_size(c.oid) / current_setting('block_size')::int, "
                "c.relpages, c.reltuples FROM pg_class c WHERE c.oid = %s::regclass",
                [table],
            )
            page_count, relpages, reltuples = cursor.fetchone()
        # Statistics come from ANALYZE (autovacuum runs it); a table never analyzed has none,
        # and a typical row (a short user agent) takes about 1/50 of an 8 kB page.
        rows_per_page = reltuples / relpages if relpages > 0 and reltuples > 0 else 50.0
        step = int(batch_size / max(rows_per_page, 1.0))
        if step < 1:
            return None
        return cls(int(page_count), step)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for start in range(0, self.page_count, self.step):
            yield start, start + self.step


def can_delete_returning(connection: BaseDatabaseWrapper) -> bool:
    """Whether ``DELETE ... RETURNING`` is available: PostgreSQL, SQLite >= 3.35, MariaDB.

    Django's ``can_return_rows_from_bulk_insert`` marks the same versions (INSERT ...
    RETURNING arrived with DELETE ... RETURNING in SQLite, and MariaDB has had the latter since
    10.0). MySQL and third-party backends use the two-statement fallbacks.
    """
    if connection.vendor == "mysql" and not getattr(connection, "mysql_is_mariadb", False):
        return False
    return connection.vendor in {"postgresql", "sqlite", "mysql"} and bool(
        connection.features.can_return_rows_from_bulk_insert
    )


def is_deadlock(exc: BaseException) -> bool:
    """Whether the database refused a statement as a deadlock victim (MySQL/MariaDB error 1213,
    PostgreSQL SQLSTATE 40P01): contention, not an outage; the statement was rolled back."""
    cause = exc.__cause__ or exc
    if getattr(cause, "sqlstate", None) == "40P01" or getattr(cause, "pgcode", None) == "40P01":
        return True
    args: tuple[object, ...] = tuple(getattr(cause, "args", ()))
    return bool(args) and args[0] == 1213
