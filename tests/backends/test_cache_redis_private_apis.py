"""The private parts of Django's ``RedisCache`` that :mod:`resetkit.redis_client` leans on,
pinned: if a Django release changes them these fail loudly, instead of the cache store and the
counters quietly falling back to the portable path (more round trips, and reads that a
replica may serve stale).

* ``cache._cache.get_client(key, write=True)``: a redis-py client of the first ``LOCATION``
  (the primary);
* ``cache._cache._serializer``: integers stored as plain numbers (``INCR`` works on them);
* ``cache.make_and_validate_key``: ``KEY_PREFIX``, version and ``KEY_FUNCTION`` applied.

No server is needed: building a client does not connect.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache

from resetkit.redis_client import redis_primary

PRIMARY = "redis://127.0.0.1:6379/4"
REPLICA = "redis://127.0.0.1:6380/4"


def make_cache(location: object) -> RedisCache:
    return RedisCache(location, {"KEY_PREFIX": "pfx", "VERSION": 3})


def test_the_primary_of_a_redis_cache_is_found() -> None:
    primary = redis_primary(make_cache([PRIMARY, REPLICA]))
    assert primary is not None, (
        "Django's RedisCache changed (_cache.get_client, _cache._serializer or "
        "make_and_validate_key): repair resetkit/redis_client.py"
    )
    assert primary.plain_integers, "RedisSerializer no longer stores integers as they are"


def test_the_primary_client_is_the_first_location() -> None:
    primary = redis_primary(make_cache([PRIMARY, REPLICA, REPLICA]))
    assert primary is not None
    kwargs = primary.client.connection_pool.connection_kwargs
    assert (kwargs["port"], kwargs["db"]) == (6379, 4)


def test_the_reads_of_the_cache_go_elsewhere() -> None:
    """Why the primary is asked directly: Django's own reads go to the other locations."""
    cache = make_cache([PRIMARY, REPLICA])
    reader = cache._cache.get_client("k")
    assert reader.connection_pool.connection_kwargs["port"] == 6380


def test_keys_are_the_keys_the_cache_api_uses() -> None:
    cache = make_cache(PRIMARY)
    primary = redis_primary(cache)
    assert primary is not None
    assert primary.key("resetkit:u:1") == cache.make_key("resetkit:u:1") == "pfx:3:resetkit:u:1"


def test_values_round_trip_as_the_cache_stores_them() -> None:
    primary = redis_primary(make_cache(PRIMARY))
    assert primary is not None
    assert primary.dumps(7) == 7
    assert primary.loads(b"7") == 7
    assert primary.loads(primary.dumps((1, 2.5, b"x", "ua"))) == (1, 2.5, b"x", "ua")


def test_other_caches_take_the_portable_path() -> None:
    from django.core.cache.backends.locmem import LocMemCache

    assert redis_primary(LocMemCache("x", {})) is None
