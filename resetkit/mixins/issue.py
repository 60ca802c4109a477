"""Step one: a client names an account; every eligible matching account gets a token."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from django.conf import settings
from django.db import router
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from resetkit.backends import DuplicateTokenError, ResetTokenLike, configured_lifetime
from resetkit.conf import resetkit_settings
from resetkit.events import log_issue_outcome, log_throttled
from resetkit.exceptions import StoreUnavailable, is_schema_error, log_schema_error
from resetkit.executors import (
    BaseIssueExecutor,
    IssueJob,
    build_issue_executor,
    get_issue_executor,
    submit_issue_job,
)
from resetkit.executors.jobs import JOB_META_KEYS, meta_key, snapshot_request
from resetkit.loading import import_from_setting
from resetkit.locking import lock_user_row, reset_transaction
from resetkit.mixins.base import ResetStepMixin
from resetkit.signals import reset_password_token_created, reset_requested_for_unknown_address
from resetkit.throttling import AccountTokenBudget, client_ident

logger = logging.getLogger("resetkit")

NO_ACCOUNT_ERROR = _(
    "We couldn't find an account associated with that email. Please try a different e-mail address."
)


class TokenIssueMixin(ResetStepMixin):
    """Issue reset tokens. Expects a :class:`~resetkit.generics.ResetAPIView` whose serializer
    has an ``email`` field.

    Skeleton: validate input → capture an :class:`~resetkit.executors.IssueJob` → hand it to
    the executor → answer. The executor (background threads by default, task workers with
    ``TasksExecutor``) rebuilds this view and runs :meth:`run_issue_job`: clear a batch of
    expired tokens → the flow finds the eligible accounts → issue a token for each within its
    budget → deliver each; none at all → :meth:`handle_no_eligible_account`. Every step is a
    hook below; overrides run wherever the executor runs them.
    """

    reset_step = "request"

    #: At most this many expired tokens are removed per request, so its cost stays flat.
    expired_cleanup_batch_size: int = 25
    #: Executor class (or dotted path); ``None`` uses ``RESETKIT["ISSUE_EXECUTOR"]``.
    issue_executor_class: type[BaseIssueExecutor] | str | None = None
    #: Constructor options for ``issue_executor_class``.
    issue_executor_kwargs: dict[str, Any] | None = None
    #: More request headers the worker's hooks read (``("X-Client",)``); see
    #: :meth:`get_issue_job_meta_keys`.
    issue_job_headers: Sequence[str] = ()

    def issue_tokens(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)  # type: ignore[attr-defined]
        serializer.is_valid(raise_exception=True)
        job = self.get_issue_job(serializer.validated_data)
        if not resetkit_settings.NO_INFORMATION_LEAKAGE:
            # The legacy 400 needs the lookup's result, so this mode works inline.
            self.run_issue_job(job)
        else:
            self.submit_issue_job(job)
        return self.get_issue_response()

    def submit_issue_job(self, job: IssueJob) -> None:
        """Hand ``job`` to the executor. Misconfiguration is raised first, while there is a
        request to fail (and it fails alike for every account)."""
        flow = self.get_flow()
        flow.get_token_store()
        flow.get_token_generator()
        submit_issue_job(self.get_issue_executor(), job)

    def run_issue_job(self, job: IssueJob) -> bool:
        """Do the account-dependent work of one request; return whether an eligible account
        matched, after :meth:`handle_no_eligible_account` if none did. Runs in the executor, on
        a view rebuilt from ``job`` (inline, before the answer, in the legacy mode)."""
        self.issue_job = job
        try:
            matched = self.perform_issue(job.lookup_value)
            if not matched:
                reset_requested_for_unknown_address.send(
                    sender=type(self), instance=self, email=job.lookup_value
                )
                self.handle_no_eligible_account(job.data)
            return matched
        except Exception as exc:
            if is_schema_error(exc):  # say "migrate" here too: the answer was 200 long ago
                log_schema_error(type(self).__name__, exc)
            raise

    def perform_issue(self, value: str) -> bool:
        """Issue and deliver a token to each eligible account matching ``value`` that has budget
        left; return whether any eligible account matched."""
        self.clear_expired_tokens()
        users = self.get_flow().get_users_for_reset(value)
        budgeted: list[Any] = []
        spent: list[Any] = []
        for user in users:
            (budgeted if self.consume_account_budget(user) else spent).append(user)
        tokens: list[ResetTokenLike] = []
        try:
            for user in budgeted:
                tokens.append(self.issue_token(user))
        except Exception:
            # No budget spent without a token: a user who asks again once the store is back
            # must not find the tries of the outage counted.
            for user in budgeted[len(tokens) :]:
                self.refund_account_budget(user)
            raise
        # Kept for callers that issue programmatically (resetkit.views.generate_token_for_email).
        self.issued_tokens = tokens
        for token in tokens:
            self.deliver_token(token)
        self.log_issue_outcome(value, budgeted, spent)
        return bool(users)

    def log_issue_outcome(self, value: str, issued: list[Any], budget_spent: list[Any]) -> None:
        """Log this request's outcome: one record on the ``resetkit`` logger (see
        :mod:`resetkit.events`). Override to log elsewhere or add fields."""
        log_issue_outcome(self, value, issued, budget_spent)

    def throttled(self, request: Request, wait: float) -> NoReturn:
        """Log the refused request (who, and for how long), then answer 429 as DRF does."""
        log_throttled(self, client_ident(request), wait)
        super().throttled(request, wait)  # type: ignore[misc]
        raise exceptions.Throttled(wait)  # DRF's throttled() raises this; a base might return

    # -- the job and its executor ------------------------------------------------------------

    def get_issue_job(self, validated_data: Mapping[str, Any]) -> IssueJob:
        """Capture what the work needs from the live request. Runs before any lookup, so it must
        not depend on the account. Override to carry more (keep it JSON for task workers)."""
        request = self.request  # type: ignore[attr-defined]
        return IssueJob(
            view=type(self),
            lookup_value=self.get_lookup_value(validated_data),
            data=dict(validated_data),
            initkwargs=dict(getattr(self, "view_initkwargs", {}) or {}),
            args=list(getattr(self, "args", ()) or ()),
            kwargs=dict(getattr(self, "kwargs", {}) or {}),
            action=getattr(self, "action", None),
            language=translation.get_language(),
            request=snapshot_request(
                request._request if isinstance(request, Request) else request,
                self.get_issue_job_meta_keys(),
            ),
        )

    def get_issue_job_meta_keys(self) -> list[str]:
        """Return the ``request.META`` keys a job copies: the defaults (host, scheme and proxy
        headers, user agent, language, client address), the configured address and user-agent
        keys, and ``issue_job_headers``. Credentials are never copied."""
        keys = [*JOB_META_KEYS, resetkit_settings.IP_ADDRESS_HEADER]
        keys.append(resetkit_settings.USER_AGENT_HEADER)
        proxy_ssl = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
        if proxy_ssl:
            keys.append(proxy_ssl[0])
        keys.extend(meta_key(header) for header in self.issue_job_headers)
        return list(dict.fromkeys(keys))

    def get_issue_executor_class(self) -> type[BaseIssueExecutor] | None:
        """Return this view's executor class, or ``None`` for the configured one."""
        if self.issue_executor_class is None:
            return None
        where = f"{type(self).__name__}.issue_executor_class"
        cls: type[BaseIssueExecutor] = import_from_setting(self.issue_executor_class, where)
        return cls

    def get_issue_executor(self) -> BaseIssueExecutor:
        """Return the executor that runs this view's jobs (shared by the process)."""
        cls = self.get_issue_executor_class()
        if cls is None:
            return get_issue_executor()
        options = dict(self.issue_executor_kwargs or {})
        return build_issue_executor(cls, options, f"{type(self).__name__}.issue_executor_class")

    def clear_expired_tokens(self) -> None:
        """Remove a small batch of the oldest expired tokens (never the whole backlog).

        A table serves every flow that shares it, and its rows do not say which flow issued
        them: the batch is cleared by the configured lifetime when this flow's is shorter (a
        15-minute code flow must not delete day-long links), never by a shorter one.
        """
        store = self.get_flow().get_token_store()
        configured = configured_lifetime()
        if store.get_expiry_delta() < configured:
            store = store.with_lifetime(configured)
        store.clear_expired(limit=self.expired_cleanup_batch_size)

    def get_lookup_value(self, validated_data: Mapping[str, Any]) -> str:
        """Return what the client submitted to find the account by."""
        return str(validated_data["email"])

    def consume_account_budget(self, user: Any) -> bool:
        """Count a new token against ``user``'s budget (``ACCOUNT_TOKEN_RATE``); ``False`` when
        spent, and no token is issued. The answer does not change either way."""
        return AccountTokenBudget(resetkit_settings.ACCOUNT_TOKEN_RATE).consume(user)

    def refund_account_budget(self, user: Any) -> None:
        """Give back what :meth:`consume_account_budget` counted for ``user`` when no token
        could be issued after all. Best effort: the budget's cache may be down too."""
        with contextlib.suppress(StoreUnavailable):
            AccountTokenBudget(resetkit_settings.ACCOUNT_TOKEN_RATE).refund(user)

    def handle_no_eligible_account(self, validated_data: Mapping[str, Any]) -> None:
        """Called when no eligible account matched, where the work runs (the executor). Does
        nothing, unless ``NO_INFORMATION_LEAKAGE`` is off: then the work runs before the answer,
        and this raises the legacy 400."""
        if not resetkit_settings.NO_INFORMATION_LEAKAGE:
            raise exceptions.ValidationError({"email": [NO_ACCOUNT_ERROR]})

    #: New keys tried when a short key collides with an outstanding one.
    issue_attempts: int = 5
    #: The tokens the last :meth:`perform_issue` issued (raw keys in memory, never stored).
    issued_tokens: list[ResetTokenLike]

    def issue_token(self, user: Any) -> ResetTokenLike:
        """Generate a token for ``user`` and keep its digest in the store.

        A key that is already outstanding (likely only with short numeric codes) is refused by
        the store and another is drawn, so that one key never opens two accounts.

        When the flow's :meth:`~resetkit.flows.PasswordResetFlow.revokes_earlier_tokens` says
        so (``REVOKE_EARLIER_TOKENS``), the user's outstanding tokens are revoked first, with
        the user's row locked until the new token is stored, so that of concurrent requests
        for one user only the token issued last stays valid.
        """
        flow = self.get_flow()
        store = flow.get_token_store()
        generator = flow.get_token_generator()
        if flow.revokes_earlier_tokens():
            using = router.db_for_write(type(user))
            with reset_transaction(using, store):
                lock_user_row(user, using)
                store.revoke_user_tokens(user)
                return self._create_token(store, generator, user)
        return self._create_token(store, generator, user)

    def _create_token(self, store: Any, generator: Any, user: Any) -> ResetTokenLike:
        """Store a new token for ``user``, drawing another key on a collision."""

        def create() -> ResetTokenLike:
            return store.create_token(
                user,
                generator.generate_token(),
                ip_address=self.get_client_ip(),
                user_agent=self.get_user_agent(),
            )

        for _attempt in range(self.issue_attempts - 1):
            try:
                return create()
            except DuplicateTokenError:
                continue
        return create()

    def get_client_ip(self) -> str | None:
        """Return the client address from ``IP_ADDRESS_HEADER`` (first of a comma list), or
        ``None`` when it is not an IP address. Used for the record only, never for trust."""
        raw = str(self.request.META.get(resetkit_settings.IP_ADDRESS_HEADER, "") or "")  # type: ignore[attr-defined]
        candidate = raw.split(",")[0].strip()
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            return None
        # A zone index ("fe80::1%eth0") names an interface of the sender's own host: it means
        # nothing here, it is free text, and no database column for addresses accepts it.
        if getattr(address, "scope_id", None) is not None:
            return None
        return str(address)

    def get_user_agent(self) -> str:
        """Return the client's user agent from ``USER_AGENT_HEADER``."""
        value = str(self.request.META.get(resetkit_settings.USER_AGENT_HEADER, "") or "")  # type: ignore[attr-defined]
        # PostgreSQL refuses NUL in text columns; no real user agent has one.
        return value.replace("\x00", "")

    def deliver_token(self, token: ResetTokenLike) -> None:
        """Send ``reset_password_token_created``; receivers e-mail or text the token.

        The signal is a :class:`~resetkit.signals.RobustSignal`: a receiver that raises is
        logged and does not change the answer (a failure only real accounts can produce would
        tell an attacker which addresses exist).
        """
        reset_password_token_created.send(
            sender=self.__class__, instance=self, reset_password_token=token
        )

    def get_issue_response(self) -> Response:
        """Return the answer. It is built before the lookup runs, so it cannot depend on it."""
        return Response({"status": "OK"})
