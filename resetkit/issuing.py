"""Issue tokens from code (an admin action, a management command), as the endpoint does.

django-rest-passwordreset's ``views.generate_token_for_email`` and ``views.clear_expired_tokens``,
under the same names (re-exported by :mod:`resetkit.views`).
"""

from __future__ import annotations

from typing import Any

from resetkit.backends import ResetTokenLike, get_token_store
from resetkit.conf import resetkit_settings
from resetkit.executors.jobs import IssueJob, rebuild_view

__all__ = ["clear_expired_tokens", "generate_token_for_email"]


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
    if not view.run_issue_job(job):
        view.handle_no_eligible_account(job.data)
        return None
    tokens: list[ResetTokenLike] = view.issued_tokens
    return tokens[0] if tokens else None


def clear_expired_tokens() -> int:
    """Remove every expired token from the configured store, in batches (as the
    ``clearresetpasswodtokens`` command does); return how many were removed."""
    store = get_token_store()
    return sum(store.clear_expired_in_batches(resetkit_settings.CLEANUP_BATCH_SIZE))
