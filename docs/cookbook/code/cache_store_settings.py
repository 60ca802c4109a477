"""Every reset endpoint keeps its tokens in the cache ``CACHES["default"]``."""

RESETKIT = {
    "TOKEN_STORE": {
        "CLASS": "resetkit.backends.cache.CacheTokenStore",
        "OPTIONS": {"cache_alias": "default"},
    },
}
