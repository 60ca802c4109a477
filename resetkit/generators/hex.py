"""Random lowercase-hex tokens, the default."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from resetkit.generators.base import BaseTokenGenerator, reject_unknown_options


class RandomStringTokenGenerator(BaseTokenGenerator):
    """A random lowercase-hex string of ``min_length`` to ``max_length`` characters.

    Each character carries 4 bits, so the defaults (32 to 64 characters) never give fewer
    than 128 bits. The length itself is drawn with ``secrets`` too.
    """

    def __init__(self, min_length: int = 32, max_length: int = 64, **options: Any) -> None:
        reject_unknown_options(self, options)
        for name, value in (("min_length", min_length), ("max_length", max_length)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ImproperlyConfigured(
                    f"RandomStringTokenGenerator: {name} must be an integer, not {value!r}."
                )
        if not 1 <= min_length <= max_length:
            raise ImproperlyConfigured(
                "RandomStringTokenGenerator: need 1 <= min_length <= max_length, "
                f"got min_length={min_length}, max_length={max_length}."
            )
        self.min_length = min_length
        self.max_length = max_length

    def generate_token(self, *args: Any, **kwargs: Any) -> str:
        length = self.min_length + secrets.randbelow(self.max_length - self.min_length + 1)
        return secrets.token_hex((length + 1) // 2)[:length]

    def entropy_bits(self) -> float:
        return 4.0 * self.min_length
