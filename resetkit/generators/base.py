"""The contract every token generator keeps."""

from __future__ import annotations

import math
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

    def entropy_bits(self) -> float | None:
        """Bits of randomness in the weakest token this generator makes; ``None`` if unknown.

        Under :data:`SHORT_CODE_BITS` a token can be guessed by trying, so the flow binds it to
        its account and counts wrong tries per account. A custom generator that makes short
        codes should say so here; one that does not is taken to be strong.
        """
        return None


#: Tokens with fewer bits than this are short codes: guessable given enough tries.
SHORT_CODE_BITS = 64


def makes_short_codes(generator: BaseTokenGenerator) -> bool:
    """Whether ``generator``'s tokens are short enough to be guessed (under 64 bits)."""
    entropy_bits = getattr(generator, "entropy_bits", None)  # duck-typed generators have none
    bits = entropy_bits() if callable(entropy_bits) else None
    return bits is not None and bits < SHORT_CODE_BITS


def bits_of_range(count: int) -> float:
    """Bits of a uniform choice among ``count`` values."""
    return math.log2(count) if count > 0 else 0.0


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
