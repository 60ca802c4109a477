"""Read a token store the way an attacker with a dump would: raw rows and raw cache entries.

The tests use these to prove facts about what is physically stored (a token is gone, an entry
has a TTL, nothing at rest contains the raw token), not just what the store's API answers.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator
from typing import Any

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from resetkit.models import ResetPasswordToken


def raw_token_rows() -> list[dict[str, Any]]:
    """Every column of every row of the token table, read with plain SQL."""
    table = connection.ops.quote_name(ResetPasswordToken._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def raw_row_digests() -> set[str]:
    return {str(row["digest"]) for row in raw_token_rows()}


def _redis_client(alias: str) -> redis.Redis:
    return redis.Redis.from_url(settings.CACHES[alias]["LOCATION"])


def _redis_prefix(alias: str) -> str:
    return f"{settings.CACHES[alias].get('KEY_PREFIX', '')}:"


def raw_cache_entries(alias: str = "default") -> dict[str, bytes]:
    """Every key of ``alias`` and its stored bytes.

    Keys are shown as the store wrote them: the cache's own ``<KEY_PREFIX>:<version>:`` is
    removed (entries of other versions keep whatever follows the configured prefix).
    """
    cache = caches[alias]
    own = cache.make_key("")
    if isinstance(cache, LocMemCache):
        with cache._lock:
            found = {key: bytes(value) for key, value in cache._cache.items()}
    elif isinstance(cache, RedisCache):
        client = _redis_client(alias)
        prefix = _redis_prefix(alias)
        pattern = "".join(f"\\{c}" if c in "*?[]\\" else c for c in prefix) + "*"
        found = {}
        for raw_key in client.scan_iter(match=pattern, count=1000):
            value = client.get(raw_key)
            if value is not None:
                found[raw_key.decode()] = value
        own_len, prefix_len = len(own), len(prefix)
        return {
            (key[own_len:] if key.startswith(own) else key[prefix_len:]): value
            for key, value in found.items()
        }
    else:
        raise AssertionError(f"no raw reader for {type(cache).__name__}")
    return {
        (key[len(own) :] if key.startswith(own) else key): value for key, value in found.items()
    }


def remaining_ttl(key: str, alias: str = "default") -> float | None:
    """Seconds until the cache drops ``key`` by itself (``None``: no expiry, or no such key)."""
    cache = caches[alias]
    full_key = cache.make_key(key)
    if isinstance(cache, LocMemCache):
        expiry = cache._expire_info.get(full_key)
        return None if expiry is None else expiry - time.time()
    if isinstance(cache, RedisCache):
        millis = _redis_client(alias).pttl(full_key)
        return None if millis < 0 else millis / 1000
    raise AssertionError(f"no TTL reader for {type(cache).__name__}")


def decoded_values(raw: bytes) -> Iterator[Any]:
    """The leaves of a cache value, unpickled (Django's RedisCache stores ints as digits)."""
    try:
        value: Any = pickle.loads(raw)  # our own test cache
    except Exception:
        try:
            value = int(raw)
        except ValueError:
            return
    yield from _leaves(value)


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(key)
            yield from _leaves(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def forms_of(token: str) -> tuple[list[str], list[bytes]]:
    """The text and byte shapes in which a leaked token could sit in a dump."""
    texts = sorted({token, token.lower(), token.upper()})
    blobs = [text.encode() for text in texts]
    hex_digits = set("0123456789abcdefABCDEF")
    # Hex-decoded: only meaningful for a long hex token (a 6-digit code decodes to 3 bytes,
    # which random binary data contains by chance).
    if len(token) >= 16 and set(token) <= hex_digits:
        blobs.append(bytes.fromhex(token[: len(token) // 2 * 2]))
    return texts, blobs


def leaks_in_value(token: str, value: Any) -> bool:
    """Whether one stored value (a column, a key, an unpickled leaf) reveals ``token``."""
    texts, blobs = forms_of(token)
    if isinstance(value, memoryview | bytearray):
        value = bytes(value)
    if isinstance(value, bytes):
        return any(blob in value for blob in blobs)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A number leaks a numeric code by being it, not by sharing digits (a timestamp).
        return token.isdigit() and value == int(token)
    text = str(value)
    return any(form in text for form in texts)
