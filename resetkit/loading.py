"""The one resolver of every setting that names a class or a callable.

Dotted paths, ``{"CLASS": ..., "OPTIONS": {...}}`` dicts and lists of them become objects here,
as DRF's ``perform_import`` does for its ``IMPORT_STRINGS``. :data:`IMPORT_STRINGS` says, per
setting, what each value must be (a subclass of a base class, a class with a method, a
callable) and its default; view attributes that name the same thing (``token_store_class``...)
are resolved by the same rule with :func:`import_value`. Every error names the setting (or
attribute) that asked, as Django's ``get_hashers`` does, so a typo in settings reads as a
configuration error and not as a crash deep inside a request. Imports are cached and the cache
is cleared on ``setting_changed`` (:meth:`resetkit.conf.ResetkitSettings.reload`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ImportRule:
    """What one setting's values must be once imported."""

    #: Dotted path of the class each value must subclass (imported when first checked).
    base: str | None = None
    #: A method each value must have (duck-typed classes: generators).
    method: str | None = None
    #: Each value must be a class (any class).
    is_class: bool = False
    #: Each value must be callable.
    is_callable: bool = False
    #: What the error says after the value's repr when a value breaks the rule.
    problem: str = ""
    #: The value used when a ``{"CLASS": ...}`` dict names none (dotted path).
    default: str | None = None

    def accepts(self, obj: Any) -> bool:
        if self.base is not None:
            return isinstance(obj, type) and issubclass(obj, _import(self.base))
        if self.method is not None:
            return callable(getattr(obj, self.method, None))
        if self.is_class:
            return isinstance(obj, type)
        if self.is_callable:
            return callable(obj)
        return True


_THROTTLE = ImportRule(is_class=True, problem="is not a throttle class")

#: Every setting whose values name classes or callables, and the rule each value must keep.
IMPORT_STRINGS: dict[str, ImportRule] = {
    "TOKEN_STORE": ImportRule(
        base="resetkit.backends.base.BaseTokenStore",
        problem="is not a BaseTokenStore subclass",
        default="resetkit.backends.orm.ORMTokenStore",
    ),
    "TOKEN_GENERATOR": ImportRule(
        method="generate_token",
        problem="has no generate_token() method; subclass BaseTokenGenerator",
        default="resetkit.generators.hex.RandomStringTokenGenerator",
    ),
    "ISSUE_EXECUTOR": ImportRule(
        base="resetkit.executors.base.BaseIssueExecutor",
        problem="is not a BaseIssueExecutor subclass",
        default="resetkit.executors.threads.ThreadExecutor",
    ),
    "THROTTLE_CLASSES": _THROTTLE,
    "VALIDATE_THROTTLE_CLASSES": _THROTTLE,
    "CONFIRM_THROTTLE_CLASSES": _THROTTLE,
    "POST_RESET_REVOKERS": ImportRule(is_callable=True, problem="is not callable"),
}


def import_value(value: Any, where: str, key: str) -> Any:
    """Import ``value`` (a dotted path, or the object itself) and check it against the rule of
    setting ``key``; errors name ``where`` it was configured (a setting or a view attribute)."""
    obj = import_from_setting(value, where)
    rule = IMPORT_STRINGS[key]
    if not rule.accepts(obj):
        raise ImproperlyConfigured(f"{where}: {obj!r} {rule.problem}.")
    return obj


def import_values(values: Any, where: str, key: str) -> list[Any]:
    """:func:`import_value` for each entry of a list (one dotted path counts as a list)."""
    if isinstance(values, str) or not isinstance(values, list | tuple):
        values = [values]
    return [import_value(value, where, key) for value in values]


def import_class_config(value: Any, where: str, key: str) -> tuple[Any, dict[str, Any]]:
    """Read a ``"dotted.Path"``, a class or a ``{"CLASS", "OPTIONS"}`` dict for setting
    ``key``: the class (the rule's default when none is named) and its options."""
    cls, options = split_class_config(value, where)
    if cls is None:
        return _import(IMPORT_STRINGS[key].default), options
    return import_value(cls, where, key), options


def resolve_setting(key: str) -> tuple[Any, dict[str, Any], str]:
    """Setting ``key`` (a class with options), read now: ``(class, options, where)``."""
    from resetkit.conf import resetkit_settings

    where = resetkit_settings.source_of(key)
    cls, options = import_class_config(getattr(resetkit_settings, key), where, key)
    return cls, options, where


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
