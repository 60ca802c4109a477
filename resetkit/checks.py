"""System checks for configurations that start fine and fail users later."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured

from resetkit.conf import LEGACY_ALIASES, SETTING_NAME, resetkit_settings


@checks.register(checks.Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    try:
        user_settings = resetkit_settings.user_settings
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="resetkit.E001")]

    for key, alias in LEGACY_ALIASES.items():
        if key in user_settings and hasattr(settings, alias):
            messages.append(
                checks.Warning(
                    f"Both {SETTING_NAME}[{key!r}] and {alias} are set; {alias} is ignored.",
                    hint=f"Remove {alias} from your settings.",
                    id="resetkit.W001",
                )
            )

    field = resetkit_settings.LOOKUP_FIELD
    try:
        get_user_model()._meta.get_field(field)
    except FieldDoesNotExist:
        messages.append(
            checks.Error(
                f"{resetkit_settings.source_of('LOOKUP_FIELD')} is {field!r}, which is not a field "
                f"of {settings.AUTH_USER_MODEL}.",
                id="resetkit.E002",
            )
        )

    for name, check in (("TOKEN_STORE", _check_store), ("TOKEN_GENERATOR", _check_generator)):
        try:
            messages.extend(check())
        except ImproperlyConfigured as exc:
            messages.append(checks.Error(str(exc), id="resetkit.E003", obj=name))
    return messages


def _check_generator() -> list[checks.CheckMessage]:
    from resetkit.generators import get_token_generator

    get_token_generator()
    return []


def _check_store() -> list[checks.CheckMessage]:
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
