"""Token generators and the factory that builds the configured one.

Free of DRF imports: usable from a plain Django view, a management command or a task.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from resetkit.generators.base import BaseTokenGenerator
from resetkit.generators.hex import RandomStringTokenGenerator
from resetkit.generators.numeric import RandomNumberTokenGenerator

__all__ = [
    "BaseTokenGenerator",
    "RandomNumberTokenGenerator",
    "RandomStringTokenGenerator",
    "get_token_generator",
]


def get_token_generator() -> BaseTokenGenerator:
    """Build the generator named by ``RESETKIT["TOKEN_GENERATOR"]`` (or its upstream alias)."""
    from resetkit.conf import resetkit_settings
    from resetkit.loading import split_class_config

    setting = resetkit_settings.source_of("TOKEN_GENERATOR")
    cls, options = split_class_config(resetkit_settings.TOKEN_GENERATOR, setting)
    if cls is None:
        cls = RandomStringTokenGenerator
    if not callable(getattr(cls, "generate_token", None)):
        raise ImproperlyConfigured(
            f"{setting}: {cls!r} has no generate_token() method; subclass BaseTokenGenerator."
        )
    try:
        generator: BaseTokenGenerator = cls(**options)
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(f"{setting}: {exc}") from exc
    except TypeError as exc:
        # A custom generator whose __init__ does not take the configured OPTIONS.
        raise ImproperlyConfigured(
            f"{setting}: {getattr(cls, '__name__', cls)!s} does not accept OPTIONS {options!r} "
            f"({exc})."
        ) from exc
    return generator
