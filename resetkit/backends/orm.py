"""The default store: one row per token in ``resetkit.models.ResetPasswordToken``.

The hot paths are single statements. Consuming a token and revoking the user's others is one
``DELETE ... RETURNING``; expired tokens are cleared in bounded batches of one ``DELETE`` each,
in raw SQL, so neither Python memory nor ``post_delete`` receivers grow with the backlog. Each
statement has a portable fallback for databases without ``DELETE ... RETURNING``. The
statements live in :mod:`resetkit.backends.orm_sql`, the compiled lookup in
:mod:`resetkit.backends.orm_lookup`; this module is the store's logic.

Every read goes to the database the store writes to (``router.db_for_write``), never to a
replica the router may pick for reads: a token issued a moment ago must be found, and one
spent a moment ago must not be. Only the validate step may read a replica, when a project
accepts the lag (``validate_reads_from_replica``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, OperationalError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from resetkit.backends import orm_sql
from resetkit.backends.base import BaseTokenStore, DuplicateTokenError, outage_boundary
from resetkit.backends.orm_lookup import TokenLookup as _TokenLookup  # noqa: F401 (kept here)
from resetkit.backends.orm_lookup import find_tokens
from resetkit.backends.orm_sql import PageRanges as _PageRanges
from resetkit.backends.orm_sql import can_delete_returning as _can_delete_returning

__all__ = ["ORMTokenStore"]


class ORMTokenStore(BaseTokenStore):
    """Tokens in the database, looked up by digest through a unique index.

    Consuming is a ``DELETE`` of the row: the database lets exactly one concurrent transaction
    see one deleted row, so exactly one confirm wins on every supported database. A reset
    deletes all of the user's rows in one statement that locks them in key order, so confirms
    with different tokens of one user queue up instead of deadlocking on each other's rows.
    """

    lists_tokens = True

    def __init__(
        self,
        *,
        lifetime: timedelta | None = None,
        namespace: str = "",
        validate_reads_from_replica: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(lifetime=lifetime, namespace=namespace, **options)
        if not isinstance(validate_reads_from_replica, bool):
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                f"{type(self).__name__}: validate_reads_from_replica must be True or False, "
                f"not {validate_reads_from_replica!r}."
            )
        #: Whether the validate step may look tokens up on the router's read database (a
        #: replica): a token issued a moment ago may then answer 404 there until the replica
        #: catches up. The confirm step always reads the primary.
        self.validate_reads_from_replica = validate_reads_from_replica
        self._reads_replica = False

    def for_validation(self) -> ORMTokenStore:
        """This store as the validate step reads with it: on the router's read database when
        ``validate_reads_from_replica`` is on, else this very store (the primary)."""
        if not self.validate_reads_from_replica:
            return self
        clone = copy.copy(self)
        clone._reads_replica = True
        return clone

    @property
    def model(self) -> Any:
        from resetkit.models import ResetPasswordToken

        return ResetPasswordToken

    def _db(self) -> tuple[str, BaseDatabaseWrapper]:
        using = router.db_for_write(self.model)
        return using, connections[using]

    def database_alias(self) -> str:
        """The database this store writes its rows to (``router.db_for_write``): a reset's
        transaction must span it."""
        return str(router.db_for_write(self.model))

    def _read_db(self) -> str:
        """Where tokens are looked up: the database written to, unless this is the validate
        step's store with ``validate_reads_from_replica`` on."""
        if self._reads_replica:
            return str(router.db_for_read(self.model))
        return self.database_alias()

    # -- issuing -------------------------------------------------------------------------------

    @outage_boundary
    def create_token(
        self, user: Any, key: str, *, ip_address: str | None = None, user_agent: str = ""
    ) -> Any:
        token = self.model(
            user=user,
            created_at=self.now(),
            ip_address=ip_address or None,
            user_agent=self.clean_user_agent(user_agent),
        )
        return self.insert_token(token, key)

    @outage_boundary
    def insert_token(self, token: Any, key: str, using: str | None = None) -> Any:
        """Store the unsaved row ``token`` under ``key``'s digest; return it with ``.key`` set.

        What :meth:`create_token` does with the row it builds, and what
        ``ResetPasswordToken.objects.create(user=u)`` (upstream's way to issue) does through
        :func:`resetkit.issuing.save_new_token`: one path from a raw key to a stored row. The
        row's ``created_at`` is kept; its password fingerprint is taken now if it has none.
        """
        digest = self.make_digest(key)
        # The unique index guards the current digest; digests under fallback secrets are
        # checked here, or one key could be stored twice and open two accounts.
        self._make_way([d for d in self.lookup_digests(key) if d != digest])
        token.digest = digest
        if not token.password_fingerprint:
            token.password_fingerprint = self.password_fingerprint(token.user)
        try:
            try:
                self._insert(token, using)
            except IntegrityError:
                # The unique index refused the digest: a live token raises DuplicateTokenError,
                # an expired one is removed and the insert tried once more. Issuers racing for
                # the key meet here: whoever loses the second insert gets DuplicateTokenError.
                self._make_way([digest])
                try:
                    self._insert(token, using)
                except IntegrityError as exc:
                    rows = self.model._default_manager.db_manager(using or self.database_alias())
                    if rows.filter(digest=digest).exists():
                        raise DuplicateTokenError(
                            "this key was issued concurrently; use another"
                        ) from exc
                    raise  # not the digest (the user row is gone, say): let it surface
        except OperationalError as exc:
            # Racing deletes and inserts on one key of the unique index can deadlock (InnoDB);
            # the database rolled the statement back: the key is contended, draw another.
            if not orm_sql.is_deadlock(exc):
                raise
            raise DuplicateTokenError("this key is being issued concurrently; use another") from exc
        token.key = key
        token.expires_at = self.expires_at(token.created_at)
        return token

    def _insert(self, token: Any, using: str | None = None) -> None:
        if using is None:
            using, connection = self._db()
        else:
            connection = connections[using]
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
        manager = self.model._default_manager.db_manager(self.database_alias())
        rows = list(manager.filter(digest__in=digests).values_list("pk", "created_at"))
        if any(not self.is_expired(created_at) for _, created_at in rows):
            raise DuplicateTokenError("this key is already outstanding; use another")
        if rows:
            manager.filter(pk__in=[pk for pk, _ in rows]).delete()
        return bool(rows)

    # -- reading -------------------------------------------------------------------------------

    @outage_boundary
    def get_token(self, key: str) -> Any:
        # One query: the user comes along, so eligibility checks cost nothing more.
        found = find_tokens(self.model, self._read_db(), self.lookup_digests(key))
        return self._live_token(found, key)

    @outage_boundary
    def get_token_for_users(self, key: str, users: Sequence[Any]) -> Any:
        # The same statement whoever the accounts are (none included), reading the token row
        # alone: another account's row is dropped before its user is loaded, so its code costs
        # what an unknown code costs. The users come already loaded.
        owners = {user.pk: user for user in users}
        rows = self.model._default_manager.db_manager(self._read_db())
        found = [
            token
            for token in rows.filter(digest__in=self.lookup_digests(key))
            if token.user_id in owners
        ]
        for token in found:
            token.user = owners[token.user_id]
        return self._live_token(found, key)

    def _live_token(self, found: list[Any], key: str) -> Any:
        """The one live token among ``found`` (expired or voided ones are deleted), or None."""
        live = []
        for token in found:
            if self.is_expired(token.created_at) or not self.password_unchanged(
                token.user, token.password_fingerprint
            ):
                self.model._default_manager.db_manager(self.database_alias()).filter(
                    pk=token.pk
                ).delete()
            else:
                live.append(token)
        # Two live rows for one key (old and new secret) can only come from issuers racing
        # across a key rotation; nobody can tell whose it is, so it opens neither account.
        if len(live) != 1:
            return None
        token = live[0]
        token.key = key
        token.expires_at = self.expires_at(token.created_at)
        return token

    # -- consuming -----------------------------------------------------------------------------

    @outage_boundary
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

    @outage_boundary
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
            deleted = orm_sql.delete_user_rows(
                self.model, connection, token.user_id, returning=_can_delete_returning(connection)
            )
            won = token.pk in deleted
            if not won:
                transaction.set_rollback(True, using=using)
        return won

    @outage_boundary
    def revoke_user_tokens(self, user: Any) -> None:
        manager = self.model._default_manager.db_manager(self.database_alias())
        manager.filter(user_id=user.pk).delete()

    # -- cleanup -------------------------------------------------------------------------------

    @outage_boundary
    def clear_expired(self, limit: int | None = None) -> int:
        """Delete up to ``limit`` of the oldest expired rows in one statement.

        Raw SQL rather than ``QuerySet.delete()``, which would load the rows into Python when a
        project connects a ``pre_delete``/``post_delete`` receiver to the token model: bulk
        cleanup sends no delete signals.
        """
        using, connection = self._db()
        cutoff = self.expiry_cutoff()
        if limit is None:
            expired = self.model._default_manager.db_manager(using).filter(created_at__lt=cutoff)
            deleted: int = expired._raw_delete(using)
            return deleted
        return orm_sql.clear_oldest(
            self.model, connection, cutoff, limit, returning=_can_delete_returning(connection)
        )

    @outage_boundary
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
            table = orm_sql.table_names(self.model, connection)["table"]
            pages = _PageRanges.measure(connection, table, batch_size)
            if pages is None:
                yield from super().clear_expired_in_batches(batch_size)
            else:
                yield from orm_sql.delete_expired_pages(
                    self.model, connection, self.expiry_cutoff(), pages
                )
            return
        cutoff = self.expiry_cutoff()
        returning = _can_delete_returning(connection)
        floor = None
        while True:
            deleted, floor = orm_sql.delete_expired_batch(
                self.model, connection, cutoff, batch_size, floor, returning=returning
            )
            if not deleted:
                return
            yield deleted
