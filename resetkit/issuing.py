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

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest

from resetkit.backends import (
    ResetTokenLike,
    configured_lifetime,
    get_table_token_store,
    get_token_store,
)
from resetkit.conf import resetkit_settings
from resetkit.executors.jobs import IssueJob, rebuild_view, snapshot_request

__all__ = [
    "BUDGET_SPENT",
    "NOT_ELIGIBLE",
    "SENT",
    "UserIssueOutcome",
    "clear_expired",
    "clear_expired_tokens",
    "eligible_for_reset",
    "generate_token_for_email",
    "issue_token_for_user",
    "save_new_token",
    "token_expires_at",
]

#: Why :func:`issue_token_for_user` did or did not issue a token.
SENT = "sent"
BUDGET_SPENT = "budget_spent"
NOT_ELIGIBLE = "not_eligible"


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
    job = _issue_job(view_class, email, None, ip_address, user_agent)
    view: Any = rebuild_view(job)
    if not deliver:
        view.deliver_token = lambda token: None
    view.issued_tokens = []
    if not view.run_issue_job(job):  # it called handle_no_eligible_account() already
        return None
    tokens: list[ResetTokenLike] = view.issued_tokens
    return tokens[0] if tokens else None


def _issue_job(
    view_class: type | None,
    lookup_value: str,
    request: HttpRequest | None,
    ip_address: str = "",
    user_agent: str = "",
) -> IssueJob:
    """The job a request to ``view_class`` (default: the stock request view) would carry: a
    copy of ``request``'s safe parts, or a bare POST with the given address and user agent."""
    if view_class is None:
        from resetkit.views import ResetPasswordRequestToken

        view_class = ResetPasswordRequestToken
    if request is not None:
        snapshot = snapshot_request(request, view_class().get_issue_job_meta_keys())
    else:
        meta = {
            resetkit_settings.IP_ADDRESS_HEADER: ip_address or "",
            resetkit_settings.USER_AGENT_HEADER: user_agent or "",
        }
        snapshot = {"method": "POST", "path": "/", "meta": meta}
    return IssueJob(
        view=view_class,
        lookup_value=lookup_value,
        data={"email": lookup_value},
        request=snapshot,
    )


@dataclass(frozen=True)
class UserIssueOutcome:
    """What :func:`issue_token_for_user` did.

    ``token`` is the issued token (its ``.key`` is the raw token) for code that needs it, such
    as a test; it is ``None`` when nothing was issued. Never show it to staff.
    """

    #: ``SENT``, ``BUDGET_SPENT`` or ``NOT_ELIGIBLE``.
    reason: str
    token: ResetTokenLike | None = None

    @property
    def sent(self) -> bool:
        """Whether a token was issued and handed to delivery."""
        return self.reason == SENT


def issue_token_for_user(
    user: Any,
    *,
    request: HttpRequest | None = None,
    ip_address: str = "",
    user_agent: str = "",
    deliver: bool = True,
    view_class: type | None = None,
) -> UserIssueOutcome:
    """Issue a token to ``user`` (and deliver it) as the request endpoint would had the user
    asked, now, on this thread: what staff use to send a reset link.

    The request view (``view_class``, default :class:`resetkit.views.ResetPasswordRequestToken`)
    is rebuilt and its own ``perform_issue()`` runs, so every hook a project overrode applies:
    the flow's ``get_user_queryset()`` and ``is_user_eligible()`` (the user must be in the
    first and pass the second), the bounded cleanup, the account budget
    (``consume_account_budget()``, ``ACCOUNT_TOKEN_RATE``), the store and generator
    (``issue_token()``) and delivery (``deliver_token()``: ``reset_password_token_created``,
    unless ``deliver=False``). Only ``log_issue_outcome()`` is left out: the caller logs what
    it did (the staff tools write a ``staff.*`` record).

    ``request`` is the request that asked (a staff member's): its safe parts are copied as the
    endpoint copies a client's, so the token records that address and user agent and receivers
    can build absolute URLs; without it, ``ip_address`` and ``user_agent`` are recorded.
    """
    lookup_value = str(getattr(user, user.get_email_field_name(), "") or "")
    job = _issue_job(view_class, lookup_value, request, ip_address, user_agent)
    view: Any = rebuild_view(job)
    view.issue_job = job
    if not deliver:
        view.deliver_token = lambda token: None
    flow = view.get_flow()
    found = flow.get_user_queryset().filter(pk=user.pk).first()
    if found is None or not flow.is_user_eligible(found):
        return UserIssueOutcome(NOT_ELIGIBLE)
    # The view's own issuing step, for this one account instead of those matching an address.
    flow.get_users_for_reset = lambda value: [found]
    outcome: dict[str, list[Any]] = {"issued": []}
    view.log_issue_outcome = lambda value, issued, budget_spent: outcome.update(issued=issued)
    view.issued_tokens = []
    view.perform_issue(lookup_value)
    tokens: list[ResetTokenLike] = view.issued_tokens
    if not outcome["issued"] or not tokens:
        return UserIssueOutcome(BUDGET_SPENT)
    return UserIssueOutcome(SENT, tokens[0])


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
    """When a token created at ``created_at`` expires under the configured lifetime
    (``TOKEN_LIFETIME``, else ``TOKEN_EXPIRY_HOURS``), for a row read from the table rather
    than through a store: the admin's, the staff API's. A row issued by a flow or view with a
    ``token_lifetime`` of its own is shown with the configured one."""
    return created_at + configured_lifetime()
