"""Every reset endpoint keeps its tokens in the cache ``CACHES["default"]``, on Redis."""

CACHES = {
    "default": {
        # Django's own Redis backend; needs the redis package: pip install "django-resetkit[redis]"
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    },
}

RESETKIT = {
    "TOKEN_STORE": {
        "CLASS": "resetkit.backends.cache.CacheTokenStore",
        "OPTIONS": {"cache_alias": "default"},
    },
}
