"""The default store: one row per token in ``resetkit.models.ResetPasswordToken``.

The hot paths are single statements. Consuming a token and revoking the user's others is one
``DELETE ... RETURNING``; expired tokens are cleared in bounded batches of one ``DELETE`` each,
in raw SQL, so neither Python memory nor ``post_delete`` receivers grow with the backlog. Each
statement has a portable fallback for databases without ``DELETE ... RETURNING``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, OperationalError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from resetkit.backends.base import BaseTokenStore, DuplicateTokenError


class ORMTokenStore(BaseTokenStore):
    """Tokens in the database, looked up by digest through a unique index.

    Consuming is a ``DELETE`` of the row: the database lets exactly one concurrent transaction
    see one deleted row, so exactly one confirm wins on every supported database. A reset
    deletes all of the user's rows in one statement that locks them in key order, so confirms
    with different tokens of one user queue up instead of deadlocking on each other's rows.
    """

    @property
    def model(self) -> Any:
        from resetkit.models import ResetPasswordToken

        return ResetPasswordToken

    def _db(self) -> tuple[str, BaseDatabaseWrapper]:
        using = router.db_for_write(self.model)
        return using, connections[using]

    # -- issuing -------------------------------------------------------------------------------

    def create_token(
        self, user: Any, key: str, *, ip_address: str | None = None, user_agent: str = ""
    ) -> Any:
        digest = self.make_digest(key)
        # The unique index guards the current digest; digests under fallback secrets are
        # checked here, or one key could be stored twice and open two accounts.
        self._make_way([d for d in self.lookup_digests(key) if d != digest])
        token = self.model(
            user=user,
            digest=digest,
            created_at=self.now(),
            ip_address=ip_address or None,
            user_agent=self.clean_user_agent(user_agent),
            password_fingerprint=self.password_fingerprint(user),
        )
        try:
            self._insert(token)
        except IntegrityError:
            # The unique index refused the digest: a live token raises DuplicateTokenError, an
            # expired one is removed and the insert tried once more.
            if not self._make_way([digest]):
                raise  # not the digest (the user row is gone, say): let it surface
            try:
                self._insert(token)
            except IntegrityError as exc:
                raise DuplicateTokenError("this key was issued concurrently; use another") from exc
        token.key = key
        return token

    def _insert(self, token: Any) -> None:
        using, connection = self._db()
        if connection.in_atomic_block:
            # A savepoint, so that a refused insert leaves the caller's transaction usable
            # (PostgreSQL aborts the whole transaction on an error otherwise).
            with transaction.atomic(using=using):
                token.save(force_insert=True, using=using)
        else:
            # In autocommit a refused INSERT harms nothing: no BEGIN/COMMIT round trips.
            token.save(force_insert=True, using=using)

    def _make_way(self, digests: Sequence[str]) -> bool:
        """Delete expired tokens stored under ``digests``; refuse if a live one is there.

        Returns whether any row was found.
        """
        if not digests:
            return False
        rows = list(
            self.model._default_manager.filter(digest__in=digests).values_list("pk", "created_at")
        )
        if any(not self.is_expired(created_at) for _, created_at in rows):
            raise DuplicateTokenError("this key is already outstanding; use another")
        if rows:
            self.model._default_manager.filter(pk__in=[pk for pk, _ in rows]).delete()
        return bool(rows)

    # -- reading -------------------------------------------------------------------------------

    def get_token(self, key: str) -> Any:
        # One query: the user comes along, so eligibility checks cost nothing more.
        found = self._find(self.lookup_digests(key))
        live = []
        for token in found:
            if self.is_expired(token.created_at) or not self.password_unchanged(
                token.user, token.password_fingerprint
            ):
                self.model._default_manager.filter(pk=token.pk).delete()
            else:
                live.append(token)
        # Two live rows for one key (old and new secret) can only come from issuers racing
        # across a key rotation; nobody can tell whose it is, so it opens neither account.
        if len(live) != 1:
            return None
        token = live[0]
        token.key = key
        return token

    def _find(self, digests: list[str]) -> list[Any]:
        """The tokens stored under ``digests``, each with its user loaded.

        What ``select_related("user").filter(digest__in=digests)`` returns, without building
        and compiling that query on every call: the validate and confirm endpoints run it on
        every request, and compiling it costs more than the database takes to answer it.
        """
        using = router.db_for_read(self.model)
        connection = connections[using]
        # Kept on the connection object (one per thread and alias), since a compiler belongs
        # to the connection it was built for; both go away together.
        prepared: dict[int, _TokenLookup | None] = connection.__dict__.setdefault(
            "_resetkit_token_lookups", {}
        )
        lookup = prepared.get(len(digests))
        if lookup is None:
            lookup = prepared[len(digests)] = _TokenLookup.build(self.model, using, len(digests))
        if lookup is None:  # a query this shortcut does not understand: the plain ORM
            queryset = self.model._default_manager.db_manager(using).select_related("user")
            return list(queryset.filter(digest__in=digests))
        return lookup.run(connection, digests)

    # -- consuming -----------------------------------------------------------------------------

    def consume_token(self, token: Any) -> bool:
        manager = self.model._default_manager
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using):
            # A reset goes on to revoke the user's other tokens in the same transaction. Taking
            # all of their locks here, in key order, makes two confirms with different tokens
            # of one user queue up instead of deadlocking on each other's rows.
            list(
                manager.using(using)
                .select_for_update()
                .filter(user_id=token.user_id)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            deleted, _ = manager.using(using).filter(pk=token.pk).delete()
        return deleted > 0

    def consume_and_revoke(self, token: Any) -> bool:
        """Delete every token of ``token``'s user in one statement; won iff ``token`` was one.

        Inside an atomic block this adds no savepoint: on ``False`` the block is marked for
        rollback (the other tokens come back when it ends), so the caller must leave it, as
        :class:`~resetkit.mixins.PasswordConfirmMixin` does by answering 404. Outside one, it
        runs in its own transaction and rolls that back itself.
        """
        using, connection = self._db()
        # savepoint=False: nested in the caller's block this costs no SAVEPOINT round trips,
        # and set_rollback() marks that block; on its own it is a transaction of its own.
        with transaction.atomic(using=using, savepoint=False):
            won = token.pk in self._delete_user_rows(connection, token.user_id)
            if not won:
                transaction.set_rollback(True, using=using)
        return won

    def _delete_user_rows(self, connection: BaseDatabaseWrapper, user_id: Any) -> set[Any]:
        """Delete all of a user's rows, locking them in key order; return the deleted keys."""
        param = self.model._meta.get_field("user").get_db_prep_value(user_id, connection)
        template = (
            _CONSUME_SQL.get(connection.vendor) if _can_delete_returning(connection) else None
        )
        if template is not None:
            with connection.cursor() as cursor:
                cursor.execute(template.format(**self._names(connection)), [param])
                return {row[0] for row in cursor.fetchall()}
        rows = self.model._default_manager.db_manager(connection.alias).filter(user_id=user_id)
        pks = set(rows.select_for_update().order_by("pk").values_list("pk", flat=True))
        rows.filter(pk__in=pks)._raw_delete(connection.alias)
        return pks

    def revoke_user_tokens(self, user: Any) -> None:
        self.model._default_manager.filter(user=user).delete()

    # -- cleanup -------------------------------------------------------------------------------

    def clear_expired(self, limit: int | None = None) -> int:
        """Delete up to ``limit`` of the oldest expired rows in one statement.

        Raw SQL rather than ``QuerySet.delete()``, which would load the rows into Python when a
        project connects a ``pre_delete``/``post_delete`` receiver to the token model: bulk
        cleanup sends no delete signals.
        """
        using, connection = self._db()
        cutoff = self.now() - self.get_expiry_delta()
        if limit is None:
            expired = self.model._default_manager.db_manager(using).filter(created_at__lt=cutoff)
            deleted: int = expired._raw_delete(using)
            return deleted
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    _CLEAR_OLDEST_SQL.format(limit=int(limit), **self._names(connection)),
                    [self._prep_created_at(cutoff, connection)],
                )
                return int(cursor.rowcount)
        deleted, _newest = self._delete_expired_batch(connection, cutoff, limit, None)
        return deleted

    def clear_expired_in_batches(self, batch_size: int) -> Iterator[int]:
        """Delete every token expired now, about ``batch_size`` at a time.

        On PostgreSQL a batch is a run of the table's pages expected to hold ``batch_size``
        rows (from the table's statistics), deleted in one statement that reads those pages and
        no others: together the batches cost what one ``DELETE`` of the whole backlog does,
        yet no statement holds many locks or runs long; a batch smaller than one page is the
        oldest ``batch_size`` rows, as on the request path. Other databases take the oldest
        ``batch_size`` rows per statement, each batch starting where the last one ended (a
        keyset on ``created_at``), so the last batch of a large backlog costs what the first
        did.
        """
        _using, connection = self._db()
        if connection.vendor == "postgresql":
            pages = _PageRanges.measure(connection, self._names(connection)["table"], batch_size)
            if pages is None:
                yield from super().clear_expired_in_batches(batch_size)
            else:
                cutoff = self.now() - self.get_expiry_delta()
                yield from self._delete_expired_pages(connection, cutoff, pages)
            return
        cutoff = self.now() - self.get_expiry_delta()
        floor = None
        while True:
            deleted, floor = self._delete_expired_batch(connection, cutoff, batch_size, floor)
            if not deleted:
                return
            yield deleted

    def _delete_expired_pages(
        self, connection: BaseDatabaseWrapper, cutoff: datetime, pages: _PageRanges
    ) -> Iterator[int]:
        """PostgreSQL: delete the expired rows of each run of pages; yield each count.

        The statement takes no row locks before deleting, so a row that a reset holds makes
        it wait. In autocommit it waits at most ``lock_timeout`` (the reset's transaction may
        be waiting for a row this batch already deleted: without the timeout that is a
        deadlock, and PostgreSQL might end the reset rather than the cleanup), then does that
        run again skipping locked rows. Inside a transaction it always skips them.

        In autocommit the batches also commit without waiting for the disk
        (``synchronous_commit = off``, for this session and only while they run): after a
        crash the last batches may be undone, and the next cleanup deletes those rows again.
        """
        names = self._names(connection)
        param = self._prep_created_at(cutoff, connection)
        fast = _PAGES_SQL.format(**names)
        careful = _PAGES_SKIP_LOCKED_SQL.format(**names)
        autocommit = not connection.in_atomic_block
        with connection.cursor() as cursor, _cleanup_session(cursor, autocommit):
            for start, end in pages:
                params = [f"({start},0)", f"({end},0)", param]
                if not (autocommit and _execute_unless_locked(cursor, fast, params)):
                    cursor.execute(careful, params)
                if cursor.rowcount:
                    yield cursor.rowcount

    def _prep_created_at(self, value: datetime, connection: BaseDatabaseWrapper) -> Any:
        """``value`` as the database takes it for the ``created_at`` column."""
        return self.model._meta.get_field("created_at").get_db_prep_value(value, connection)

    def _delete_expired_batch(
        self,
        connection: BaseDatabaseWrapper,
        cutoff: datetime,
        limit: int,
        floor: Any,
    ) -> tuple[int, Any]:
        """Delete up to ``limit`` rows created before ``cutoff`` (and at or after ``floor``,
        as the database returned it), oldest first; return how many, and the newest
        ``created_at`` among them (the next batch's ``floor``)."""
        params: list[Any] = [self._prep_created_at(cutoff, connection)]
        if floor is not None:
            params.append(floor)
        template = (
            _CLEANUP_SQL.get(connection.vendor) if _can_delete_returning(connection) else None
        )
        if template is not None:
            names = self._names(connection)
            where = "{created} < %s".format(**names)
            if floor is not None:
                where += " AND {created} >= %s".format(**names)
            sql = template.format(where=where, limit=int(limit), **names)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            return len(rows), max((row[0] for row in rows), default=None)
        # Two statements: MySQL allows no LIMIT in an IN (...) subquery nor DELETE ... RETURNING.
        expired = self.model._default_manager.db_manager(connection.alias).filter(
            created_at__lt=cutoff
        )
        if floor is not None:
            expired = expired.filter(created_at__gte=floor)
        found = list(expired.order_by("created_at").values_list("pk", "created_at")[:limit])
        if found:
            expired.filter(pk__in=[row[0] for row in found])._raw_delete(connection.alias)
        return len(found), max((row[1] for row in found), default=None)

    def _names(self, connection: BaseDatabaseWrapper) -> dict[str, str]:
        """The quoted names the statements below are written with."""
        meta = self.model._meta
        quote = connection.ops.quote_name
        return {
            "table": quote(meta.db_table),
            "pk": quote(meta.pk.column),
            "user": quote(meta.get_field("user").column),
            "created": quote(meta.get_field("created_at").column),
        }


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
# The session's own values are read first and put back when the batches end.
_SESSION_SETTINGS_SQL = (
    "SELECT current_setting('lock_timeout'), current_setting('synchronous_commit'), "
    "set_config('lock_timeout', %s, false), set_config('synchronous_commit', 'off', false)"
)
_RESTORE_SESSION_SETTINGS_SQL = (
    "SELECT set_config('lock_timeout', %s, false), set_config('synchronous_commit', %s, false)"
)


@contextmanager
def _cleanup_session(cursor: Any, enabled: bool) -> Iterator[None]:
    """While the batches run: a short ``lock_timeout`` and ``synchronous_commit = off`` for
    this session, then its own values again. Only in autocommit (``enabled``): inside a
    transaction the settings would outlive an error, and the caller's commit is theirs."""
    if not enabled:
        yield
        return
    cursor.execute(_SESSION_SETTINGS_SQL, [_CLEANUP_LOCK_TIMEOUT])
    previous = cursor.fetchone()[:2]
    try:
        yield
    finally:
        cursor.execute(_RESTORE_SESSION_SETTINGS_SQL, previous)


def _execute_unless_locked(cursor: Any, sql: str, params: list[Any]) -> bool:
    """Run ``sql``; ``False`` if it gave up waiting for a row lock (``lock_timeout``)."""
    try:
        cursor.execute(sql, params)
    except OperationalError as exc:
        cause = exc.__cause__  # psycopg 3 names it sqlstate, psycopg2 pgcode
        if (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) != "55P03":
            raise
        return False
    return True


class _PageRanges:
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
    ) -> _PageRanges | None:
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


def _can_delete_returning(connection: BaseDatabaseWrapper) -> bool:
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


class _TokenLookup:
    """The compiled token-and-user query of one connection, and how to read its rows.

    Built from the very QuerySet it replaces, with Django's compiler; rows go through the
    compiler's converters and ``Model.from_db`` as a QuerySet's rows do.
    """

    def __init__(self, compiler: Any, sql: str, using: str) -> None:
        self.compiler = compiler
        self.sql = sql
        self.using = using
        select = compiler.select
        self.converters = compiler.get_converters([column[0] for column in select])
        token_info = compiler.klass_info
        (user_info,) = token_info["related_klass_infos"]
        self.token_model = token_info["model"]
        self.user_model = user_info["model"]
        self.token_columns = self._span(token_info["select_fields"])
        self.user_columns = self._span(user_info["select_fields"])
        self.token_fields = [column[0].target.attname for column in select[self.token_columns]]
        self.user_fields = [column[0].target.attname for column in select[self.user_columns]]
        self.attach = user_info["local_setter"]
        self.attach_back = user_info["remote_setter"]

    @staticmethod
    def _span(positions: list[int]) -> slice:
        if positions != list(range(positions[0], positions[-1] + 1)):
            raise ValueError("columns not contiguous")
        return slice(positions[0], positions[-1] + 1)

    @classmethod
    def build(cls, model: Any, using: str, count: int) -> _TokenLookup | None:
        markers = [f"resetkit-digest-{n}" for n in range(count)]
        queryset = model._default_manager.db_manager(using).select_related("user")
        compiler = queryset.filter(digest__in=markers).query.get_compiler(using)
        try:
            sql, params = compiler.as_sql()
            if list(params) != markers:
                return None
            return cls(compiler, sql, using)
        except (EmptyResultSet, KeyError, ValueError, AttributeError, TypeError):
            return None

    def run(self, connection: BaseDatabaseWrapper, digests: list[str]) -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, digests)
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        found = []
        for row in rows:
            token = self.token_model.from_db(self.using, self.token_fields, row[self.token_columns])
            user = self.user_model.from_db(self.using, self.user_fields, row[self.user_columns])
            self.attach(token, user)
            self.attach_back(user, token)
            found.append(token)
        return found
