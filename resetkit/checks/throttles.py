"""Checks of the throttles: classes that load, scoped rates that exist, a usable
``IPV6_PREFIX_LENGTH``, and short codes guarded by throttles on validate and confirm."""

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
        ipv6_prefix_length,
    )

    try:
        request_classes = get_password_reset_request_token_throttle_classes()
        validate_classes = get_endpoint_throttle_classes("VALIDATE_THROTTLE_CLASSES")
        confirm_classes = get_endpoint_throttle_classes("CONFIRM_THROTTLE_CLASSES")
    except (ImproperlyConfigured, ImportError, TypeError) as exc:
        return [checks.Error(str(exc), obj="THROTTLE_CLASSES", id="resetkit.E007")]

    messages: list[checks.CheckMessage] = []
    try:
        ipv6_prefix_length()
    except ImproperlyConfigured as exc:
        messages.append(checks.Error(str(exc), obj="IPV6_PREFIX_LENGTH", id="resetkit.E007"))
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
    """Short codes (a generator under 64 bits, configured or set on a routed view) can be
    guessed unless validate and confirm are both throttled."""
    makers = short_code_makers()
    if not makers:
        return []
    open_endpoints = unthrottled_endpoints(validate_classes, confirm_classes)
    if not open_endpoints:
        return []
    return [
        checks.Warning(
            f"{' and '.join(makers)} issue short codes (under 64 bits), but "
            f"{' and '.join(open_endpoints)} have no throttle: codes can be guessed by "
            "trying them.",
            hint="Leave RESETKIT['VALIDATE_THROTTLE_CLASSES'] and "
            "RESETKIT['CONFIRM_THROTTLE_CLASSES'] unset (resetkit's 30/hour and 10/hour per "
            "client, plus DRF's DEFAULT_THROTTLE_CLASSES), or name throttle classes there "
            "and on your own views.",
            id="resetkit.W005",
        )
    ]


def routed_view_classes() -> list[tuple[Any, dict[str, Any]]]:
    """The resetkit view classes of the URLconf, with their ``as_view()`` options."""
    from django.urls import get_resolver

    from resetkit.executors.checks import routed_views
    from resetkit.mixins.base import ResetFlowMixin

    try:
        callbacks = list(routed_views(get_resolver().url_patterns))
    except Exception:  # a URLconf that does not import is Django's check to report
        return []
    found: list[tuple[Any, dict[str, Any]]] = []
    for callback in callbacks:
        view_class = getattr(callback, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, ResetFlowMixin):
            entry = (view_class, dict(getattr(callback, "initkwargs", None) or {}))
            if entry not in found:
                found.append(entry)
    return found


def short_code_makers() -> list[str]:
    """Where short codes come from: the configured generator, the ``FLOW_CLASS`` flow, and
    routed views (or their flows) with a generator of their own."""
    from resetkit.flows import PasswordResetFlow, get_flow_class
    from resetkit.generators import get_token_generator, makes_short_codes

    def own_generator(flow: PasswordResetFlow) -> bool:
        overridden = type(flow).get_token_generator is not PasswordResetFlow.get_token_generator
        return overridden or flow.token_generator_class is not None

    makers: list[str] = []
    try:
        if makes_short_codes(get_token_generator()):
            makers.append(resetkit_settings.source_of("TOKEN_GENERATOR"))
        flow = get_flow_class()()
        if own_generator(flow) and makes_short_codes(flow.get_token_generator()):
            makers.append(f"the flow {type(flow).__qualname__}")
    except (ImproperlyConfigured, ImportError, TypeError):
        pass  # reported by the generator and flow checks, or at the first request
    for view_class, initkwargs in routed_view_classes():
        try:
            flow = view_class(**initkwargs).get_flow()
            if own_generator(flow) and makes_short_codes(flow.get_token_generator()):
                makers.append(f"the view {view_class.__qualname__}")
        except (ImproperlyConfigured, ImportError, TypeError, AttributeError):
            continue  # the view fails loudly on its own
    return makers


def unthrottled_endpoints(validate_classes: Any, confirm_classes: Any) -> list[str]:
    """Validate and confirm endpoints that have no throttle: by the settings, or routed views
    whose own ``throttle_classes`` are empty."""
    from resetkit.mixins import PasswordConfirmMixin, TokenValidateMixin

    found: list[str] = []
    if not validate_classes:
        found.append(f"the validate endpoint ({throttle_source('VALIDATE_THROTTLE_CLASSES')})")
    if not confirm_classes:
        found.append(f"the confirm endpoint ({throttle_source('CONFIRM_THROTTLE_CLASSES')})")
    for view_class, initkwargs in routed_view_classes():
        if not issubclass(view_class, TokenValidateMixin | PasswordConfirmMixin):
            continue
        classes = initkwargs.get("throttle_classes", view_class.throttle_classes)
        if classes is not None and not classes:
            found.append(f"the view {view_class.__qualname__} (throttle_classes is empty)")
    return found


def throttle_source(key: str) -> str:
    return (
        f"{resetkit_settings.source_of(key)} is {getattr(resetkit_settings, key)!r} and DRF's "
        "DEFAULT_THROTTLE_CLASSES is empty"
    )
