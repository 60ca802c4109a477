"""What the three step mixins have in common: the step they run, and where their flow is.

The shared decisions (store, generator, users, lookup, the "not found" answer) live in
:class:`resetkit.flows.PasswordResetFlow`; the view plumbing (body parsing, throttles, outages)
in :class:`resetkit.generics.ResetAPIView`, which provides :meth:`get_flow`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from resetkit.flows import PasswordResetFlow

__all__ = ["ResetStepMixin"]


class ResetStepMixin:
    """Base of the step mixins: :class:`TokenIssueMixin`, :class:`TokenValidateMixin` and
    :class:`PasswordConfirmMixin`."""

    #: The step this view runs: ``"request"``, ``"validate"`` or ``"confirm"``. It picks the
    #: default throttles (``THROTTLE_CLASSES``, ``VALIDATE_...``, ``CONFIRM_THROTTLE_CLASSES``).
    reset_step: str | None = None

    def get_reset_step(self) -> str | None:
        """Return the step of this request (a ViewSet's depends on its action)."""
        return self.reset_step

    def get_flow(self) -> PasswordResetFlow:
        """Provided by :class:`~resetkit.generics.ResetAPIView`; here only to say so."""
        raise ImproperlyConfigured(
            f"{type(self).__name__} combines a resetkit step mixin with a view that is not a "
            "resetkit.generics.ResetAPIView (or ResetViewSet): base it on that class, which "
            "gives it its flow, the throttles of its step, the 503 for outages and the 400 for "
            "bodies no parser reads."
        )


def __getattr__(name: str) -> Any:
    # Names that lived here before flows: kept importable.
    if name in ("ResetFlowMixin", "SERVICE_UNAVAILABLE_ERROR"):
        from resetkit import generics

        return (
            generics.ResetAPIView
            if name == "ResetFlowMixin"
            else generics.SERVICE_UNAVAILABLE_ERROR
        )
    if name == "INVALID_TOKEN_ERROR":
        from resetkit.flows import INVALID_TOKEN_ERROR

        return INVALID_TOKEN_ERROR
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
