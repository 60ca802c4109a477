"""The contract every token generator keeps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured


class BaseTokenGenerator:
    """Make the secret a user receives to prove they own the account.

    Subclasses take their options as keyword arguments (from ``TOKEN_GENERATOR["OPTIONS"]``)
    and implement :meth:`generate_token`. Generators know nothing of DRF or storage: the store
    keeps only a keyed digest of what they return.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def generate_token(self, *args: Any, **kwargs: Any) -> str:
        raise NotImplementedError(
            "subclasses of BaseTokenGenerator must provide a generate_token() method"
        )


def reject_unknown_options(generator: BaseTokenGenerator, options: Mapping[str, Any]) -> None:
    """Raise for options a built-in generator does not know.

    A misspelt option (``"min_len"``) silently ignored would leave the token shorter than the
    project believes, so it is a configuration error instead.
    """
    if options:
        raise ImproperlyConfigured(
            f"{type(generator).__name__} got unknown option(s): "
            f"{', '.join(map(repr, sorted(options)))}."
        )
