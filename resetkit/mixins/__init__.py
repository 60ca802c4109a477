"""The three steps of a reset flow, one mixin each, to combine with
:class:`resetkit.generics.ResetAPIView` (or ``ResetViewSet``).

Each mixin's action is a short skeleton of hook calls; override a hook to change one decision
of that step (how to deliver, what to answer). What the steps share (store, generator, users,
the "not found" answer) is decided by the view's flow, :class:`resetkit.flows.PasswordResetFlow`.
"""

from typing import Any

from resetkit.flows import INVALID_TOKEN_ERROR
from resetkit.mixins.base import ResetStepMixin
from resetkit.mixins.confirm import PasswordConfirmMixin
from resetkit.mixins.issue import TokenIssueMixin
from resetkit.mixins.validate import TokenValidateMixin

__all__ = [
    "INVALID_TOKEN_ERROR",
    "PasswordConfirmMixin",
    "ResetStepMixin",
    "TokenIssueMixin",
    "TokenValidateMixin",
]


def __getattr__(name: str) -> Any:
    # The base of the three mixins before flows; the view base now.
    if name == "ResetFlowMixin":
        from resetkit.generics import ResetAPIView

        return ResetAPIView
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
