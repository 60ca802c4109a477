"""What the admin and the staff API share: the active/expired split and revoking a user.

Kept free of DRF so the admin can use it without the API. The token table is reached through
its store (:func:`resetkit.backends.get_table_token_store`), so the expiry arithmetic is the
store's own; whether the configured store keeps its tokens there is its ``lists_tokens``
capability.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from resetkit.backends import get_table_token_store, get_token_store

ACTIVE = "active"
EXPIRED = "expired"
STATE_CHOICES = [(ACTIVE, _("active")), (EXPIRED, _("expired"))]


def expiry_cutoff() -> datetime:
    """Tokens created before this moment are expired, under the current expiry setting.

    The same arithmetic as the store's own expiry check and cleanup, so the list agrees with
    what a client would be told.
    """
    return get_table_token_store().expiry_cutoff()


def filter_by_state(queryset: QuerySet[Any], state: str) -> QuerySet[Any]:
    """Narrow ``queryset`` of token rows to the ``active`` or ``expired`` ones."""
    if state == ACTIVE:
        return queryset.filter(created_at__gte=expiry_cutoff())
    if state == EXPIRED:
        return queryset.filter(created_at__lt=expiry_cutoff())
    return queryset


def store_lists_tokens() -> bool:
    """Whether the configured store keeps its tokens in the table the staff tools list.

    A cache store keys entries by digest and has no index by user or date, so it cannot.
    """
    return get_token_store().lists_tokens


def revoke_all_tokens(user: Any) -> None:
    """Make every outstanding reset token of ``user`` unusable, wherever it is kept.

    The configured store revokes its own tokens; the token table is cleared too when the
    configured store keeps them elsewhere, since a view may keep its tokens there
    (``token_store_class``).
    """
    store = get_token_store()
    store.revoke_user_tokens(user)
    if not store.lists_tokens:
        get_table_token_store().revoke_user_tokens(user)
