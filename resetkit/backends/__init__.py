"""Token stores: where outstanding reset tokens live between request and confirm.

``RESETKIT["TOKEN_STORE"]`` picks one globally; a view picks its own with ``token_store_class``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from resetkit.backends.base import BaseTokenStore, DuplicateTokenError, ResetToken, ResetTokenLike

__all__ = [
    "BaseTokenStore",
    "DuplicateTokenError",
    "ResetToken",
    "ResetTokenLike",
    "build_token_store",
    "check_token_store_class",
    "get_token_store",
    "get_token_store_class",
]


def _configured() -> tuple[type[BaseTokenStore], dict[str, Any], str]:
    from resetkit.conf import resetkit_settings
    from resetkit.loading import split_class_config

    setting = resetkit_settings.source_of("TOKEN_STORE")
    cls, options = split_class_config(resetkit_settings.TOKEN_STORE, setting)
    if cls is None:
        from resetkit.backends.orm import ORMTokenStore

        cls = ORMTokenStore
    return check_token_store_class(cls, setting), options, setting


def check_token_store_class(cls: Any, where: str) -> type[BaseTokenStore]:
    """Return ``cls`` if it is a store class, else raise naming ``where`` it was configured."""
    if not (isinstance(cls, type) and issubclass(cls, BaseTokenStore)):
        raise ImproperlyConfigured(f"{where}: {cls!r} is not a BaseTokenStore subclass.")
    return cls


def build_token_store(
    cls: type[BaseTokenStore], options: dict[str, Any], where: str
) -> BaseTokenStore:
    """Instantiate store ``cls`` with ``options``; errors name ``where`` it was configured."""
    try:
        return cls(**options)
    except TypeError as exc:
        raise ImproperlyConfigured(f"{where}: cannot build {cls.__name__} ({exc}).") from exc


def get_token_store_class() -> type[BaseTokenStore]:
    """The store class named by ``RESETKIT["TOKEN_STORE"]``."""
    return _configured()[0]


def get_token_store(**overrides: Any) -> BaseTokenStore:
    """Build the configured store; ``overrides`` beat the configured ``OPTIONS``."""
    cls, options, setting = _configured()
    return build_token_store(cls, {**options, **overrides}, setting)
