"""What the admin and the staff API share: the active/expired split, revoking a user's tokens
and sending a user a reset link.

Kept free of DRF so the admin can use it without the API. The token table is reached through
its store (:func:`resetkit.backends.get_table_token_store`), so the expiry arithmetic is the
store's own; whether the configured store keeps its tokens there is its ``lists_tokens``
capability.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from resetkit.backends import get_table_token_store, get_token_store
from resetkit.events import STAFF_LINK_SENT, loggable_pk

if TYPE_CHECKING:
    from resetkit.issuing import UserIssueOutcome

logger = logging.getLogger("resetkit")

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


def token_permission(action: str) -> str:
    """The token model's ``action`` permission: ``resetkit.view_resetpasswordtoken``..."""
    from django.contrib.auth import get_permission_codename

    from resetkit.models import ResetPasswordToken

    opts = ResetPasswordToken._meta
    return f"{opts.app_label}.{get_permission_codename(action, opts)}"


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


#: What staff are told when no link was sent, by :attr:`UserIssueOutcome.reason
#: <resetkit.issuing.UserIssueOutcome.reason>`.
NOT_SENT_REASONS = {
    "budget_spent": _(
        "No link was sent: this account has received as many reset links as its budget allows "
        "(ACCOUNT_TOKEN_RATE). Its earlier links still work; try again later."
    ),
    "not_eligible": _(
        "No link was sent: this account cannot reset its password now (it is inactive, has no "
        "usable password, or is not among the accounts the reset flow serves)."
    ),
}


def send_reset_link(
    user: Any,
    staff_user: Any,
    *,
    request: HttpRequest | None = None,
    via: str = "api",
    view_class: type | None = None,
) -> UserIssueOutcome:
    """Issue ``user`` a token and deliver it, on ``staff_user``'s behalf, as the request endpoint
    would (:func:`resetkit.issuing.issue_token_for_user`: eligibility, the account budget, the
    store, the ``reset_password_token_created`` receivers), and log a ``staff.link_sent`` record.

    The outcome holds the token for code that needs it; staff are never shown it.
    """
    from resetkit.issuing import issue_token_for_user

    outcome = issue_token_for_user(user, request=request, view_class=view_class)
    log_staff_link(staff_user, user, outcome, via=via)
    return outcome


def log_staff_link(staff_user: Any, user: Any, outcome: UserIssueOutcome, *, via: str) -> None:
    """Log one ``staff.link_sent`` record: who sent a link to whom, and whether it went."""
    extra = {
        "reset_event": STAFF_LINK_SENT,
        "reset_via": via,
        "reset_staff_pk": loggable_pk(getattr(staff_user, "pk", None)),
        "reset_user_pk": loggable_pk(user.pk),
        "reset_sent": outcome.sent,
        "reset_reason": outcome.reason,
    }
    if outcome.sent:
        logger.info(
            "resetkit: staff user pk %s sent a reset link to user pk %s (%s).",
            extra["reset_staff_pk"],
            extra["reset_user_pk"],
            via,
            extra=extra,
        )
    else:
        logger.info(
            "resetkit: staff user pk %s asked for a reset link to user pk %s (%s); none was "
            "sent: %s.",
            extra["reset_staff_pk"],
            extra["reset_user_pk"],
            via,
            outcome.reason,
            extra=extra,
        )
