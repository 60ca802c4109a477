"""Token stores: where outstanding reset tokens live between request and confirm.

``RESETKIT["TOKEN_STORE"]`` picks one globally; a view picks its own with ``token_store_class``.
The factory below is where a store gets its policy: it reads ``TOKEN_LIFETIME`` (else
``TOKEN_EXPIRY_HOURS``) when the store is built (once per request) and passes it as the store's
``lifetime``; stores read no settings themselves. A flow passes its own ``token_lifetime``.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ImproperlyConfigured

from resetkit.backends.base import (
    DEFAULT_LIFETIME,
    BaseTokenStore,
    DuplicateTokenError,
    ResetToken,
    ResetTokenLike,
    is_expiry_hours,
)

if TYPE_CHECKING:
    from resetkit.backends.orm import ORMTokenStore

__all__ = [
    "DEFAULT_LIFETIME",
    "BaseTokenStore",
    "DuplicateTokenError",
    "ResetToken",
    "ResetTokenLike",
    "build_token_store",
    "check_token_store_class",
    "configured_lifetime",
    "get_table_token_store",
    "get_token_store",
    "get_token_store_class",
    "is_lifetime",
    "parse_lifetime",
]


def is_lifetime(value: Any) -> bool:
    """Whether ``value`` is a usable token lifetime: a positive ``timedelta``, or a positive,
    finite number of seconds."""
    if isinstance(value, timedelta):
        return value > timedelta(0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value > 0


def parse_lifetime(value: Any, where: str) -> timedelta:
    """Return the lifetime ``value`` (a ``timedelta`` or a number of seconds) as a
    ``timedelta``, or raise ``ImproperlyConfigured`` naming ``where`` it was configured."""
    if not is_lifetime(value):
        raise ImproperlyConfigured(
            f"{where} must be a positive timedelta or a positive number of seconds, not {value!r}."
        )
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def configured_lifetime() -> timedelta:
    """The configured token lifetime, read now: ``TOKEN_LIFETIME`` (a ``timedelta`` or seconds)
    when set, else ``TOKEN_EXPIRY_HOURS`` (or upstream's flat name) as a ``timedelta``.

    Zero or less hours (accepted upstream, whose tests use ``-1``) makes tokens that are born
    expired. A bad value raises ``ImproperlyConfigured`` (the checks report it as
    ``resetkit.E006`` / ``resetkit.E017``).
    """
    from resetkit.conf import resetkit_settings

    lifetime = resetkit_settings.TOKEN_LIFETIME
    if lifetime is not None:
        return parse_lifetime(lifetime, resetkit_settings.source_of("TOKEN_LIFETIME"))
    hours = resetkit_settings.TOKEN_EXPIRY_HOURS
    if not is_expiry_hours(hours):
        raise ImproperlyConfigured(
            f"{resetkit_settings.source_of('TOKEN_EXPIRY_HOURS')} must be a number of hours, "
            f"not {hours!r}."
        )
    return timedelta(hours=hours)


def check_token_store_class(cls: Any, where: str) -> type[BaseTokenStore]:
    """Return ``cls`` (a class or dotted path) if it is a store class, else raise naming
    ``where`` it was configured."""
    from resetkit.loading import import_value

    store_class: type[BaseTokenStore] = import_value(cls, where, "TOKEN_STORE")
    return store_class


def build_token_store(
    cls: type[BaseTokenStore], options: dict[str, Any], where: str
) -> BaseTokenStore:
    """Instantiate store ``cls`` with ``options`` and the configured policy (``lifetime`` from
    :func:`configured_lifetime`, unless ``options`` has one); errors name ``where`` it was
    configured."""
    if "lifetime" not in options:
        options = {**options, "lifetime": configured_lifetime()}
    try:
        return cls(**options)
    except TypeError as exc:
        raise ImproperlyConfigured(f"{where}: cannot build {cls.__name__} ({exc}).") from exc


def get_token_store_class() -> type[BaseTokenStore]:
    """The store class named by ``RESETKIT["TOKEN_STORE"]``."""
    from resetkit.loading import resolve_setting

    cls: type[BaseTokenStore] = resolve_setting("TOKEN_STORE")[0]
    return cls


def get_token_store(**overrides: Any) -> BaseTokenStore:
    """Build the configured store; ``overrides`` beat the configured ``OPTIONS``."""
    from resetkit.loading import resolve_setting

    cls, options, where = resolve_setting("TOKEN_STORE")
    return build_token_store(cls, {**options, **overrides}, where)


def get_table_token_store(**overrides: Any) -> ORMTokenStore:
    """Build the store of the token table (``resetkit.models.ResetPasswordToken``) with the
    configured policy, whichever store is configured: the admin, the staff tools and the
    cleanup command reach the table through it, since a view may keep its tokens there."""
    from resetkit.backends.orm import ORMTokenStore

    return cast("ORMTokenStore", build_token_store(ORMTokenStore, overrides, "the token table"))
