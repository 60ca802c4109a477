"""Which throttles each endpoint applies, resolved from settings at call time, and how they are
instantiated for one request (DRF binds both at import).

The settings, each a list of classes (dotted paths or classes) or one dotted path, resolved by
:mod:`resetkit.loading` (errors name the setting):

* ``THROTTLE_CLASSES`` (upstream ``DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES``), request
  endpoint: unset (``None``): :class:`~resetkit.throttling.ResetPasswordRequestTokenThrottle`,
  3/day per client;
* ``VALIDATE_THROTTLE_CLASSES`` / ``CONFIRM_THROTTLE_CLASSES``: unset (``None``): resetkit's
  :class:`~resetkit.throttling.ResetPasswordValidateTokenThrottle` (30/hour per client) or
  :class:`~resetkit.throttling.ResetPasswordConfirmThrottle` (10/hour per client) *plus* DRF's
  ``DEFAULT_THROTTLE_CLASSES``;
* in all three, ``[]`` means DRF's ``DEFAULT_THROTTLE_CLASSES`` (read at call time) and a
  non-empty list means exactly those classes.

Everything here is importable from :mod:`resetkit.throttling` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from resetkit.clients import client_ident

__all__ = [
    "current_rates",
    "get_default_throttle_classes",
    "get_endpoint_throttle_classes",
    "get_password_reset_request_token_throttle_classes",
    "has_own_rates",
    "instantiate_throttles",
]


def _configured(key: str) -> tuple[type[BaseThrottle], ...] | None:
    """The classes setting ``key`` names, resolved now; ``None`` when it is unset."""
    from resetkit.conf import resetkit_settings
    from resetkit.loading import import_values

    configured: str | Sequence[Any] | None = getattr(resetkit_settings, key)
    if configured is None:
        return None
    if not configured:
        return get_default_throttle_classes()
    return tuple(import_values(configured, resetkit_settings.source_of(key), key))


def get_endpoint_throttle_classes(key: str) -> tuple[type[BaseThrottle], ...]:
    """Classes of ``VALIDATE_THROTTLE_CLASSES`` or ``CONFIRM_THROTTLE_CLASSES``, resolved now.

    ``None``: resetkit's throttle of that endpoint plus DRF's ``DEFAULT_THROTTLE_CLASSES``;
    ``[]``: DRF's ``DEFAULT_THROTTLE_CLASSES``; a list: exactly those classes.
    """
    configured = _configured(key)
    if configured is None:
        from resetkit.throttling import ENDPOINT_THROTTLES

        own = ENDPOINT_THROTTLES[key]
        return (own, *(cls for cls in get_default_throttle_classes() if cls is not own))
    return configured


def get_password_reset_request_token_throttle_classes() -> tuple[type[BaseThrottle], ...]:
    """The throttle classes the request-token endpoint applies, resolved now."""
    from resetkit.throttling import ResetPasswordRequestTokenThrottle

    configured = _configured("THROTTLE_CLASSES")
    return (ResetPasswordRequestTokenThrottle,) if configured is None else configured


# What DRF bound at import; anything else there was put by the project (a test's
# ``patch.object(APIView, "throttle_classes", [])``) and is honoured.
_DRF_BOUND_THROTTLE_CLASSES = APIView.throttle_classes


def get_default_throttle_classes() -> tuple[type[BaseThrottle], ...]:
    """DRF's ``DEFAULT_THROTTLE_CLASSES`` at call time (``APIView`` binds them at import), or
    what the project put on ``APIView.throttle_classes`` since."""
    classes: Sequence[type[BaseThrottle]] = APIView.throttle_classes
    if classes is _DRF_BOUND_THROTTLE_CLASSES:
        classes = api_settings.DEFAULT_THROTTLE_CLASSES  # type: ignore[assignment]
    return tuple(classes)


def has_own_rates(cls: type) -> bool:
    """Whether throttle class ``cls`` (or a base below DRF's ``SimpleRateThrottle``) sets
    ``THROTTLE_RATES`` itself, rather than inheriting DRF's import-time copy of
    ``DEFAULT_THROTTLE_RATES``."""
    for klass in cls.__mro__:
        if "THROTTLE_RATES" in vars(klass):
            return klass is not SimpleRateThrottle
    return False


def current_rates(throttle: SimpleRateThrottle) -> dict[str, Any]:
    """The rates ``throttle`` reads: its class's own, or ``DEFAULT_THROTTLE_RATES`` now."""
    if has_own_rates(type(throttle)) or "THROTTLE_RATES" in vars(throttle):
        return throttle.THROTTLE_RATES
    return api_settings.DEFAULT_THROTTLE_RATES


def instantiate_throttles(classes: Sequence[type[BaseThrottle]]) -> list[BaseThrottle]:
    """Instantiate ``classes`` for one request of resetkit's views.

    Two things differ from DRF's ``APIView.get_throttles``:

    * those that inherit DRF's rates get them as they are now. DRF's rate throttles copy
      ``DEFAULT_THROTTLE_RATES`` into a class attribute when ``rest_framework.throttling`` is
      first imported, and ``AnonRateThrottle`` and friends read their rate in ``__init__``. So
      such a throttle gets the current rates on the instance *before* its ``__init__`` runs:
      otherwise ``override_settings`` or a rate added after start-up is ignored, or raises "No
      default throttle rate set", depending on import order. A class with its own
      ``THROTTLE_RATES`` (or ``rate``) keeps them, as under DRF;
    * a throttle that identifies clients with DRF's ``BaseThrottle.get_ident`` (not overridden:
      ``AnonRateThrottle``, ``ScopedRateThrottle``, ``UserRateThrottle`` for anonymous callers)
      gets :func:`client_ident`. DRF's trusts a client-sent ``X-Forwarded-For`` when
      ``NUM_PROXIES`` is unset, so a client changing it on each request was never throttled.
    """
    throttles: list[BaseThrottle] = []
    for cls in classes:
        if isinstance(cls, type) and issubclass(cls, SimpleRateThrottle) and not has_own_rates(cls):
            rated: Any = cls.__new__(cls)
            rated.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
            cls.__init__(rated)
            throttle: BaseThrottle = rated
        else:
            throttle = cls()
        if getattr(type(throttle), "get_ident", None) is BaseThrottle.get_ident:
            throttle.get_ident = client_ident  # type: ignore[method-assign]
        throttles.append(throttle)
    return throttles
