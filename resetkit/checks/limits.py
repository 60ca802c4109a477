"""Check of where the limits count: throttles, the per-account budget and the code attempts.

Every limit resetkit ships is a counter in a Django cache (:mod:`resetkit.counters`). Behind a
load balancer, with several server processes or machines, a limit holds only if all of them
count in one cache. A ``LocMemCache`` counts per process (four gunicorn workers on two machines
let eight times the limit through), a ``FileBasedCache`` per machine (and its increment is a read
then a write), a ``DummyCache`` not at all. In development (``DEBUG``) that is fine; in
production it is W011.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.cache import BaseCache, InvalidCacheBackendError, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured

from resetkit.conf import resetkit_settings

#: What each kind of unshared cache does to a limit, as the warning says it.
UNSHARED = (
    (DummyCache, "a DummyCache, which keeps no count: those limits let every request through"),
    (
        LocMemCache,
        "a LocMemCache, which counts per process: each gunicorn or uvicorn worker and each "
        "task worker allows the full limit on its own",
    ),
    (
        FileBasedCache,
        "a FileBasedCache, which counts per machine (and increments by a read then a write): "
        "with several machines each one allows the full limit on its own",
    ),
)


@checks.register(checks.Tags.caches)
def check_limit_caches(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when a limit counts in a cache that the server processes do not share, unless
    ``DEBUG`` is on (one development server)."""
    from resetkit.checks.settings import settings_are_valid

    if settings.DEBUG or not settings_are_valid():
        return []
    # Per cache: the endpoints whose throttles count there, then the other limits.
    by_cache: dict[str, tuple[BaseCache, list[str], list[str]]] = {}
    for name, cache, endpoint, limit in limit_caches():
        _, endpoints, limits = by_cache.setdefault(name, (cache, [], []))
        if endpoint and endpoint not in endpoints:
            endpoints.append(endpoint)
        if limit and limit not in limits:
            limits.append(limit)
    messages: list[checks.CheckMessage] = []
    for name, (cache, endpoints, limits) in by_cache.items():
        kind = next((said for cls, said in UNSHARED if isinstance(cache, cls)), None)
        if kind is None:
            continue
        if endpoints:
            plural = "s" if len(endpoints) > 1 else ""
            limits = [f"the throttles of the {join(endpoints)} endpoint{plural}", *limits]
        messages.append(
            checks.Warning(
                upper_first(f"{join(limits)} count in {name}, {kind}."),
                hint=f"Point {name} at a cache every server process and machine shares (Redis, "
                "Memcached). If one process serves everything, silence resetkit.W011.",
                obj=name,
                id="resetkit.W011",
            )
        )
    return messages


def limit_caches() -> Iterator[tuple[str, BaseCache, str, str]]:
    """Each limit in force, as (the cache's name, the cache, the endpoint a throttle guards or
    ``""``, the name of any other limit or ``""``)."""
    for setting, endpoint in (
        ("THROTTLE_CLASSES", "request"),
        ("VALIDATE_THROTTLE_CLASSES", "validate"),
        ("CONFIRM_THROTTLE_CLASSES", "confirm"),
    ):
        for throttle in throttle_classes(setting):
            found = throttle_cache(throttle)
            if found is not None:
                yield *found, endpoint, ""
    if resetkit_settings.ACCOUNT_TOKEN_RATE:
        from resetkit.budgets import AccountTokenBudget

        found = alias_cache(AccountTokenBudget.cache_alias)
        if found is not None:
            yield *found, "", "the per-account token budget (ACCOUNT_TOKEN_RATE)"
    if serves_short_codes():
        found = alias_cache(code_attempts_alias())
        if found is not None:
            yield *found, "", "the short-code attempt limit (CODE_ATTEMPT_LIMIT)"
            if resetkit_settings.CODE_ONLY_LOOKUP:
                yield *found, "", "the budget of wrong codes (CODE_ONLY_GUESS_RATE)"


def throttle_classes(setting: str) -> list[Any]:
    """The throttle classes an endpoint applies; none when they do not load (E007 says so)."""
    from resetkit.throttling import (
        get_endpoint_throttle_classes,
        get_password_reset_request_token_throttle_classes,
    )

    try:
        if setting == "THROTTLE_CLASSES":
            return list(get_password_reset_request_token_throttle_classes())
        return list(get_endpoint_throttle_classes(setting))
    except (ImproperlyConfigured, ImportError, TypeError):
        return []


def throttle_cache(throttle: Any) -> tuple[str, BaseCache] | None:
    """Where a throttle class counts: resetkit's throttles name a cache alias, DRF's hold a
    cache object (``django.core.cache.cache`` unless the class sets another)."""
    from django.core.cache import cache as default_cache
    from rest_framework.throttling import SimpleRateThrottle

    from resetkit.throttling import WindowRateThrottle

    if not isinstance(throttle, type):
        return None
    if issubclass(throttle, WindowRateThrottle):
        return alias_cache(throttle.cache_alias)
    if issubclass(throttle, SimpleRateThrottle):
        cache = throttle.cache
        if cache is default_cache:
            return alias_cache("default")
        if isinstance(cache, BaseCache):
            return f"the cache of {throttle.__qualname__}", cache
    return None


def alias_cache(alias: str) -> tuple[str, BaseCache] | None:
    """The cache of ``alias``; ``None`` when it cannot be built (Django's checks, E004)."""
    try:
        return f"CACHES[{alias!r}]", caches[alias]
    except (InvalidCacheBackendError, ImproperlyConfigured, ImportError):
        return None


def serves_short_codes() -> bool:
    """Whether some endpoint takes short codes (counted per account by ``CODE_ATTEMPT_LIMIT``):
    the configured generator, the flow's, or a routed view's (the e-mail + code flow's)."""
    from resetkit.checks.throttles import short_code_makers

    return bool(short_code_makers())


def code_attempts_alias() -> str:
    """The cache alias of the configured flow's code attempts."""
    from resetkit.attempts import CodeAttempts
    from resetkit.flows import get_flow_class

    try:
        attempts = get_flow_class()().get_code_attempts()
    except Exception:  # a flow that cannot be built is reported by its own checks
        attempts = CodeAttempts(1, 1)
    return attempts.counter.cache_alias


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
