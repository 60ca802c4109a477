"""The three steps of a reset flow, one mixin each, to combine with DRF's generic views.

Each mixin's action is a short skeleton of hook calls; override a hook to change one decision
(which users, which store, which generator, how to deliver, what to answer).
"""

from resetkit.mixins.base import INVALID_TOKEN_ERROR, ResetFlowMixin
from resetkit.mixins.confirm import PasswordConfirmMixin
from resetkit.mixins.issue import TokenIssueMixin
from resetkit.mixins.validate import TokenValidateMixin

__all__ = [
    "INVALID_TOKEN_ERROR",
    "PasswordConfirmMixin",
    "ResetFlowMixin",
    "TokenIssueMixin",
    "TokenValidateMixin",
]
