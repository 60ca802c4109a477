"""django-rest-passwordreset's ``tokens`` module, under resetkit's name.

``from resetkit.tokens import BaseTokenGenerator`` and
``"CLASS": "resetkit.tokens.RandomNumberTokenGenerator"`` work as the upstream README shows; the
generators live in :mod:`resetkit.generators`.
"""

from resetkit.generators import (
    BaseTokenGenerator,
    RandomNumberTokenGenerator,
    RandomStringTokenGenerator,
    get_token_generator,
)

__all__ = [
    "BaseTokenGenerator",
    "RandomNumberTokenGenerator",
    "RandomStringTokenGenerator",
    "get_token_generator",
]
