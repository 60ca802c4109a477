"""The contract every token generator keeps."""

from __future__ import annotations

from typing import Any


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
