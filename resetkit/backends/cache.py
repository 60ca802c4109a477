"""Tokens in a Django cache (Redis in production): ephemeral, no table, no cleanup job.

Layout, under ``<key_prefix>``:

* ``:t:<digest>`` -> ``(user pk, created timestamp, stamp, ip, user agent, password
  fingerprint)``, expiring with the token. The key holds the digest, never the token.
* ``:u:<user pk>`` -> the user's revocation stamp, a random integer. Every token carries the
  stamp current when it was issued; revoking a user writes a new stamp, which voids all of that
  user's tokens at once without listing them (a cache has no "delete by owner").

Entries are kept small, because a cache holds them in memory: the digest in a key is the first
128 bits of the HMAC in URL-safe base64 (22 characters; Django's own reset tokens keep 80), and
hex strings and addresses are stored as the bytes they spell whenever that round-trips
exactly. A token with a 100-character browser user agent takes under 300 bytes of Redis memory
(a UUID primary key adds its 16 bytes).

The portable cache API is enough, so any backend works; ``delete()`` reporting whether the
key existed is what makes consuming atomic (Redis ``DEL`` answers 1 to exactly one caller), and
``add()`` (set if absent) keeps a key that is already outstanding from being handed to another
user. Each step reads what it needs in as few calls as that API allows (``get_many``), and
consuming skips the reads an earlier one of the same request already made.

On Django's ``RedisCache`` (:mod:`resetkit.redis_client`) every read goes to the primary
server, never to a replica that may not have seen a consume or a revoke yet, and the steps
that read then write run as one Lua script: getting the user's stamp when issuing, and
consuming (compare the entry with the one read, delete it, check the stamp, revoke) in one
round trip each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.core.cache import BaseCache, caches

from resetkit.backends.base import (
    BaseTokenStore,
    DuplicateTokenError,
    ResetToken,
    outage_boundary,
)
from resetkit.backends.packing import (
    compact_digest,
    new_stamp,
    pack_hex,
    pack_ip,
    pack_pk,
    unpack_hex,
    unpack_ip,
    unpack_pk,
)
from resetkit.backends.user_lookup import find_user
from resetkit.redis_client import RedisPrimary, run_script, scripting_primary

# KEYS: the user's stamp key; ARGV: a fresh stamp, the stamp's expiry. The current stamp,
# created if missing, kept alive at least that long (never shortened).
_STAMP_SCRIPT = """
local stamp = redis.call('GET', KEYS[1])
if not stamp then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return ARGV[1]
end
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return stamp
"""

# KEYS: the token's key, its user's stamp key; ARGV: the entry as it was read, its stamp, a
# new stamp to revoke the user's tokens with ('' for none), the stamp's expiry. 1 when this
# call removed that very entry while its stamp was still current.
_CONSUME_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4]) end
return 1
"""

#: Entries a store remembers having read (for the consume that follows), at most.
_MAX_REMEMBERED = 256


class CacheTokenStore(BaseTokenStore):
    """Store tokens in the cache named ``cache_alias`` (looked up on every call)."""

    expires_by_itself = True

    def __init__(self, cache_alias: str = "default", key_prefix: str = "resetkit", **options: Any):
        super().__init__(**options)
        self.cache_alias = cache_alias
        self.key_prefix = key_prefix
        # Cache key -> the entry as read (stored bytes on Redis, else the value): consuming the
        # token a request just looked up needs no second read.
        self._read: dict[str, Any] = {}

    @property
    def cache(self) -> BaseCache:
        # Resolved per call so that a CACHES override (tests, reconfiguration) reaches us.
        return caches[self.cache_alias]

    def _primary(self) -> RedisPrimary | None:
        return scripting_primary(self.cache)

    def _get_many(self, cache_keys: Sequence[str]) -> dict[str, Any]:
        """The entries found under ``cache_keys``: from the primary on Redis, remembered for a
        consume that follows."""
        if not cache_keys:
            return {}
        primary = self._primary()
        if primary is None:
            found = self.cache.get_many(cache_keys)
            raw = found
        else:
            stored = primary.get_many_raw(cache_keys)
            raw = {
                key: value
                for key, value in zip(cache_keys, stored, strict=True)
                if value is not None
            }
            found = {key: primary.loads(value) for key, value in raw.items()}
        if len(self._read) >= _MAX_REMEMBERED:
            self._read.clear()
        self._read.update(raw)
        return found

    def _stamps(self, user_pks: Sequence[Any]) -> dict[Any, Any]:
        """The current revocation stamp of each user (``None`` where there is none)."""
        keys = {self.user_cache_key(pk): pk for pk in user_pks}
        if not keys:
            return {}
        primary = self._primary()
        if primary is None:
            found = self.cache.get_many(list(keys))
        else:
            stored = primary.get_many_raw(list(keys))
            found = {key: primary.loads(value) for key, value in zip(keys, stored, strict=True)}
        return {pk: found.get(key) for key, pk in keys.items()}

    def make_digest(self, key: str) -> str:
        return compact_digest(super().make_digest(key))

    def lookup_digests(self, key: str) -> list[str]:
        return [compact_digest(digest) for digest in super().lookup_digests(key)]

    def check(self) -> list[Any]:
        """Report a cache alias that is missing (E004), a dummy cache that forgets every token
        (E005) or a per-process cache the other workers cannot see (W002)."""
        from django.conf import settings
        from django.core import checks
        from django.core.cache.backends.dummy import DummyCache
        from django.core.cache.backends.locmem import LocMemCache

        alias = self.cache_alias
        if alias not in settings.CACHES:
            return [
                checks.Error(
                    f"The cache token store uses cache alias {alias!r}, which is not in CACHES.",
                    hint=f"Add {alias!r} to CACHES or set the store's cache_alias.",
                    id="resetkit.E004",
                )
            ]
        cache = caches[alias]
        if isinstance(cache, DummyCache):
            return [
                checks.Error(
                    f"The cache token store uses {alias!r}, a DummyCache: every token is "
                    "forgotten as soon as it is issued, so no reset can succeed.",
                    hint="Point cache_alias at Redis (or another shared cache).",
                    id="resetkit.E005",
                )
            ]
        if isinstance(cache, LocMemCache):
            return [
                checks.Warning(
                    f"The cache token store uses {alias!r}, a per-process LocMemCache: a token "
                    "issued by one worker is unknown to the others and lost on restart.",
                    hint="Point cache_alias at Redis (or another shared cache) in production.",
                    id="resetkit.W002",
                )
            ]
        return []

    def token_cache_key(self, digest: str) -> str:
        return f"{self.key_prefix}:t:{digest}"

    def user_cache_key(self, user_pk: Any) -> str:
        return f"{self.key_prefix}:u:{user_pk}"

    @outage_boundary
    def create_token(
        self, user: Any, key: str, *, ip_address: str | None = None, user_agent: str = ""
    ) -> ResetToken:
        ttl = self.get_expiry_seconds()
        created_at = self.now()
        digest = self.make_digest(key)
        cache_key = self.token_cache_key(digest)
        # A key outstanding under a fallback secret is just as taken as one under the current.
        self._make_way([self.token_cache_key(d) for d in self.lookup_digests(key) if d != digest])
        stamp = self._current_stamp(user.pk, ttl)
        user_agent = self.clean_user_agent(user_agent)
        value = (
            pack_pk(user.pk),
            created_at.timestamp(),
            stamp,
            pack_ip(ip_address or None),
            user_agent,
            pack_hex(self.password_fingerprint(user)),
        )
        # add(), never set(): overwriting would hand another user's outstanding token to this
        # one. A dead entry (expired, revoked) in the way is removed and the add tried again,
        # by one issuer at a time: two issuers that both saw the dead entry would otherwise
        # each delete what is there, the other's new token included.
        if not self.cache.add(cache_key, value, ttl):
            lock_key = f"{cache_key}:making-way"
            if not self.cache.add(lock_key, 1, 10):
                raise DuplicateTokenError("this key is being issued concurrently; use another")
            try:
                self._make_way([cache_key])
                if not self.cache.add(cache_key, value, ttl):
                    raise DuplicateTokenError("this key was issued concurrently; use another")
            finally:
                self.cache.delete(lock_key)
        return self.build_token(
            key,
            digest,
            user,
            created_at,
            ip_address,
            user_agent,
            unpack_hex(value[5]),
        )

    def _unexpired(self, value: Any) -> bool:
        created_at = datetime.fromtimestamp(value[1], tz=dt_timezone.utc)
        return not self.is_expired(created_at)

    def _live_entries(self, cache_keys: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
        """The entries under ``cache_keys`` split into live ones (neither expired nor
        revoked) and the keys of dead ones; two reads at most (entries, then stamps)."""
        found = self._get_many(cache_keys)
        unexpired = {key: value for key, value in found.items() if self._unexpired(value)}
        stamps = self._stamps(list({unpack_pk(value[0]) for value in unexpired.values()}))
        live = {
            key: value
            for key, value in unexpired.items()
            if stamps.get(unpack_pk(value[0])) == value[2]
        }
        return live, [key for key in found if key not in live]

    def _make_way(self, cache_keys: Sequence[str]) -> None:
        """Delete dead entries under ``cache_keys``; refuse if a live one is there."""
        if not cache_keys:
            return
        live, dead = self._live_entries(cache_keys)
        if live:
            raise DuplicateTokenError("this key is already outstanding; use another")
        if dead:
            self.cache.delete_many(dead)

    #: Seconds a user's revocation stamp is kept at least. Flows sharing this store may give
    #: their tokens different lifetimes (a 15-minute code, a day-long link): the stamp must
    #: outlive the longest, or that token dies with it, so a shorter one never shortens it.
    stamp_min_ttl: int = 31 * 86400

    def _stamp_ttl(self, ttl: int) -> int:
        return max(ttl, self.stamp_min_ttl)

    def _current_stamp(self, user_pk: Any, ttl: int) -> int:
        """The user's stamp, created if missing; kept alive at least as long as any token."""
        user_key = self.user_cache_key(user_pk)
        stamp_ttl = self._stamp_ttl(ttl)
        primary = self._primary()
        if primary is not None:
            found = run_script(
                primary, _STAMP_SCRIPT, [primary.key(user_key)], [new_stamp(), stamp_ttl]
            )
            return int(found)
        stamp = self.cache.get(user_key)
        if stamp is None:
            fresh = new_stamp()
            if self.cache.add(user_key, fresh, stamp_ttl):
                return fresh
            stamp = self.cache.get(user_key)
            if stamp is None:  # evicted between add() and get(): take ours
                self.cache.set(user_key, fresh, stamp_ttl)
                return fresh
        else:
            self.cache.touch(user_key, stamp_ttl)
        return int(stamp)

    @outage_boundary
    def get_token(self, key: str) -> ResetToken | None:
        return self._get_token(key, None)

    @outage_boundary
    def get_token_for_users(self, key: str, users: Sequence[Any]) -> ResetToken | None:
        # The entry names its owner: another account's code is refused before any user is
        # loaded, so it costs what an unknown code costs.
        return self._get_token(key, {pack_pk(user.pk): user for user in users})

    def _get_token(self, key: str, owners: dict[Any, Any] | None) -> ResetToken | None:
        """The live token for ``key``; with ``owners`` (packed pk -> user), only theirs."""
        cache_keys = [self.token_cache_key(digest) for digest in self.lookup_digests(key)]
        live, dead = self._live_entries(cache_keys)
        if dead:
            # Expired, or revoked by a newer stamp: forget it now rather than at its TTL.
            self.cache.delete_many(dead)
        # Two live entries for one key (old and new secret) can only come from issuers racing
        # across a key rotation; nobody can tell whose it is, so it opens neither account.
        if len(live) != 1:
            return None
        ((cache_key, value),) = live.items()
        user_pk, created_ts, _stamp, ip_address, user_agent, fingerprint = value
        if owners is None:
            user = find_user(unpack_pk(user_pk))
        else:
            user = owners.get(user_pk)
            if user is None:
                return None
        if user is None or not self.password_unchanged(user, unpack_hex(fingerprint)):
            self.cache.delete(cache_key)
            return None
        created_at = datetime.fromtimestamp(created_ts, tz=dt_timezone.utc)
        return self.build_token(
            key,
            cache_key.rsplit(":", 1)[1],
            user,
            created_at,
            unpack_ip(ip_address),
            user_agent,
            unpack_hex(fingerprint),
        )

    @outage_boundary
    def consume_token(self, token: Any) -> bool:
        return self._consume(token, revoke=False)

    @outage_boundary
    def consume_and_revoke(self, token: Any) -> bool:
        """Consume ``token`` and give its user a new stamp, which voids every other token of
        theirs; one round trip on Redis, three calls elsewhere (delete, read the stamp, write
        a new one)."""
        return self._consume(token, revoke=True)

    def _consume(self, token: Any, *, revoke: bool) -> bool:
        """Remove ``token``'s entry; ``True`` for the one caller that removed it while it was
        live. A reset that revoked the user's tokens since this one was read still voids it,
        as deleting the user's rows does in the ORM store."""
        cache_key = self.token_cache_key(token.digest)
        primary = self._primary()
        read = self._read.get(cache_key)
        if primary is not None:
            if not isinstance(read, bytes):
                (read,) = primary.get_many_raw([cache_key])
                if read is None:
                    return False
            value = primary.loads(read)
            if not self._unexpired(value):
                self.cache.delete(cache_key)
                return False
            user_key = self.user_cache_key(unpack_pk(value[0]))
            stamp_ttl = self._stamp_ttl(self.get_expiry_seconds())
            won = run_script(
                primary,
                _CONSUME_SCRIPT,
                [primary.key(cache_key), primary.key(user_key)],
                [read, value[2], new_stamp() if revoke else "", stamp_ttl],
            )
            return bool(won)
        value = read if isinstance(read, tuple) else self.cache.get(cache_key)
        if value is None or not self.cache.delete(cache_key):
            return False
        # This caller won the delete.
        user_pk = unpack_pk(value[0])
        if not self._unexpired(value) or self._stamps([user_pk])[user_pk] != value[2]:
            return False
        if revoke:
            self._revoke(user_pk)
        return True

    @outage_boundary
    def revoke_user_tokens(self, user: Any) -> None:
        self._revoke(user.pk)

    def _revoke(self, user_pk: Any) -> None:
        stamp_ttl = self._stamp_ttl(self.get_expiry_seconds())
        self.cache.set(self.user_cache_key(user_pk), new_stamp(), stamp_ttl)
