"""OpenAPI description of the staff API's ``send/`` answer, for drf-spectacular.

Imported by :mod:`resetkit.staff.views` when drf-spectacular is installed; defining the class
registers it. The list and revoke views need nothing: their serializers describe them.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import extend_schema

from resetkit.staff.serializers import SendResetLinkResultSerializer, SendResetLinkSerializer


class _SendResetLinkViewExtension(OpenApiViewExtension):
    """``send/`` answers ``{"status", "sent", "reason", "detail"}``, not its input serializer.

    Applied when the schema is generated, so it builds on the ``DEFAULT_SCHEMA_CLASS`` in force
    then. A subclass whose own ``post`` carries ``@extend_schema`` is left as it is.
    """

    target_class = "resetkit.staff.views.SendResetLinkView"
    match_subclasses = True
    # A project's own extension (priority 0) for a subclass wins over this one.
    priority = -1

    def view_replacement(self) -> Any:
        from resetkit.staff.views import SendResetLinkView

        view = self.target
        if view.post is not SendResetLinkView.post and "schema" in getattr(view.post, "kwargs", {}):
            return view

        class Documented(view):  # type: ignore[misc,valid-type]
            @extend_schema(
                request=SendResetLinkSerializer,
                responses={200: SendResetLinkResultSerializer},
                summary="Send a user a password reset link",
                description=(
                    "Issues the user a reset token through the request endpoint's path "
                    "(eligibility, the account budget, the store, delivery). The answer says "
                    "whether a link was sent, and never contains the token."
                ),
            )
            def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
                return super().post(request, *args, **kwargs)  # pragma: no cover

        Documented.__name__ = view.__name__
        Documented.__qualname__ = view.__qualname__
        Documented.__module__ = view.__module__
        Documented.__doc__ = view.__doc__
        return Documented
