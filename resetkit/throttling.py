"""Throttling of the request-token endpoint, and the resolver of its configured classes.

``THROTTLE_CLASSES`` (upstream ``DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES``):

* unset (``None``): :class:`ResetPasswordRequestTokenThrottle`, 3/day per client address;
* ``[]``: DRF's ``DEFAULT_THROTTLE_CLASSES``, read at call time;
* a list (or one dotted path): exactly those classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle, UserRateThrottle

__all__ = [
    "REQUEST_TOKEN_SCOPE",
    "RESET_CONFIRM_SCOPE",
    "VALIDATE_TOKEN_SCOPE",
    "ResetPasswordRequestTokenThrottle",
    "get_password_reset_request_token_throttle_classes",
]

REQUEST_TOKEN_SCOPE = "django-rest-passwordreset-request-token"
VALIDATE_TOKEN_SCOPE = "django-rest-passwordreset-validate-token"
RESET_CONFIRM_SCOPE = "django-rest-passwordreset-confirm"


class ResetPasswordRequestTokenThrottle(UserRateThrottle):
    """3 requests a day per client address, unless ``DEFAULT_THROTTLE_RATES`` sets the scope.

    The rate is read at call time (DRF's throttles bind it at import), and the client is
    identified by ``REMOTE_ADDR`` unless DRF's ``NUM_PROXIES`` says which proxies to trust:
    a client-sent ``X-Forwarded-For`` must not buy a fresh budget.
    """

    scope = REQUEST_TOKEN_SCOPE
    default_rate = "3/day"

    def get_rate(self) -> str | None:
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES or {}
        if self.scope in rates:
            return rates[self.scope]
        return self.default_rate

    def get_ident(self, request: Any) -> str:
        if api_settings.NUM_PROXIES is None:
            return str(request.META.get("REMOTE_ADDR", ""))
        return super().get_ident(request)


def _resolve(value: Any) -> type[BaseThrottle]:
    from resetkit.conf import resetkit_settings
    from resetkit.loading import import_from_setting

    cls = import_from_setting(value, resetkit_settings.source_of("THROTTLE_CLASSES"))
    if not isinstance(cls, type):
        raise ImproperlyConfigured(
            f"{resetkit_settings.source_of('THROTTLE_CLASSES')}: {cls!r} is not a throttle class."
        )
    return cls


def get_password_reset_request_token_throttle_classes() -> tuple[type[BaseThrottle], ...]:
    """The throttle classes the request-token endpoint applies, resolved now."""
    from resetkit.conf import resetkit_settings

    configured: str | Sequence[Any] | None = resetkit_settings.THROTTLE_CLASSES
    if configured is None:
        return (ResetPasswordRequestTokenThrottle,)
    if isinstance(configured, str):
        configured = (configured,)
    if not configured:
        return get_default_throttle_classes()
    return tuple(_resolve(value) for value in configured)


def get_default_throttle_classes() -> tuple[type[BaseThrottle], ...]:
    """DRF's ``DEFAULT_THROTTLE_CLASSES`` at call time (``APIView`` binds them at import)."""
    classes: Sequence[type[BaseThrottle]] = api_settings.DEFAULT_THROTTLE_CLASSES  # type: ignore[assignment]
    return tuple(classes)


def instantiate_throttles(classes: Sequence[type[BaseThrottle]]) -> list[BaseThrottle]:
    """Instantiate ``classes`` with DRF's throttle rates as they are now.

    DRF's rate throttles copy ``DEFAULT_THROTTLE_RATES`` into a class attribute at import, so
    ``override_settings`` and settings changed after start-up never reach them. Each instance
    gets the current rates instead.
    """
    throttles = []
    for cls in classes:
        throttle = cls()
        if isinstance(throttle, SimpleRateThrottle):
            rated: Any = throttle
            rated.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
            if getattr(rated, "scope", None) is not None and not isinstance(
                rated, ResetPasswordRequestTokenThrottle
            ):
                rated.rate = rated.get_rate()
                rated.num_requests, rated.duration = rated.parse_rate(rated.rate)
        throttles.append(throttle)
    return throttles
