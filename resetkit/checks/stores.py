"""Checks of the token store and generator: loadable, and a cache store on a cache that keeps
tokens (not a dummy cache, and shared by every worker)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


def check_generator() -> list[checks.CheckMessage]:
    from resetkit.generators import get_token_generator

    get_token_generator()
    return []


def check_store() -> list[checks.CheckMessage]:
    from django.core.cache import caches
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache

    from resetkit.backends import get_token_store
    from resetkit.backends.cache import CacheTokenStore

    store = get_token_store()
    if not isinstance(store, CacheTokenStore):
        return []
    if store.cache_alias not in settings.CACHES:
        return [
            checks.Error(
                f"The cache token store uses cache alias {store.cache_alias!r}, which is not in "
                "CACHES.",
                hint=f"Add {store.cache_alias!r} to CACHES or set the store's cache_alias.",
                id="resetkit.E004",
            )
        ]
    cache = caches[store.cache_alias]
    if isinstance(cache, DummyCache):
        return [
            checks.Error(
                f"The cache token store uses {store.cache_alias!r}, a DummyCache: every token is "
                "forgotten as soon as it is issued, so no reset can succeed.",
                hint="Point cache_alias at Redis (or another shared cache).",
                id="resetkit.E005",
            )
        ]
    if isinstance(cache, LocMemCache):
        return [
            checks.Warning(
                f"The cache token store uses {store.cache_alias!r}, a per-process LocMemCache: "
                "a token issued by one worker is unknown to the others and lost on restart.",
                hint="Point cache_alias at Redis (or another shared cache) in production.",
                id="resetkit.W002",
            )
        ]
    return []
