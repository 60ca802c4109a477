"""The generator of the code flow: ``length`` random digits, leading zeros allowed."""

from __future__ import annotations

import math
import secrets
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from resetkit.generators.base import BaseTokenGenerator, reject_unknown_options

__all__ = ["NumericCodeGenerator"]


class NumericCodeGenerator(BaseTokenGenerator):
    """A uniformly random code of exactly ``length`` digits (``00000042`` is one): every one of
    the ``10**length`` codes is equally likely, so it carries ``length * log2(10)`` bits."""

    def __init__(self, length: int = 8, **options: Any) -> None:
        reject_unknown_options(self, options)
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 64:
            raise ImproperlyConfigured(
                f"NumericCodeGenerator: length must be an integer from 1 to 64, not {length!r}."
            )
        self.length = length

    def generate_token(self, *args: Any, **kwargs: Any) -> str:
        return str(secrets.randbelow(10**self.length)).zfill(self.length)

    def entropy_bits(self) -> float:
        return self.length * math.log2(10)
