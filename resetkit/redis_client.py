"""The primary server of a Django ``RedisCache``: where reads that must be fresh go.

Django's ``django.core.cache.backends.redis.RedisCache`` with several ``LOCATION`` entries
writes to the first server and reads from the others (replicas). A replica answers with what
it has received so far: a token consumed or revoked a moment ago, or a counter just
incremented, may still read as it was. The cache store and the counters therefore read
through the *write* client of such a cache, and use it to run several commands in one round
trip (a Lua script), which the portable cache API cannot.

This leans on three private attributes of Django's backend: ``cache._cache.get_client(key,
write=True)`` (a redis-py client of the first server), ``cache._cache._serializer`` (how values
are stored) and ``cache.make_and_validate_key`` (the key with ``KEY_PREFIX`` and version).
``tests/backends/test_cache_redis_private_apis.py`` pins them; when they are missing,
:func:`redis_primary` answers ``None`` and callers keep to the portable cache API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import BaseCache

__all__ = ["RedisPrimary", "redis_primary", "run_script", "scripting_primary"]

_SCRIPTS: dict[str, Any] = {}
_PRIMARY_ATTRIBUTE = "_resetkit_redis_primary"
_UNSET = object()


@dataclass(frozen=True)
class RedisPrimary:
    """The write client of a Django ``RedisCache`` with the cache's key making and
    serializer: raw commands on the same keys and values the cache API reads and writes."""

    cache: BaseCache
    client: Any
    serializer: Any
    #: Whether integers are stored as plain numbers (Django's ``RedisSerializer`` does), so
    #: ``INCR`` and a script's comparisons work on the values ``cache.add(key, 1)`` writes.
    plain_integers: bool

    def key(self, key: str) -> str:
        """The Redis key of cache key ``key`` (``KEY_PREFIX``, version, ``KEY_FUNCTION``)."""
        made: str = self.cache.make_and_validate_key(key)
        return made

    def keys(self, keys: Sequence[str]) -> list[str]:
        return [self.key(key) for key in keys]

    def dumps(self, value: Any) -> Any:
        return self.serializer.dumps(value)

    def loads(self, raw: Any) -> Any:
        return None if raw is None else self.serializer.loads(raw)

    def get_many_raw(self, keys: Sequence[str]) -> list[Any]:
        """The stored bytes of each cache key (``None`` where missing), from the primary."""
        if not keys:
            return []
        return list(self.client.mget(self.keys(keys)))


def redis_primary(cache: BaseCache) -> RedisPrimary | None:
    """The primary of ``cache`` when it is Django's ``RedisCache``; else ``None``.

    Worked out once per cache object (Django keeps one per thread and alias): Django's
    ``get_client()`` builds a new redis-py client on every call, which costs more CPU than the
    command it sends. The client kept here shares the cache's connection pool, which redis-py
    renews after a fork.
    """
    found = cache.__dict__.get(_PRIMARY_ATTRIBUTE, _UNSET)
    if found is _UNSET:
        found = cache.__dict__[_PRIMARY_ATTRIBUTE] = _find_primary(cache)
    primary: RedisPrimary | None = found
    return primary


def scripting_primary(cache: BaseCache) -> RedisPrimary | None:
    """The primary of ``cache`` when it is a ``RedisCache`` storing integers as plain numbers
    (what the Lua scripts of the cache store and the counters read and ``INCR``); else
    ``None``, and callers keep to the portable cache API."""
    primary = redis_primary(cache)
    return primary if primary is not None and primary.plain_integers else None


def _find_primary(cache: BaseCache) -> RedisPrimary | None:
    try:
        from django.core.cache.backends.redis import RedisCache
    except ImportError:  # pragma: no cover - Django < 4.0 is not supported anyway
        return None
    if not isinstance(cache, RedisCache):
        return None
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    serializer = getattr(backend, "_serializer", None)
    if get_client is None or serializer is None or not hasattr(cache, "make_and_validate_key"):
        return None
    try:
        plain_integers = serializer.dumps(1) == 1 and serializer.loads(b"1") == 1
    except Exception:
        plain_integers = False
    return RedisPrimary(
        cache=cache,
        client=get_client(None, write=True),
        serializer=serializer,
        plain_integers=bool(plain_integers),
    )


def run_script(primary: RedisPrimary, source: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
    """Run the Lua script ``source`` on the primary: ``EVALSHA``, loaded on first use."""
    script = _SCRIPTS.get(source)
    if script is None:
        script = _SCRIPTS[source] = primary.client.register_script(source)
    return script(keys=list(keys), args=list(args), client=primary.client)
