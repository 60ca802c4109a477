"""The default store: one row per token in ``resetkit.models.ResetPasswordToken``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, router, transaction

from resetkit.backends.base import BaseTokenStore, DuplicateTokenError


class ORMTokenStore(BaseTokenStore):
    """Tokens in the database, looked up by digest through a unique index.

    Consuming is a ``DELETE`` of the row: the database lets exactly one concurrent transaction
    see one deleted row, so exactly one confirm wins on every supported database. It first
    locks the user's tokens in key order (``SELECT ... FOR UPDATE``), so that confirms with
    different tokens of one user, each about to revoke the others, wait instead of deadlock.
    """

    @property
    def model(self) -> Any:
        from resetkit.models import ResetPasswordToken

        return ResetPasswordToken

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
            user_agent=(user_agent or "")[:512],
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
        # A savepoint, so a refused insert leaves a caller's transaction usable (PostgreSQL).
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using):
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

    def get_token(self, key: str) -> Any:
        found = self.model._default_manager.select_related("user").filter(
            digest__in=self.lookup_digests(key)
        )
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

    def revoke_user_tokens(self, user: Any) -> None:
        self.model._default_manager.filter(user=user).delete()

    def clear_expired(self, limit: int | None = None) -> int:
        expired = self.model._default_manager.filter(
            created_at__lt=self.now() - self.get_expiry_delta()
        )
        if limit is None:
            deleted, _ = expired.delete()
            return deleted
        # Two statements rather than DELETE ... LIMIT or a LIMIT subquery: MariaDB/MySQL
        # support neither inside IN (...), and the primary keys keep each DELETE short.
        pks = list(expired.order_by("created_at").values_list("pk", flat=True)[:limit])
        if not pks:
            return 0
        deleted, _ = self.model._default_manager.filter(pk__in=pks).delete()
        return deleted
