"""Credentials to end after a successful reset, besides reset tokens.

``RESETKIT["POST_RESET_REVOKERS"]`` lists callables (or dotted paths) taking the user. Ready-made:

* ``resetkit.revokers.authtoken.revoke_auth_tokens``: DRF's ``authtoken`` tokens;
* ``resetkit.revokers.simplejwt.blacklist_refresh_tokens``: djangorestframework-simplejwt's
  outstanding refresh tokens (needs its ``token_blacklist`` app).

Each module imports its package, so it can only be named where that package is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["get_post_reset_revokers"]


def get_post_reset_revokers() -> list[Callable[[Any], Any]]:
    """The configured revokers, imported now."""
    from resetkit.conf import resetkit_settings
    from resetkit.loading import import_values

    setting = resetkit_settings.source_of("POST_RESET_REVOKERS")
    configured = resetkit_settings.POST_RESET_REVOKERS or []
    return import_values(configured, setting, "POST_RESET_REVOKERS")
