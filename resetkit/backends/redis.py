"""Tokens in Redis through redis-py itself: one round trip per step, atomic reset.

The generic cache store (:mod:`resetkit.backends.cache`) speaks only Django's cache API, so
each of its steps is several commands and its consume and revoke are two. This store keeps
the same data in the same spirit (a keyed digest per token, a revocation stamp per user, TTLs
so that nothing needs cleaning) but runs each step as one server-side Lua script, sent with
``EVALSHA`` (redis-py's registered scripts load it again after a ``NOSCRIPT``):

* issue: refuse a live entry under the key (or under its digest with a fallback secret),
  delete dead ones, take (or create) the user's stamp, write the entry with its TTL;
* look up: the entries under the key's digests and the owner's stamp, dead ones deleted;
* consume and revoke: delete the entry if it is live and, in the same script, give the user a
  new stamp, which voids every other token of the user. Two different tokens of one user
  consumed at once cannot both succeed.

Layout, every key under the hash tag ``{<key_prefix>}``:

* ``{<key_prefix>}:t:<digest>`` -> ``<created µs>:<stamp>:<len>:<owner><ip, fingerprint,
  user agent>``; the digest is the first 128 bits of the HMAC in URL-safe base64, never the
  token. Lua reads the three numbers and the owner; the rest is opaque to it.
* ``{<key_prefix>}:u:<owner>`` -> the user's stamp, a random 63-bit integer.

One hash tag for the whole store, not one per user: a lookup knows only the digest, yet must
read the owner's stamp in the same script, and a script may only touch keys of one slot. In a
Redis Cluster the store's keys therefore live on one shard (and its replicas); at under 300
bytes a token, one shard holds millions.

The client is built once per process (after a fork, again), lazily, from ``url`` or from
``client``: a redis-py client, or the dotted path of a callable returning one (a Sentinel's
``master_for(...)``, a ``RedisCluster``). redis-py is imported then, not at import time.
"""

from __future__ import annotations

import functools
import importlib
import math
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured

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
    unpack_hex,
    unpack_ip,
)
from resetkit.backends.user_lookup import find_user
from resetkit.exceptions import StoreUnavailable

__all__ = ["RedisTokenStore"]

_Method = TypeVar("_Method", bound=Callable[..., Any])

EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)

#: Connection defaults: a reset should answer 503 soon, not hang, when Redis is gone.
DEFAULT_CONNECTION_OPTIONS: dict[str, Any] = {"socket_connect_timeout": 5, "socket_timeout": 5}

# -- scripts ---------------------------------------------------------------------------------

# Shared by the scripts: an entry is live when it is not expired (created at or after the
# cutoff the caller computed from its clock) and carries its owner's current stamp.
_LUA_LIVE = """
local function parse(v)
  local created, stamp, n, pos = string.match(v, '^(%d+):(%d+):(%d+):()')
  return tonumber(created), stamp, string.sub(v, pos, pos + tonumber(n) - 1)
end
local function live(v, cutoff, uprefix)
  local created, stamp, owner = parse(v)
  if created < cutoff then return false, owner end
  return redis.call('GET', uprefix .. owner) == stamp, owner
end
"""

# KEYS: the token keys under every digest of the key (current first), then the user's key.
# ARGV: cutoff, user key prefix, created, entry tail, fresh stamp, TTL ms, stamp TTL ms.
# Returns 0 when a live entry holds the key, else 1.
_LUA_ISSUE = (
    _LUA_LIVE
    + """
local cutoff, uprefix = tonumber(ARGV[1]), ARGV[2]
local n = #KEYS - 1
for i = 1, n do
  local v = redis.call('GET', KEYS[i])
  if v and live(v, cutoff, uprefix) then return 0 end
end
for i = 1, n do redis.call('DEL', KEYS[i]) end
local ukey, stamp_ttl = KEYS[#KEYS], tonumber(ARGV[7])
local stamp = redis.call('GET', ukey)
if not stamp then
  stamp = ARGV[5]
  redis.call('SET', ukey, stamp, 'PX', stamp_ttl)
elseif redis.call('PTTL', ukey) < stamp_ttl then
  redis.call('PEXPIRE', ukey, stamp_ttl)
end
local ttl = tonumber(ARGV[6])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[3] .. ':' .. stamp .. ':' .. ARGV[4], 'PX', ttl)
end
return 1
"""
)

# KEYS: the token keys under every digest of the key. ARGV: cutoff, user key prefix.
# Returns {index, entry, ...} for the live entries; dead ones are deleted.
_LUA_LOOK_UP = (
    _LUA_LIVE
    + """
local cutoff, uprefix = tonumber(ARGV[1]), ARGV[2]
local found = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v then
    if live(v, cutoff, uprefix) then
      found[#found + 1] = i
      found[#found + 1] = v
    else
      redis.call('DEL', key)
    end
  end
end
return found
"""
)

# KEYS: the token key. ARGV: cutoff, user key prefix, owner, revoke ("1"/"0"), new stamp,
# stamp TTL ms. Deletes the entry if it is the owner's; 1 if it was live (and, with revoke,
# the owner has a new stamp), else 0.
_LUA_CONSUME = (
    _LUA_LIVE
    + """
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, owner = live(v, tonumber(ARGV[1]), ARGV[2])
if owner ~= ARGV[3] then return 0 end
redis.call('DEL', KEYS[1])
if not ok then return 0 end
if ARGV[4] == '1' then
  redis.call('SET', ARGV[2] .. owner, ARGV[5], 'PX', tonumber(ARGV[6]))
end
return 1
"""
)


class _Connection:
    """A client and its registered scripts, built for one process."""

    def __init__(self, client: Any) -> None:
        self.pid = current_pid()
        self.client = client
        self.issue = client.register_script(_LUA_ISSUE)
        self.look_up = client.register_script(_LUA_LOOK_UP)
        self.consume = client.register_script(_LUA_CONSUME)


def current_pid() -> int:
    """This process's id: a client built before a fork is not used after it."""
    return os.getpid()


_connections: dict[Any, _Connection] = {}
_connections_lock = threading.Lock()


def _import_redis() -> Any:
    try:
        return importlib.import_module("redis")
    except ImportError as exc:
        raise ImproperlyConfigured(
            "RedisTokenStore needs the 'redis' package: pip install 'django-resetkit[redis]'."
        ) from exc


def _outage_errors() -> tuple[type[BaseException], ...]:
    """Errors of a Redis that is failing over or partly down, beyond the connection and
    timeout errors every store treats as an outage: a Cluster without a master for the slot
    or without a reachable node, a replica that has not been promoted yet."""
    from redis import exceptions

    # redis-py before 8.2 has no RedisClusterUnreachableError: it raises the base class,
    # RedisClusterException, when no node of a Cluster answers.
    unreachable = getattr(
        exceptions, "RedisClusterUnreachableError", exceptions.RedisClusterException
    )
    return (
        exceptions.ClusterDownError,
        exceptions.TryAgainError,
        exceptions.ReadOnlyError,
        unreachable,
        exceptions.SlotNotCoveredError,
    )


def redis_boundary(method: _Method) -> _Method:
    """:func:`~resetkit.backends.base.outage_boundary`, plus a Cluster or failover outage."""

    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except ImproperlyConfigured:
            raise
        except Exception as exc:
            if isinstance(exc, _outage_errors()):
                raise StoreUnavailable(f"{type(self).__name__} cannot be reached: {exc}") from exc
            raise

    return outage_boundary(guarded)  # type: ignore[return-value]


def _pack_owner(pk: Any) -> bytes:
    """The owner as the scripts see it (inside the entry, and the user key's suffix)."""
    if isinstance(pk, int) and not isinstance(pk, bool):
        return b"i%d" % pk
    if isinstance(pk, uuid.UUID):
        return b"u" + pk.bytes
    return b"s" + str(pk).encode()


def _unpack_owner(owner: bytes) -> Any:
    kind, rest = owner[:1], owner[1:]
    if kind == b"i":
        return int(rest)
    if kind == b"u":
        return uuid.UUID(bytes=rest)
    return rest.decode()


def _pack_field(value: bytes | str | None) -> bytes:
    """``n`` for none, ``b<len>:`` + bytes, or ``t<len>:`` + UTF-8 text."""
    if value is None:
        return b"n"
    if isinstance(value, bytes):
        return b"b%d:%s" % (len(value), value)
    data = value.encode()
    return b"t%d:%s" % (len(data), data)


def _unpack_field(data: bytes, pos: int) -> tuple[bytes | str | None, int]:
    kind = data[pos : pos + 1]
    if kind == b"n":
        return None, pos + 1
    colon = data.index(b":", pos)
    end = colon + 1 + int(data[pos + 1 : colon])
    raw = data[colon + 1 : end]
    return (raw if kind == b"b" else raw.decode()), end


class RedisTokenStore(BaseTokenStore):
    """Store tokens in Redis, each step one script.

    Options: ``url`` (``"redis://host:6379/0"``) or ``client`` (a redis-py client, or the
    dotted path of a callable taking no arguments that returns one), ``key_prefix``
    (default ``"resetkit"``), and any other keyword is passed to ``Redis.from_url()`` with
    ``url`` (``max_connections``, ``socket_timeout``, ``password``...).
    """

    expires_by_itself = True
    lists_tokens = False

    #: Seconds a user's revocation stamp is kept at least (see the cache store): it must
    #: outlive the longest token of any flow sharing the store.
    stamp_min_ttl: int = 31 * 86400

    def __init__(
        self,
        url: str | None = None,
        client: Any = None,
        key_prefix: str = "resetkit",
        *,
        lifetime: Any = None,
        namespace: str = "",
        **connection_options: Any,
    ) -> None:
        super().__init__(lifetime=lifetime, namespace=namespace)
        if (url is None) == (client is None):
            raise ImproperlyConfigured(
                "RedisTokenStore needs exactly one of the options 'url' and 'client'."
            )
        if url is not None and not isinstance(url, str):
            raise ImproperlyConfigured(f"RedisTokenStore: url must be a string, not {url!r}.")
        if connection_options and url is None:
            raise ImproperlyConfigured(
                "RedisTokenStore: connection options "
                f"({', '.join(sorted(connection_options))}) go with 'url'; a 'client' is "
                "configured where it is built."
            )
        if not isinstance(key_prefix, str) or not key_prefix or set("{}") & set(key_prefix):
            raise ImproperlyConfigured(
                f"RedisTokenStore: key_prefix must be a non-empty string without braces, not "
                f"{key_prefix!r}."
            )
        self.url = url
        self.client_option = client
        self.key_prefix = key_prefix
        self.connection_options = {**DEFAULT_CONNECTION_OPTIONS, **connection_options}
        tag = "{" + key_prefix + "}"
        self._token_prefix = f"{tag}:t:"
        self._user_prefix = f"{tag}:u:".encode()

    # -- the client ---------------------------------------------------------------------------

    def _connection_key(self) -> Any:
        if self.url is not None:
            options = tuple(sorted((k, repr(v)) for k, v in self.connection_options.items()))
            return ("url", self.url, options)
        if isinstance(self.client_option, str):
            return ("factory", self.client_option)
        return ("client", id(self.client_option))

    def _build_client(self) -> Any:
        if self.url is not None:
            redis = _import_redis()
            try:
                return redis.Redis.from_url(self.url, **self.connection_options)
            except ValueError as exc:
                raise ImproperlyConfigured(f"RedisTokenStore: bad url ({exc}).") from exc
        if isinstance(self.client_option, str):
            _import_redis()
            module_path, _, name = self.client_option.rpartition(".")
            try:
                factory = getattr(importlib.import_module(module_path), name)
            except (ImportError, AttributeError, ValueError) as exc:
                raise ImproperlyConfigured(
                    f"RedisTokenStore: cannot import client factory {self.client_option!r} ({exc})."
                ) from exc
            if not callable(factory):
                raise ImproperlyConfigured(
                    f"RedisTokenStore: client {self.client_option!r} is not callable."
                )
            return factory()
        return self.client_option

    @property
    def connection(self) -> _Connection:
        """The process's client and scripts for this store's options, built on first use."""
        key = self._connection_key()
        found = _connections.get(key)
        pid = current_pid()
        if found is not None and found.pid == pid:
            return found
        with _connections_lock:
            found = _connections.get(key)
            if found is None or found.pid != pid:
                # (A given client is held here too, so its id is not reused while listed.)
                found = _connections[key] = _Connection(self._build_client())
        return found

    @property
    def client(self) -> Any:
        """The redis-py client (for tests and tooling)."""
        return self.connection.client

    # -- keys and entries ---------------------------------------------------------------------

    def make_digest(self, key: str) -> str:
        return compact_digest(super().make_digest(key))

    def lookup_digests(self, key: str) -> list[str]:
        return [compact_digest(digest) for digest in super().lookup_digests(key)]

    def token_redis_key(self, digest: str) -> str:
        return self._token_prefix + digest

    def user_redis_key(self, user_pk: Any) -> bytes:
        return self._user_prefix + _pack_owner(user_pk)

    def _cutoff(self) -> int:
        return _micros(self.expiry_cutoff())

    def _stamp_ttl_ms(self) -> int:
        return max(self.get_expiry_seconds(), self.stamp_min_ttl) * 1000

    # -- the contract -------------------------------------------------------------------------

    @redis_boundary
    def create_token(
        self, user: Any, key: str, *, ip_address: str | None = None, user_agent: str = ""
    ) -> ResetToken:
        created_at = self.now()
        digest = self.make_digest(key)
        # A key outstanding under a fallback secret is just as taken as one under the current.
        others = [d for d in self.lookup_digests(key) if d != digest]
        user_agent = self.clean_user_agent(user_agent)
        fingerprint = self.password_fingerprint(user)
        owner = _pack_owner(user.pk)
        tail = (
            b"%d:%s" % (len(owner), owner)
            + _pack_field(pack_ip(ip_address or None))
            + _pack_field(pack_hex(fingerprint))
            + user_agent.encode()
        )
        keys = [self.token_redis_key(d) for d in [digest, *others]]
        issued = self.connection.issue(
            keys=[*keys, self.user_redis_key(user.pk)],
            args=[
                self._cutoff(),
                self._user_prefix,
                _micros(created_at),
                tail,
                new_stamp(),
                # Zero for tokens born expired: nothing is written.
                max(math.ceil(self.get_expiry_delta().total_seconds() * 1000), 0),
                self._stamp_ttl_ms(),
            ],
        )
        if not issued:
            raise DuplicateTokenError("this key is already outstanding; use another")
        return self.build_token(
            key,
            digest,
            user,
            created_at,
            ip_address,
            user_agent,
            fingerprint,
        )

    @redis_boundary
    def get_token(self, key: str) -> ResetToken | None:
        return self._get_token(key, None)

    @redis_boundary
    def get_token_for_users(self, key: str, users: Sequence[Any]) -> ResetToken | None:
        # The entry names its owner: another account's code is refused before any user is
        # loaded, so it costs what an unknown code costs.
        return self._get_token(key, {user.pk: user for user in users})

    def _get_token(self, key: str, owners: dict[Any, Any] | None) -> ResetToken | None:
        digests = self.lookup_digests(key)
        found = self.connection.look_up(
            keys=[self.token_redis_key(d) for d in digests],
            args=[self._cutoff(), self._user_prefix],
        )
        # Two live entries for one key (old and new secret) can only come from issuers racing
        # across a key rotation; nobody can tell whose it is, so it opens neither account.
        if len(found) != 2:
            return None
        digest = digests[int(found[0]) - 1]
        created_us, _stamp, rest = bytes(found[1]).split(b":", 2)
        colon = rest.index(b":")
        owner_end = colon + 1 + int(rest[:colon])
        user_pk = _unpack_owner(rest[colon + 1 : owner_end])
        ip, pos = _unpack_field(rest, owner_end)
        fingerprint, pos = _unpack_field(rest, pos)
        user_agent = rest[pos:].decode()
        if owners is None:
            user = find_user(user_pk)
        else:
            user = owners.get(user_pk)
            if user is None:
                return None
        fingerprint_text = unpack_hex(fingerprint or "")
        if user is None or not self.password_unchanged(user, fingerprint_text):
            self.connection.client.delete(self.token_redis_key(digest))
            return None
        created_at = EPOCH + timedelta(microseconds=int(created_us))
        return self.build_token(
            key,
            digest,
            user,
            created_at,
            unpack_ip(ip),
            user_agent,
            fingerprint_text,
        )

    def _consume(self, token: Any, revoke: bool) -> bool:
        consumed = self.connection.consume(
            keys=[self.token_redis_key(token.digest)],
            args=[
                self._cutoff(),
                self._user_prefix,
                _pack_owner(token.user.pk),
                "1" if revoke else "0",
                new_stamp(),
                self._stamp_ttl_ms(),
            ],
        )
        return bool(consumed)

    @redis_boundary
    def consume_token(self, token: Any) -> bool:
        return self._consume(token, revoke=False)

    @redis_boundary
    def consume_and_revoke(self, token: Any) -> bool:
        """Delete the entry if live and give its user a new stamp, in one script: of two
        tokens of one user consumed at once, one wins. Redis is outside the database
        transaction: the revocation stands if the password change then fails."""
        return self._consume(token, revoke=True)

    @redis_boundary
    def revoke_user_tokens(self, user: Any) -> None:
        self.connection.client.set(
            self.user_redis_key(user.pk), new_stamp(), px=self._stamp_ttl_ms()
        )

    # -- configuration ------------------------------------------------------------------------

    def check(self) -> list[Any]:
        """Report a missing ``redis`` package or a client that cannot be built (E018), and
        a Redis that does not answer ``PING`` now (W017: every step would answer 503)."""
        from django.core import checks

        try:
            self.client.ping()  # a Cluster's client connects already when it is built
        except ImproperlyConfigured as exc:
            return [
                checks.Error(
                    str(exc),
                    hint="Install the 'redis' extra and set the store's url or client.",
                    id="resetkit.E018",
                )
            ]
        except Exception as exc:
            return [
                checks.Warning(
                    f"RedisTokenStore cannot reach Redis ({type(exc).__name__}: {exc}): every "
                    "request, validate and confirm will answer 503 until it can.",
                    hint="Check the store's url or client, and that Redis is running.",
                    id="resetkit.W017",
                )
            ]
        return []


def _micros(moment: datetime) -> int:
    """Microseconds since the epoch: exact, and well within what Lua's numbers hold."""
    delta = moment - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
