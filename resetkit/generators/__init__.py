"""Token generators and the factory that builds the configured one.

Free of DRF imports: usable from a plain Django view, a management command or a task.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from resetkit.generators.base import SHORT_CODE_BITS, BaseTokenGenerator, makes_short_codes
from resetkit.generators.hex import RandomStringTokenGenerator
from resetkit.generators.numeric import RandomNumberTokenGenerator

__all__ = [
    "SHORT_CODE_BITS",
    "BaseTokenGenerator",
    "RandomNumberTokenGenerator",
    "RandomStringTokenGenerator",
    "build_token_generator",
    "get_token_generator",
    "makes_short_codes",
]


def get_token_generator() -> BaseTokenGenerator:
    """Build the generator named by ``RESETKIT["TOKEN_GENERATOR"]`` (or its upstream alias)."""
    from resetkit.loading import resolve_setting

    cls, options, setting = resolve_setting("TOKEN_GENERATOR")
    return build_token_generator(cls, options, setting)


def build_token_generator(cls: Any, options: dict[str, Any], where: str) -> BaseTokenGenerator:
    """Instantiate generator ``cls`` with ``options``; errors name ``where`` it was configured."""
    if not callable(getattr(cls, "generate_token", None)):
        raise ImproperlyConfigured(
            f"{where}: {cls!r} has no generate_token() method; subclass BaseTokenGenerator."
        )
    try:
        generator: BaseTokenGenerator = cls(**options)
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(f"{where}: {exc}") from exc
    except (TypeError, ValueError) as exc:
        # A custom generator whose __init__ does not take the configured options.
        raise ImproperlyConfigured(
            f"{where}: {getattr(cls, '__name__', cls)!s} does not accept options {options!r} "
            f"({exc})."
        ) from exc
    return generator
