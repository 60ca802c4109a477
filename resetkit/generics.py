"""The view base of every reset endpoint: the plumbing the steps share, and the flow.

:class:`ResetAPIView` is to the step mixins what DRF's ``GenericAPIView`` is to its own: the
mixins hold an action and its hooks; this class parses bodies, answers outages, resolves the
throttles of the step, adds the account identifier to a short code's input, and builds the
view's :class:`~resetkit.flows.PasswordResetFlow`. Combine a mixin with it to make your own
endpoint::

    class NotMe(TokenValidateMixin, ResetAPIView):
        serializer_class = ResetTokenSerializer
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import BaseThrottle
from rest_framework.viewsets import ViewSetMixin

from resetkit.exceptions import is_outage, is_schema_error, log_schema_error
from resetkit.flows import PasswordResetFlow, check_flow_class, get_flow_class
from resetkit.flows.legacy import ViewFlowHooks, view_overrides
from resetkit.mixins.base import ResetStepMixin
from resetkit.serializers import with_identifier_field
from resetkit.throttling import (
    REQUEST_TOKEN_SCOPE,
    RESET_CONFIRM_SCOPE,
    VALIDATE_TOKEN_SCOPE,
    get_default_throttle_classes,
    get_endpoint_throttle_classes,
    get_password_reset_request_token_throttle_classes,
    instantiate_throttles,
)

__all__ = ["SERVICE_UNAVAILABLE_ERROR", "ResetAPIView", "ResetViewSet"]

logger = logging.getLogger("resetkit")

SERVICE_UNAVAILABLE_ERROR = _("Password reset is temporarily unavailable. Please try again later.")

#: The throttles of each step when a view's ``throttle_classes`` is ``None``.
STEP_THROTTLES: dict[str, Callable[[], Sequence[type[BaseThrottle]]]] = {
    "request": get_password_reset_request_token_throttle_classes,
    "validate": functools.partial(get_endpoint_throttle_classes, "VALIDATE_THROTTLE_CLASSES"),
    "confirm": functools.partial(get_endpoint_throttle_classes, "CONFIRM_THROTTLE_CLASSES"),
}

#: Flow attributes a view may set for its own flow (``as_view(token_store_class=...)``).
FLOW_OPTIONS = (
    "token_store_class",
    "token_store_kwargs",
    "token_generator_class",
    "token_generator_kwargs",
    "bind_codes_to_account",
    "code_identifier_field",
    "token_lifetime",
    "revoke_earlier_tokens",
)


class ResetAPIView(ResetStepMixin, ViewFlowHooks, GenericAPIView):
    """Base of the reset endpoints: anonymous, throttled by step, with a flow."""

    authentication_classes: Sequence[Any] = ()
    permission_classes: Sequence[Any] = ()
    #: ``None``: the throttles of the step, per request (:meth:`get_default_throttle_classes`).
    throttle_classes: Any = None
    #: Flow class (or dotted path); ``None`` uses ``RESETKIT["FLOW_CLASS"]``.
    flow_class: type[PasswordResetFlow] | str | None = None
    # For this view's flow only, when not None (see PasswordResetFlow).
    token_store_class: Any = None
    token_store_kwargs: dict[str, Any] | None = None
    token_generator_class: Any = None
    token_generator_kwargs: dict[str, Any] | None = None
    bind_codes_to_account: bool | None = None
    code_identifier_field: str | None = None
    token_lifetime: Any = None
    revoke_earlier_tokens: bool | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Kept so that an issuing worker can build this view again exactly as as_view() did.
        self.view_initkwargs = kwargs

    # -- the flow ----------------------------------------------------------------------------------

    def get_flow_class(self) -> type[PasswordResetFlow]:
        """Return the flow class: ``flow_class``, else ``RESETKIT["FLOW_CLASS"]``."""
        if self.flow_class is None:
            return get_flow_class()
        return check_flow_class(self.flow_class, f"{type(self).__name__}.flow_class")

    def get_flow_kwargs(self) -> dict[str, Any]:
        """Return the flow options set on this view (``as_view(token_store_class=...)``)."""
        return {
            name: getattr(self, name) for name in FLOW_OPTIONS if getattr(self, name) is not None
        }

    def get_flow(self) -> PasswordResetFlow:
        """Return this request's flow (built once per request, with this view)."""
        flow: PasswordResetFlow | None = self.__dict__.get("_flow")
        if flow is None:
            flow = self.get_flow_class()(view=self, **self.get_flow_kwargs())
            for name in view_overrides(type(self), type(flow)):
                setattr(flow, name, getattr(self, name))
            self._flow = flow
        return flow

    # -- throttling ----------------------------------------------------------------------------

    def get_default_throttle_classes(self) -> Sequence[type[BaseThrottle]]:
        """Return the throttles of this request's step, used when ``throttle_classes`` is
        ``None``: ``THROTTLE_CLASSES``, ``VALIDATE_THROTTLE_CLASSES`` or
        ``CONFIRM_THROTTLE_CLASSES``; a view without a step gets DRF's defaults, read now."""
        resolve = STEP_THROTTLES.get(self.get_reset_step() or "")
        return resolve() if resolve is not None else get_default_throttle_classes()

    def get_throttles(self) -> list[BaseThrottle]:
        classes = self.throttle_classes
        if classes is None:
            classes = self.get_default_throttle_classes()
        return instantiate_throttles(classes)

    # -- input -----------------------------------------------------------------------------------

    def get_serializer_class(self) -> Any:
        """The view's serializer, with a required account identifier (``email``) added on
        validate and confirm when the flow's short codes must come with their account."""
        return self.add_identifier_field(super().get_serializer_class())

    def add_identifier_field(self, serializer_class: Any) -> Any:
        """Return ``serializer_class``, with the flow's ``code_identifier_field`` added when
        this step takes a short code that must come with its account."""
        if self.get_reset_step() == "request":
            return serializer_class
        flow = self.get_flow()
        if flow.presents_short_codes() and flow.codes_bound_to_account():
            return with_identifier_field(serializer_class, flow.code_identifier_field)
        return serializer_class

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        """Parse the body now (after the throttles), so input no parser reports as a
        ``ParseError`` still gets a JSON 400: JSON nested past the recursion limit, and bodies
        over Django's ``DATA_UPLOAD_MAX_*`` limits. First, refuse to serve at all when
        ``resetkit`` is not installed (system check E014 says so at start-up)."""
        from django.apps import apps

        if not apps.is_installed("resetkit"):
            from resetkit.checks.installation import NOT_INSTALLED, NOT_INSTALLED_HINT

            raise ImproperlyConfigured(f"{NOT_INSTALLED} {NOT_INSTALLED_HINT}")
        super().initial(request, *args, **kwargs)
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
        return super().handle_exception(exc)


class ResetViewSet(ViewSetMixin, ResetAPIView):
    """:class:`ResetAPIView` for routers, with several steps: each action runs a step, whose
    serializer, throttles and throttle scope it takes."""

    #: The step each action runs.
    steps_by_action: Mapping[str, str] = {
        "create": "request",
        "validate": "validate",
        "confirm": "confirm",
    }
    #: The serializer of each step.
    serializers_by_step: Mapping[str, type[BaseSerializer[Any]]] = {}
    #: The throttle scope of each step: the stock endpoints' (read by ``ScopedRateThrottle``).
    scopes_by_step: Mapping[str, str] = {
        "request": REQUEST_TOKEN_SCOPE,
        "validate": VALIDATE_TOKEN_SCOPE,
        "confirm": RESET_CONFIRM_SCOPE,
    }

    def get_reset_step(self) -> str | None:
        """The step of the current action."""
        return self.steps_by_action.get(getattr(self, "action", None) or "") or self.reset_step

    @property
    def throttle_scope(self) -> str | None:
        """The scope of the stock endpoint running the same step."""
        return self.scopes_by_step.get(self.get_reset_step() or "")

    def get_serializer_class(self) -> Any:
        """The serializer of the current step (``serializer_class`` for a step not listed)."""
        step = self.get_reset_step() or ""
        if step in self.serializers_by_step:
            return self.add_identifier_field(self.serializers_by_step[step])
        return super().get_serializer_class()
