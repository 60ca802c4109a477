"""Locking a user's row for the rest of a transaction, on every supported database, and the
transaction a reset runs in.

Both a reset (compare-and-set on the password) and issuing with ``REVOKE_EARLIER_TOKENS``
(revoke, then create) must not interleave with another of their kind for the same user.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.db import connections, transaction
from django.db.models import F

__all__ = ["lock_user_row", "reset_transaction"]


def lock_user_row(user: Any, using: str) -> Any | None:
    """Lock ``user``'s row until the current transaction ends and return it read afresh
    (``None`` if it is gone).

    ``SELECT ... FOR UPDATE`` where the database has it (``FOR NO KEY UPDATE`` on PostgreSQL,
    which lets rows that reference the user, such as new tokens, be written meanwhile).
    Elsewhere (SQLite) a write that changes nothing takes the database's write lock first, so
    that concurrent transactions queue here rather than after they have read the row (unless
    the transaction took that lock when it began: ``"transaction_mode": "IMMEDIATE"`` or
    ``"EXCLUSIVE"``).
    """
    manager = type(user)._default_manager.db_manager(using)
    connection = connections[using]
    features = connection.features
    if features.has_select_for_update:
        no_key = bool(getattr(features, "has_select_for_no_key_update", False))
        return manager.select_for_update(no_key=no_key).filter(pk=user.pk).first()
    if getattr(connection, "transaction_mode", None) not in ("IMMEDIATE", "EXCLUSIVE"):
        manager.filter(pk=user.pk).update(password=F("password"))
    return manager.filter(pk=user.pk).first()


@contextmanager
def reset_transaction(using: str, store: Any) -> Iterator[None]:
    """One atomic block on the user model's database ``using`` and, when ``store`` keeps its
    tokens in another database (its ``database_alias()``, the ORM store's), one there too.

    The store's block is the inner one, so it commits first: should the user's database then
    fail to commit, the token is spent and the password unchanged, which costs the user a new
    request, never an account (as with a store outside any database, a cache). Either way the
    password change voids the token, whose fingerprint no longer matches.
    """
    store_db = store.database_alias()
    with ExitStack() as blocks:
        blocks.enter_context(transaction.atomic(using=using))
        if store_db is not None and store_db != using:
            blocks.enter_context(transaction.atomic(using=store_db))
        yield
