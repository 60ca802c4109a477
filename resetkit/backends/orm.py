"""The default store: one row per token in ``resetkit.models.ResetPasswordToken``."""

from __future__ import annotations

from typing import Any

from resetkit.backends.base import BaseTokenStore


class ORMTokenStore(BaseTokenStore):
    """Tokens in the database, looked up by digest through a unique index.

    Consuming is a ``DELETE`` of the row: the database lets exactly one concurrent transaction
    see one deleted row, so exactly one confirm wins on every supported database.
    """

    @property
    def model(self) -> Any:
        from resetkit.models import ResetPasswordToken

        return ResetPasswordToken

    def create_token(
        self, user: Any, key: str, *, ip_address: str | None = None, user_agent: str = ""
    ) -> Any:
        token = self.model(
            user=user,
            digest=self.make_digest(key),
            created_at=self.now(),
            ip_address=ip_address or None,
            user_agent=(user_agent or "")[:512],
        )
        token.save(force_insert=True)
        token.key = key
        return token

    def get_token(self, key: str) -> Any:
        token = (
            self.model._default_manager.select_related("user")
            .filter(digest__in=self.lookup_digests(key))
            .first()
        )
        if token is None:
            return None
        if self.is_expired(token.created_at):
            self.model._default_manager.filter(pk=token.pk).delete()
            return None
        token.key = key
        return token

    def consume_token(self, token: Any) -> bool:
        deleted, _ = self.model._default_manager.filter(pk=token.pk).delete()
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
