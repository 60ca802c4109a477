"""Turn settings values (dotted paths, ``{"CLASS", "OPTIONS"}`` dicts) into objects.

Every import error names the setting that asked for it, as Django's ``get_hashers`` does, so a
typo in settings reads as a configuration error and not as a crash deep inside a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

# Dotted paths users bring from django-rest-passwordreset settings, mapped to ours so that a
# migrated settings file keeps working.
LEGACY_PATHS = {
    "django_rest_passwordreset.tokens.RandomStringTokenGenerator": (
        "resetkit.generators.RandomStringTokenGenerator"
    ),
    "django_rest_passwordreset.tokens.RandomNumberTokenGenerator": (
        "resetkit.generators.RandomNumberTokenGenerator"
    ),
    "django_rest_passwordreset.throttling.ResetPasswordRequestTokenThrottle": (
        "resetkit.throttling.ResetPasswordRequestTokenThrottle"
    ),
}


@lru_cache(maxsize=64)
def _import(path: str) -> Any:
    return import_string(LEGACY_PATHS.get(path, path))


def import_from_setting(value: Any, setting_name: str) -> Any:
    """Return ``value`` imported if it is a dotted path, else ``value`` itself."""
    if not isinstance(value, str):
        return value
    try:
        return _import(value)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{setting_name}: could not import {value!r} ({exc}).") from exc


def split_class_config(value: Any, setting_name: str) -> tuple[Any, dict[str, Any]]:
    """Read ``"dotted.Path"``, a class, or ``{"CLASS": ..., "OPTIONS": {...}}``.

    Returns the imported class (or ``None`` when a dict names no class) and its options.
    """
    if isinstance(value, Mapping):
        unknown = set(value) - {"CLASS", "OPTIONS"}
        if unknown:
            raise ImproperlyConfigured(
                f"{setting_name}: unknown key(s) {sorted(unknown)}; expected 'CLASS' and 'OPTIONS'."
            )
        options = value.get("OPTIONS") or {}
        if not isinstance(options, Mapping):
            raise ImproperlyConfigured(f"{setting_name}['OPTIONS'] must be a dict.")
        cls = value.get("CLASS")
        return (import_from_setting(cls, setting_name) if cls else None), dict(options)
    if value is None:
        return None, {}
    return import_from_setting(value, setting_name), {}


def clear_import_cache() -> None:
    _import.cache_clear()
