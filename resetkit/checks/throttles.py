"""Checks of the throttles: classes that load, scoped rates that exist, short codes guarded."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from resetkit.conf import resetkit_settings


def check_throttles() -> list[checks.CheckMessage]:
    """Throttle classes must load; a scoped throttle needs a rate for each endpoint's scope."""
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

    from resetkit.throttling import (
        REQUEST_TOKEN_SCOPE,
        RESET_CONFIRM_SCOPE,
        VALIDATE_TOKEN_SCOPE,
        get_endpoint_throttle_classes,
        get_password_reset_request_token_throttle_classes,
    )

    try:
        request_classes = get_password_reset_request_token_throttle_classes()
        validate_classes = get_endpoint_throttle_classes("VALIDATE_THROTTLE_CLASSES")
        confirm_classes = get_endpoint_throttle_classes("CONFIRM_THROTTLE_CLASSES")
    except (ImproperlyConfigured, ImportError, TypeError) as exc:
        return [checks.Error(str(exc), obj="THROTTLE_CLASSES", id="resetkit.E007")]

    messages: list[checks.CheckMessage] = []
    if not request_classes:
        messages.append(
            checks.Warning(
                f"{resetkit_settings.source_of('THROTTLE_CLASSES')} is empty and DRF's "
                "DEFAULT_THROTTLE_CLASSES is empty too: the request-token endpoint has no "
                "throttle, so anyone can make it send reset messages without limit.",
                hint="Unset THROTTLE_CLASSES (3/day per client address) or configure a global "
                "throttle such as ScopedRateThrottle.",
                id="resetkit.W004",
            )
        )

    rates = api_settings.DEFAULT_THROTTLE_RATES or {}
    for scope, classes in (
        (REQUEST_TOKEN_SCOPE, request_classes),
        (VALIDATE_TOKEN_SCOPE, validate_classes),
        (RESET_CONFIRM_SCOPE, confirm_classes),
    ):
        scoped = any(
            isinstance(cls, type)
            and issubclass(cls, ScopedRateThrottle)
            and cls.get_rate is SimpleRateThrottle.get_rate
            for cls in classes
        )
        if scoped and scope not in rates:
            messages.append(
                checks.Error(
                    f"ScopedRateThrottle applies to the {scope!r} scope, which has no rate in "
                    "REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']: that endpoint will fail with "
                    "ImproperlyConfigured (HTTP 500).",
                    hint=f"Add {scope!r} to DEFAULT_THROTTLE_RATES (e.g. '5/hour').",
                    id="resetkit.E008",
                )
            )
    messages.extend(check_short_codes(validate_classes, confirm_classes))
    return messages


def check_short_codes(validate_classes: Any, confirm_classes: Any) -> list[checks.CheckMessage]:
    """Numeric codes can be guessed unless validate and confirm are both throttled."""
    from resetkit.generators import RandomNumberTokenGenerator, get_token_generator

    try:
        generator = get_token_generator()
    except ImproperlyConfigured:
        return []  # reported by the generator check
    if not isinstance(generator, RandomNumberTokenGenerator) or (
        validate_classes and confirm_classes
    ):
        return []
    return [
        checks.Warning(
            f"{resetkit_settings.source_of('TOKEN_GENERATOR')} issues numeric codes, but the "
            "validate or confirm endpoint has no throttle: codes can be guessed by trying them.",
            hint="Set RESETKIT['VALIDATE_THROTTLE_CLASSES'] = "
            "['resetkit.throttling.ResetPasswordValidateTokenThrottle'] and "
            "RESETKIT['CONFIRM_THROTTLE_CLASSES'] = "
            "['resetkit.throttling.ResetPasswordConfirmThrottle'] (or global throttles).",
            id="resetkit.W005",
        )
    ]
