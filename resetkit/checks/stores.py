"""Checks of the token store and generator: loadable, and a cache store on a cache that keeps
tokens (not a dummy cache, and shared by every worker)."""

from __future__ import annotations

from django.core import checks


def check_generator() -> list[checks.CheckMessage]:
    from resetkit.generators import get_token_generator

    get_token_generator()
    return []


def check_store() -> list[checks.CheckMessage]:
    """What the configured store says of its own configuration (:meth:`BaseTokenStore.check`:
    the cache store reports a cache that loses tokens, E004/E005/W002)."""
    from resetkit.backends import DEFAULT_LIFETIME, get_token_store

    # Any lifetime will do: TOKEN_EXPIRY_HOURS has its own check (E006).
    messages: list[checks.CheckMessage] = get_token_store(lifetime=DEFAULT_LIFETIME).check()
    return messages
