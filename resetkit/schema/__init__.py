"""OpenAPI 3 description of the endpoints, for drf-spectacular (the ``spectacular`` extra).

The three stock endpoints, and the three of the e-mail + code flow (:mod:`resetkit.codes`).

Nothing here is needed to serve a request. The response serializers
(:mod:`~resetkit.schema.responses`) only describe bodies, so a project can reuse them in its
own ``@extend_schema``, as it can :func:`extend_schema_kwargs`
(:mod:`~resetkit.schema.endpoints`). When drf-spectacular is installed, importing this package
(``resetkit.views`` does) also registers its extensions:

* one view extension per endpoint (:mod:`~resetkit.schema.view_extensions`), matching the
  ready-made views, their ViewSets and every subclass: it adds summaries, operation ids, the
  ``password-reset`` tag, each status the endpoint can answer with its body, the
  ``Retry-After`` header and the throttle scope. It runs when the schema is generated, so the
  project's ``DEFAULT_SCHEMA_CLASS`` is the one in force then; ``@extend_schema`` written on a
  subclass wins over it, key by key;
* stable component names for the input serializers (``PasswordResetEmail`` and so on), so
  they cannot collide with a project's own ``Email`` serializer; with short codes validate and
  confirm take a required ``email`` too, under components of their own
  (:mod:`~resetkit.schema.serializer_extensions`).

Without drf-spectacular the package defines the serializers and nothing else.
"""

from __future__ import annotations

from resetkit.schema.endpoints import (
    CONFIRM,
    CONFIRM_CODE,
    REQUEST_CODE,
    REQUEST_TOKEN,
    TAG,  # noqa: F401 (importable from here, as before the split)
    VALIDATE_CODE,
    VALIDATE_TOKEN,
    EndpointDocs,
    extend_schema_kwargs,
)
from resetkit.schema.responses import (
    PasswordResetCodeConfirmErrorsSerializer,
    PasswordResetCodeErrorsSerializer,
    PasswordResetConfirmErrorsSerializer,
    PasswordResetDetailSerializer,
    PasswordResetRequestErrorsSerializer,
    PasswordResetStatusSerializer,
    PasswordResetTokenErrorsSerializer,
    PasswordResetValidationSerializer,
    StatusField,  # noqa: F401
)

__all__ = [
    "CONFIRM",
    "CONFIRM_CODE",
    "REQUEST_CODE",
    "REQUEST_TOKEN",
    "VALIDATE_CODE",
    "VALIDATE_TOKEN",
    "EndpointDocs",
    "PasswordResetCodeConfirmErrorsSerializer",
    "PasswordResetCodeErrorsSerializer",
    "PasswordResetConfirmErrorsSerializer",
    "PasswordResetDetailSerializer",
    "PasswordResetRequestErrorsSerializer",
    "PasswordResetStatusSerializer",
    "PasswordResetTokenErrorsSerializer",
    "PasswordResetValidationSerializer",
    "extend_schema_kwargs",
]

try:
    import drf_spectacular  # noqa: F401
except ImportError:  # the "spectacular" extra is not installed: describe nothing
    pass
else:
    # Defining the extension classes registers them with drf-spectacular.
    import resetkit.schema.serializer_extensions
    import resetkit.schema.view_extensions  # noqa: F401
