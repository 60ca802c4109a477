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
    "get_token_store",
    "get_token_store_class",
]


def _configured() -> tuple[type[BaseTokenStore], dict[str, Any]]:
    from resetkit.conf import resetkit_settings
    from resetkit.loading import split_class_config

    setting = resetkit_settings.source_of("TOKEN_STORE")
    cls, options = split_class_config(resetkit_settings.TOKEN_STORE, setting)
    if cls is None:
        from resetkit.backends.orm import ORMTokenStore

        cls = ORMTokenStore
    if not (isinstance(cls, type) and issubclass(cls, BaseTokenStore)):
        raise ImproperlyConfigured(f"{setting}: {cls!r} is not a BaseTokenStore subclass.")
    return cls, options


def get_token_store_class() -> type[BaseTokenStore]:
    """The store class named by ``RESETKIT["TOKEN_STORE"]``."""
    return _configured()[0]


def get_token_store(**overrides: Any) -> BaseTokenStore:
    """Build the configured store; ``overrides`` beat the configured ``OPTIONS``."""
    cls, options = _configured()
    try:
        return cls(**{**options, **overrides})
    except TypeError as exc:
        from resetkit.conf import resetkit_settings

        raise ImproperlyConfigured(
            f"{resetkit_settings.source_of('TOKEN_STORE')}: cannot build {cls.__name__} ({exc})."
        ) from exc
