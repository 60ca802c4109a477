"""How a submitted account identifier is compared with what an account holds."""

from __future__ import annotations

import unicodedata
from typing import Any

__all__ = ["identifiers_match", "lookup_values", "normalise_identifier"]


def normalise_identifier(value: str) -> str:
    """An identifier as resetkit compares it: NFKC, then casefold (Unicode TR 36)."""
    return unicodedata.normalize("NFKC", value).casefold()


def identifiers_match(submitted: str, stored: str) -> bool:
    """Compare two identifiers as Unicode TR 36 recommends: NFKC, then casefold.

    The database's case-insensitive match is looser than this in places (and differs between
    databases); this check keeps a look-alike address from receiving another account's token.
    """
    return normalise_identifier(submitted) == normalise_identifier(stored)


def lookup_values(obj: Any, field: str) -> list[str]:
    """Read ``field`` off ``obj``, following ``__`` into related objects (``profile__phone``).

    A to-many relation (``groups__name``) gives one value per related object.
    """
    name, _, rest = field.partition("__")
    value = getattr(obj, name, None)
    if value is None:
        return []
    is_related_manager = hasattr(value, "all") and callable(value.all)
    related = list(value.all()) if is_related_manager else [value]
    if not rest:
        return [str(item) for item in related]
    return [found for item in related for found in lookup_values(item, rest)]
