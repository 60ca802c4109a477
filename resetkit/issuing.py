"""Issue and clear tokens from code (an admin action, a management command), as the endpoints
do, and the upstream helpers that need a store.

django-rest-passwordreset's ``views.generate_token_for_email`` and ``views.clear_expired_tokens``
(re-exported by :mod:`resetkit.views`), and ``models.clear_expired`` and
``models.eligible_for_reset`` (still importable from :mod:`resetkit.models`). Also what the
token model delegates to, so that it knows nothing of stores: issuing a row saved without a
digest (:func:`save_new_token`) and the expiry of a row no store has seen
(:func:`token_expires_at`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from resetkit.backends import (
    ResetTokenLike,
    configured_lifetime,
    get_table_token_store,
    get_token_store,
)
from resetkit.conf import resetkit_settings
from resetkit.executors.jobs import IssueJob, rebuild_view

__all__ = [
    "clear_expired",
    "clear_expired_tokens",
    "eligible_for_reset",
    "generate_token_for_email",
    "save_new_token",
    "token_expires_at",
]


def generate_token_for_email(
    email: str,
    user_agent: str = "",
    ip_address: str = "",
    *,
    deliver: bool = True,
    view_class: type | None = None,
) -> ResetTokenLike | None:
    """Issue a token to the eligible account(s) matching ``email`` and return the first.

    The endpoint's own path, run now on this thread: the request view's lookup, eligibility,
    account budget, store and delivery (``reset_password_token_created``, unless
    ``deliver=False``). The returned token's ``.key`` is the raw token, as on the signal.

    Returns ``None`` when no eligible account matches or the account's budget is spent. With
    ``NO_INFORMATION_LEAKAGE`` off, no eligible account raises the endpoint's
    ``ValidationError``, as upstream did. ``view_class`` picks a request view whose hooks to
    use (default: :class:`resetkit.views.ResetPasswordRequestToken`).
    """
    if view_class is None:
        from resetkit.views import ResetPasswordRequestToken

        view_class = ResetPasswordRequestToken
    meta = {
        resetkit_settings.IP_ADDRESS_HEADER: ip_address or "",
        resetkit_settings.USER_AGENT_HEADER: user_agent or "",
    }
    job = IssueJob(
        view=view_class,
        lookup_value=email,
        data={"email": email},
        request={"method": "POST", "path": "/", "meta": meta},
    )
    view: Any = rebuild_view(job)
    if not deliver:
        view.deliver_token = lambda token: None
    view.issued_tokens = []
    if not view.run_issue_job(job):  # it called handle_no_eligible_account() already
        return None
    tokens: list[ResetTokenLike] = view.issued_tokens
    return tokens[0] if tokens else None


def clear_expired_tokens() -> int:
    """Remove every expired token from the configured store, in batches (as the
    ``clearresetpasswodtokens`` command does); return how many were removed."""
    store = get_token_store()
    return sum(store.clear_expired_in_batches(resetkit_settings.CLEANUP_BATCH_SIZE))


def clear_expired(expiry_time: datetime) -> int:
    """Remove the tokens created at or before ``expiry_time`` from the configured store, in
    batches; return how many were removed (upstream returned nothing)."""
    store = get_token_store()
    # The store's contract removes what is expired *now*; its ``now()`` seam is moved so that
    # "expired" means "created at or before expiry_time".
    shifted_now = expiry_time + store.get_expiry_delta() + timedelta(microseconds=1)
    setattr(store, "now", lambda: shifted_now)  # noqa: B010 (an instance seam, not a method)
    return sum(store.clear_expired_in_batches(resetkit_settings.CLEANUP_BATCH_SIZE))


def eligible_for_reset(user: Any) -> bool:
    """Whether ``user`` may reset: active, with a usable password unless
    ``REQUIRE_USABLE_PASSWORD`` is off. Upstream added this to the user model as
    ``user.eligible_for_reset()``; resetkit leaves the user model alone, so call
    ``eligible_for_reset(user)``. The endpoints ask their flow's ``is_user_eligible()``; this
    asks the flow of ``FLOW_CLASS``."""
    from resetkit.flows import get_flow_class

    return get_flow_class()().is_user_eligible(user)


def save_new_token(token: Any, using: str | None = None) -> Any:
    """Issue the unsaved token row ``token`` through the token table's store: its ``key``, or
    one from the configured generator, stored as its digest (``objects.create(user=u)``)."""
    from resetkit.generators import get_token_generator

    key = token.key or get_token_generator().generate_token()
    return get_table_token_store().insert_token(token, key, using=using)


def token_expires_at(created_at: datetime) -> datetime:
    """When a token created at ``created_at`` expires under the current ``TOKEN_EXPIRY_HOURS``
    (a row read from the table rather than through a store: the admin's, the staff API's)."""
    return created_at + configured_lifetime()
