"""Reset flows: one object that ties the request, validate and confirm steps together.

A flow owns what the three steps share: the token store, the generator, the users it may find
and how (lookup, eligibility), the token presented by a client (short codes included) and the
one "not found" answer. The views own their step and its plumbing, and ask their flow for the
rest, so a hook overridden once on a flow changes every endpoint that uses it::

    class TenantFlow(PasswordResetFlow):
        def get_user_queryset(self):
            return super().get_user_queryset().filter(tenant=self.request.tenant)

    RESETKIT = {"FLOW_CLASS": "accounts.flows.TenantFlow"}  # or as_view(flow_class=TenantFlow)
"""

from __future__ import annotations

from typing import Any

from resetkit.flows.base import INVALID_TOKEN_ERROR, PasswordResetFlow
from resetkit.flows.codes import ShortCodeHooks

__all__ = [
    "INVALID_TOKEN_ERROR",
    "PasswordResetFlow",
    "ShortCodeHooks",
    "get_flow_class",
]


def get_flow_class() -> type[PasswordResetFlow]:
    """The flow class named by ``RESETKIT["FLOW_CLASS"]``, read now."""
    from resetkit.conf import SETTING_NAME, resetkit_settings

    return check_flow_class(resetkit_settings.FLOW_CLASS, f"{SETTING_NAME}['FLOW_CLASS']")


def check_flow_class(value: Any, where: str) -> type[PasswordResetFlow]:
    """Return the flow class ``value`` names (a class or a dotted path), or raise
    ``ImproperlyConfigured`` naming ``where`` it was configured."""
    from django.core.exceptions import ImproperlyConfigured

    from resetkit.loading import import_from_setting

    cls = import_from_setting(value, where)
    if not (isinstance(cls, type) and issubclass(cls, PasswordResetFlow)):
        raise ImproperlyConfigured(
            f"{where}: {cls!r} is not a subclass of resetkit.flows.PasswordResetFlow."
        )
    return cls
