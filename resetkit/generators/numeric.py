"""Random decimal tokens, for flows that need a code a person can type."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from resetkit.generators.base import BaseTokenGenerator, bits_of_range, reject_unknown_options


class RandomNumberTokenGenerator(BaseTokenGenerator):
    """A uniformly random integer in ``[min_number, max_number]``, as a string.

    The defaults span about 2**129 values, so the default is as strong as the hex generator.
    A short range (six digits, say) is easy to guess: pair it with throttles on the validate
    and confirm endpoints.
    """

    def __init__(
        self, min_number: int = 10**38, max_number: int = 10**39 - 1, **options: Any
    ) -> None:
        reject_unknown_options(self, options)
        for name, value in (("min_number", min_number), ("max_number", max_number)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ImproperlyConfigured(
                    f"RandomNumberTokenGenerator: {name} must be an integer, not {value!r}."
                )
        if not 0 <= min_number <= max_number:
            raise ImproperlyConfigured(
                "RandomNumberTokenGenerator: need 0 <= min_number <= max_number, "
                f"got min_number={min_number}, max_number={max_number}."
            )
        self.min_number = min_number
        self.max_number = max_number

    def generate_token(self, *args: Any, **kwargs: Any) -> str:
        return str(self.min_number + secrets.randbelow(self.max_number - self.min_number + 1))

    def entropy_bits(self) -> float:
        return bits_of_range(self.max_number - self.min_number + 1)
