"""Tokens in a Django cache (Redis in production): ephemeral, no table, no cleanup job.

Layout, under ``<key_prefix>``:

* ``:t:<digest>`` -> ``(user pk, created timestamp, stamp, ip, user agent)``, expiring with
  the token. The key holds the digest, never the token.
* ``:u:<user pk>`` -> the user's revocation stamp. Every token carries the stamp current when
  it was issued; revoking a user writes a new stamp, which voids all of that user's tokens at
  once without listing them (a cache has no "delete by owner").

Only the portable cache API is used, so any backend works; ``delete()`` reporting whether the
key existed is what makes consuming atomic (Redis ``DEL`` answers 1 to exactly one caller).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import BaseCache, caches

from resetkit.backends.base import BaseTokenStore, ResetToken


class CacheTokenStore(BaseTokenStore):
    """Store tokens in the cache named ``cache_alias`` (looked up on every call)."""

    def __init__(self, cache_alias: str = "default", key_prefix: str = "resetkit", **options: Any):
        super().__init__(**options)
        self.cache_alias = cache_alias
        self.key_prefix = key_prefix

    @property
    def cache(self) -> BaseCache:
        # Resolved per call so that a CACHES override (tests, reconfiguration) reaches us.
        return caches[self.cache_alias]

    def token_cache_key(self, digest: str) -> str:
        return f"{self.key_prefix}:t:{digest}"

    def user_cache_key(self, user_pk: Any) -> str:
        return f"{self.key_prefix}:u:{user_pk}"

    def create_token(
        self, user: Any, key: str, *, ip_address: str | None = None, user_agent: str = ""
    ) -> ResetToken:
        ttl = self.get_expiry_seconds()
        created_at = self.now()
        stamp = self._current_stamp(user.pk, ttl)
        digest = self.make_digest(key)
        user_agent = (user_agent or "")[:512]
        value = (user.pk, created_at.timestamp(), stamp, ip_address or None, user_agent)
        self.cache.set(self.token_cache_key(digest), value, ttl)
        return ResetToken(
            key=key,
            digest=digest,
            user=user,
            created_at=created_at,
            expires_at=self.expires_at(created_at),
            ip_address=ip_address or None,
            user_agent=user_agent,
        )

    def _current_stamp(self, user_pk: Any, ttl: int) -> str:
        """The user's stamp, created if missing; kept alive as long as the newest token."""
        user_key = self.user_cache_key(user_pk)
        stamp = self.cache.get(user_key)
        if stamp is None:
            fresh = secrets.token_hex(8)
            if self.cache.add(user_key, fresh, ttl):
                return fresh
            stamp = self.cache.get(user_key)
            if stamp is None:  # evicted between add() and get(): take ours
                self.cache.set(user_key, fresh, ttl)
                return fresh
        else:
            self.cache.touch(user_key, ttl)
        return str(stamp)

    def get_token(self, key: str) -> ResetToken | None:
        cache_keys = [self.token_cache_key(digest) for digest in self.lookup_digests(key)]
        found = self.cache.get_many(cache_keys)
        for cache_key in cache_keys:
            if cache_key in found:
                break
        else:
            return None
        user_pk, created_ts, stamp, ip_address, user_agent = found[cache_key]
        created_at = datetime.fromtimestamp(created_ts, tz=dt_timezone.utc)
        if self.is_expired(created_at) or self.cache.get(self.user_cache_key(user_pk)) != stamp:
            # Expired, or revoked by a newer stamp: forget it now rather than at its TTL.
            self.cache.delete(cache_key)
            return None
        user_model = get_user_model()
        user = user_model._default_manager.filter(pk=user_pk).first()
        if user is None:
            self.cache.delete(cache_key)
            return None
        return ResetToken(
            key=key,
            digest=cache_key.rsplit(":", 1)[1],
            user=user,
            created_at=created_at,
            expires_at=self.expires_at(created_at),
            ip_address=ip_address,
            user_agent=user_agent,
        )

    def consume_token(self, token: Any) -> bool:
        return bool(self.cache.delete(self.token_cache_key(token.digest)))

    def revoke_user_tokens(self, user: Any) -> None:
        self.cache.set(
            self.user_cache_key(user.pk), secrets.token_hex(8), max(self.get_expiry_seconds(), 1)
        )
