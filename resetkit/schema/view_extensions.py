"""drf-spectacular view extensions: one per endpoint, matching the ready-made views, their
ViewSets and every subclass. Imported by :mod:`resetkit.schema` only when drf-spectacular is
installed; defining the classes registers them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.plumbing import get_class
from drf_spectacular.utils import extend_schema

from resetkit.schema.endpoints import (
    CONFIRM,
    CONFIRM_CODE,
    REQUEST_CODE,
    REQUEST_TOKEN,
    VALIDATE_CODE,
    VALIDATE_TOKEN,
    EndpointDocs,
    extend_schema_kwargs,
)


def _schema_class_of(method: Any) -> Any:
    """The schema class ``@extend_schema`` left on a view method, if any."""
    return getattr(method, "kwargs", {}).get("schema")


def _documented(original: Any) -> Any:
    """A stand-in for view method ``original`` that ``@extend_schema`` can annotate; an
    ``@action``'s routing attributes are kept."""

    def documented(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        return original(self, request, *args, **kwargs)  # pragma: no cover

    for name in ("mapping", "detail", "url_path", "url_name"):
        if hasattr(original, name):
            setattr(documented, name, getattr(original, name))
    if hasattr(original, "mapping"):
        own = dict(getattr(original, "kwargs", {}) or {})
        own.pop("schema", None)
        documented.kwargs = own  # type: ignore[attr-defined]
    return documented


class _EndpointExtension(OpenApiViewExtension):
    """Document one endpoint on the view, its ViewSet and their subclasses.

    The replacement view's method carries a schema class whose MRO puts the subclass's
    own annotations (method, then class) before resetkit's, and those before the
    project's ``DEFAULT_SCHEMA_CLASS``.
    """

    match_subclasses = True
    # A project's own extension (priority 0) for a subclass wins over this one.
    priority = -1
    docs: EndpointDocs

    def documented_methods(self, viewset: bool) -> dict[str, EndpointDocs]:
        """View method name -> what it documents."""
        return {"create" if viewset else "post": self.docs}

    def view_replacement(self) -> Any:
        from rest_framework.settings import api_settings
        from rest_framework.viewsets import ViewSetMixin

        view = self.target
        viewset = issubclass(view, ViewSetMixin)
        namespace: dict[str, Any] = {"__module__": view.__module__, "__doc__": view.__doc__}
        for name, docs in self.documented_methods(viewset).items():
            original = getattr(view, name)
            # On a bare function, extend_schema builds on DEFAULT_SCHEMA_CLASS as it is now.
            annotated: Any = extend_schema(**extend_schema_kwargs(docs, viewset=viewset))(
                _documented(original)
            )
            layers = (
                _schema_class_of(original),  # @extend_schema on the subclass's method
                get_class(view.schema),  # on the subclass itself, or a custom AutoSchema
                annotated.kwargs["schema"],  # resetkit's
            )
            bases = tuple(
                cls
                for cls in dict.fromkeys(layers)
                if cls is not None and cls is not api_settings.DEFAULT_SCHEMA_CLASS
            )
            if len(bases) > 1:
                annotated.kwargs["schema"] = type(f"{view.__name__}Schema", bases, {})
            namespace[name] = annotated
        return type(view.__name__, (view,), namespace)


class _RequestTokenExtension(_EndpointExtension):
    target_class = "resetkit.views.ResetPasswordRequestToken"
    docs = REQUEST_TOKEN


class _ValidateTokenExtension(_EndpointExtension):
    target_class = "resetkit.views.ResetPasswordValidateToken"
    docs = VALIDATE_TOKEN


class _ConfirmExtension(_EndpointExtension):
    target_class = "resetkit.views.ResetPasswordConfirm"
    docs = CONFIRM


class _RequestCodeExtension(_EndpointExtension):
    target_class = "resetkit.codes.views.ResetPasswordRequestCode"
    docs = REQUEST_CODE


class _ValidateCodeExtension(_EndpointExtension):
    target_class = "resetkit.codes.views.ResetPasswordValidateCode"
    docs = VALIDATE_CODE


class _ConfirmCodeExtension(_EndpointExtension):
    target_class = "resetkit.codes.views.ResetPasswordConfirmCode"
    docs = CONFIRM_CODE


class _PasswordResetViewSetExtension(_EndpointExtension):
    """The one ViewSet of the three steps: three actions, three operations."""

    target_class = "resetkit.views.PasswordResetViewSet"
    docs = REQUEST_TOKEN

    def documented_methods(self, viewset: bool) -> dict[str, EndpointDocs]:
        # Operation ids of their own: a schema may hold the three upstream ViewSets too.
        return {
            action: replace(docs, operation_id=f"password_reset_{step}")
            for action, step, docs in (
                ("create", "request", REQUEST_TOKEN),
                ("validate", "validate", VALIDATE_TOKEN),
                ("confirm", "confirm", CONFIRM),
            )
        }


class _CodeViewSetExtension(_EndpointExtension):
    """The code flow's one ViewSet: three actions, three operations."""

    target_class = "resetkit.codes.views.ResetPasswordCodeViewSet"
    docs = REQUEST_CODE

    def documented_methods(self, viewset: bool) -> dict[str, EndpointDocs]:
        return {"create": REQUEST_CODE, "validate": VALIDATE_CODE, "confirm": CONFIRM_CODE}
