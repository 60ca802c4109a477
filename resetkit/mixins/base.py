"""Hooks shared by the three steps: which store, which generator, which users, which throttles."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, NoReturn

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from resetkit.backends import (
    BaseTokenStore,
    ResetTokenLike,
    build_token_store,
    check_token_store_class,
    get_token_store,
)
from resetkit.conf import resetkit_settings
from resetkit.exceptions import is_outage, is_schema_error, log_schema_error
from resetkit.generators import (
    BaseTokenGenerator,
    build_token_generator,
    get_token_generator,
)
from resetkit.loading import import_from_setting
from resetkit.mixins.codes import ShortCodeMixin
from resetkit.throttling import get_default_throttle_classes, instantiate_throttles

logger = logging.getLogger("resetkit")

# The same answer for a token that is unknown, expired, consumed or whose user may not reset:
# the caller learns nothing about which. Worded as django-rest-passwordreset words it.
INVALID_TOKEN_ERROR = _("The OTP password entered is not valid. Please check and try again.")
SERVICE_UNAVAILABLE_ERROR = _("Password reset is temporarily unavailable. Please try again later.")


class ResetFlowMixin(ShortCodeMixin):
    """Base of :class:`TokenIssueMixin`, :class:`TokenValidateMixin`, :class:`PasswordConfirmMixin`.

    Class attributes default to ``None`` and are resolved per request, so settings changed at
    runtime (``override_settings``) reach views imported long before. Each can also be passed
    to ``as_view()``, e.g. ``as_view(token_store_class=CacheTokenStore)``.
    """

    #: Store class (or dotted path) for this view; ``None`` uses ``RESETKIT["TOKEN_STORE"]``.
    token_store_class: type[BaseTokenStore] | str | None = None
    #: Constructor options for ``token_store_class`` (e.g. ``{"cache_alias": "tokens"}``).
    token_store_kwargs: dict[str, Any] | None = None
    #: Generator class (or dotted path); ``None`` uses ``RESETKIT["TOKEN_GENERATOR"]``.
    token_generator_class: type[BaseTokenGenerator] | str | None = None
    #: Constructor options for ``token_generator_class`` (e.g. ``{"min_number": 100000}``).
    token_generator_kwargs: dict[str, Any] | None = None
    #: ``None`` resolves the throttles per request (see :meth:`get_default_throttle_classes`).
    throttle_classes: Any = None

    # -- token store ---------------------------------------------------------------------------

    def get_token_store_class(self) -> type[BaseTokenStore] | None:
        """Return the store class of this view, or ``None`` for the configured one."""
        if self.token_store_class is None:
            return None
        where = f"{type(self).__name__}.token_store_class"
        return check_token_store_class(import_from_setting(self.token_store_class, where), where)

    def get_token_store_kwargs(self) -> dict[str, Any]:
        """Return the options for this view's own store class."""
        return dict(self.token_store_kwargs or {})

    def get_token_store_overrides(self) -> dict[str, Any]:
        """Options that beat the configured ones, whichever store class is used: the e-mail +
        code flow sets its ``namespace`` and ``lifetime`` here."""
        return {}

    def get_token_store(self) -> BaseTokenStore:
        """Return the store this request uses (built once per request)."""
        store: BaseTokenStore | None = getattr(self, "_resetkit_token_store", None)
        if store is None:
            cls = self.get_token_store_class()
            overrides = self.get_token_store_overrides()
            if cls is None:
                store = get_token_store(**overrides)
            else:
                where = f"{type(self).__name__}.token_store_kwargs"
                options = {**self.get_token_store_kwargs(), **overrides}
                store = build_token_store(cls, options, where)
            self._resetkit_token_store = store
        return store

    # -- generator -----------------------------------------------------------------------------

    def get_token_generator(self) -> BaseTokenGenerator:
        """Return the generator that makes new tokens. Override to vary it per request."""
        if self.token_generator_class is None:
            return get_token_generator()
        where = f"{type(self).__name__}.token_generator_class"
        cls = import_from_setting(self.token_generator_class, where)
        return build_token_generator(cls, self.token_generator_kwargs or {}, where)

    # -- users ---------------------------------------------------------------------------------

    def get_user_queryset(self) -> QuerySet[Any]:
        """Return the users this flow may touch. Override to narrow it (e.g. one tenant)."""
        return get_user_model()._default_manager.all()

    def is_user_eligible(self, user: Any) -> bool:
        """Return whether ``user`` may reset now: active, and with a usable password unless
        ``REQUIRE_USABLE_PASSWORD`` is off (accounts managed elsewhere, such as LDAP)."""
        if not getattr(user, "is_active", True):
            return False
        if resetkit_settings.REQUIRE_USABLE_PASSWORD:
            return bool(user.has_usable_password())
        return True

    # -- tokens presented by a client -----------------------------------------------------------

    def get_valid_token(self, key: str) -> ResetTokenLike:
        """Return the live token for ``key`` whose user is eligible, or answer the generic 404.

        A token of an ineligible user is kept: it works again if the account is reactivated
        before it expires.
        """
        token = self.get_token_store().get_token(key)
        if token is None or not self.is_user_eligible(token.user):
            self.token_not_found()
        return token

    def token_not_found(self) -> NoReturn:
        """Raise the one answer for every unusable token. Override to change its body."""
        raise NotFound(INVALID_TOKEN_ERROR)

    # -- throttling ------------------------------------------------------------------------------

    def get_default_throttle_classes(self) -> Sequence[type[BaseThrottle]]:
        """Throttles used when ``throttle_classes`` is ``None``: DRF's defaults, read now."""
        return get_default_throttle_classes()

    def get_throttles(self) -> list[BaseThrottle]:
        classes = self.throttle_classes
        if classes is None:
            classes = self.get_default_throttle_classes()
        return instantiate_throttles(classes)

    # -- request bodies --------------------------------------------------------------------------

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        """Parse the body now (after the throttles), so input no parser reports as a
        ``ParseError`` still gets a JSON 400: JSON nested past the recursion limit, and bodies
        over Django's ``DATA_UPLOAD_MAX_*`` limits. First, refuse to serve at all when
        ``resetkit`` is not installed (system check E014 says so at start-up)."""
        from django.apps import apps

        if not apps.is_installed("resetkit"):
            from resetkit.checks.installation import NOT_INSTALLED, NOT_INSTALLED_HINT

            raise ImproperlyConfigured(f"{NOT_INSTALLED} {NOT_INSTALLED_HINT}")
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        try:
            request.data  # noqa: B018
        except RecursionError as exc:
            raise ParseError() from exc  # DRF's own (translated) "Malformed request."
        except SuspiciousOperation as exc:  # RequestDataTooBig, TooManyFieldsSent, ...
            raise ParseError(str(exc)) from exc

    # -- outages ---------------------------------------------------------------------------------

    def handle_exception(self, exc: Exception) -> Response:
        """Answer an unreachable database or cache with a 503, the same for every account; a
        missing table or column is a 500 with a log line naming the fix."""
        if is_schema_error(exc):
            log_schema_error(type(self).__name__, exc)
        elif is_outage(exc):
            logger.error(
                "resetkit: %s could not use its database or cache (unreachable or busy): %s",
                type(self).__name__,
                exc,
                exc_info=exc,
            )
            return Response(
                {"detail": SERVICE_UNAVAILABLE_ERROR}, status=503, headers={"Retry-After": "30"}
            )
        response: Response = super().handle_exception(exc)  # type: ignore[misc]
        return response
