"""Throttles of the three endpoints, the resolver of their settings, and the account budget.

``THROTTLE_CLASSES`` (upstream ``DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES``), request endpoint:

* unset (``None``): :class:`ResetPasswordRequestTokenThrottle`, 3/day per client address;
* ``[]``: DRF's ``DEFAULT_THROTTLE_CLASSES``, read at call time;
* a list (or one dotted path): exactly those classes.

``VALIDATE_THROTTLE_CLASSES`` / ``CONFIRM_THROTTLE_CLASSES``: unset follows DRF's
``DEFAULT_THROTTLE_CLASSES``; a list replaces them (for short numeric codes, use
:class:`ResetPasswordValidateTokenThrottle` and :class:`ResetPasswordConfirmThrottle`).

Every throttle here identifies a client by ``REMOTE_ADDR``, or by the entry DRF's
``NUM_PROXIES`` designates: never by a header the client can set.

A throttle class keeps what it says about itself, as DRF does: a ``rate`` attribute, or its own
``THROTTLE_RATES``, wins over ``DEFAULT_THROTTLE_RATES``; only a class that inherits DRF's rates
gets them as they are now (DRF binds them at import).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle, UserRateThrottle
from rest_framework.views import APIView

__all__ = [
    "REQUEST_TOKEN_SCOPE",
    "RESET_CONFIRM_SCOPE",
    "VALIDATE_TOKEN_SCOPE",
    "AccountTokenBudget",
    "ResetPasswordConfirmThrottle",
    "ResetPasswordRequestTokenThrottle",
    "ResetPasswordValidateTokenThrottle",
    "get_password_reset_request_token_throttle_classes",
]

REQUEST_TOKEN_SCOPE = "django-rest-passwordreset-request-token"
VALIDATE_TOKEN_SCOPE = "django-rest-passwordreset-validate-token"
RESET_CONFIRM_SCOPE = "django-rest-passwordreset-confirm"


def client_ident(request: Any) -> str:
    """The client address the throttles count by: ``REMOTE_ADDR``, or the entry DRF's
    ``NUM_PROXIES`` designates; never a header the client alone sets."""
    if api_settings.NUM_PROXIES is None:
        return str(request.META.get("REMOTE_ADDR", ""))
    return str(BaseThrottle().get_ident(request))


class ClientAddressRateThrottle(SimpleRateThrottle):
    """A scoped rate per client address, with a built-in default rate.

    The scope's entry in ``DEFAULT_THROTTLE_RATES`` wins over ``default_rate``; rates are read
    at call time (DRF binds them at import).
    """

    default_rate: str | None = None

    def get_rate(self) -> str | None:
        rates: dict[str, Any] = current_rates(self) or {}
        if self.scope in rates:
            return rates[self.scope]
        return self.default_rate

    def get_ident(self, request: Any) -> str:
        return client_ident(request)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ResetPasswordRequestTokenThrottle(ClientAddressRateThrottle, UserRateThrottle):
    """3 requests a day per client address (scope ``django-rest-passwordreset-request-token``).

    A ``UserRateThrottle``, as upstream's is; the endpoint authenticates nobody, so every
    caller is counted by address, and a client-sent ``X-Forwarded-For`` buys no fresh budget.
    """

    scope = REQUEST_TOKEN_SCOPE
    default_rate = "3/day"


class ResetPasswordValidateTokenThrottle(ClientAddressRateThrottle):
    """30 validations an hour per client address: guessing a short code takes that long."""

    scope = VALIDATE_TOKEN_SCOPE
    default_rate = "30/hour"


class ResetPasswordConfirmThrottle(ClientAddressRateThrottle):
    """10 confirms an hour per client address (a rejected password counts too)."""

    scope = RESET_CONFIRM_SCOPE
    default_rate = "10/hour"


class AccountTokenBudget:
    """How many new tokens one account may receive per period (``ACCOUNT_TOKEN_RATE``).

    Throttles per address cannot stop an attacker who rotates addresses from mail-bombing one
    user; this budget can. It lives in Django's default cache: shared by every server when that
    cache is (Redis, Memcached, the database cache), per process with ``LocMemCache``. It
    counts time with :func:`django.utils.timezone.now`, so tests can move it.
    """

    cache_format = "resetkit:account-budget:%s"

    def __init__(self, rate: str | None) -> None:
        self.rate = rate
        self.num_requests, self.duration = parse_rate(rate) if rate else (0, 0)

    def clear(self, user: Any) -> bool:
        """Forget ``user``'s history (a fresh budget); ``True`` if there was one."""
        from django.core.cache import cache

        return bool(cache.delete(self.cache_format % user.pk))

    def consume(self, user: Any) -> bool:
        """Count one new token for ``user``; ``False`` when the budget is spent."""
        if not self.rate:
            return True
        from django.core.cache import cache
        from django.utils import timezone

        key = self.cache_format % user.pk
        now = timezone.now().timestamp()
        # An account's first token in a while: one atomic command instead of a read and a
        # write (each a round trip to the cache, on the path of every issued token).
        if cache.add(key, [now], self.duration):
            return self.num_requests >= 1
        history = [stamp for stamp in cache.get(key, []) if stamp > now - self.duration]
        if len(history) >= self.num_requests:
            return False
        history.append(now)
        cache.set(key, history, self.duration)
        return True


def parse_rate(rate: str) -> tuple[int, int]:
    """``"3/hour"`` -> ``(3, 3600)``; the syntax of DRF's throttle rates."""
    try:
        count, period = rate.split("/")
        return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[0]]
    except (AttributeError, ValueError, KeyError, IndexError) as exc:
        raise ImproperlyConfigured(
            f"Invalid rate {rate!r}: expected '<number>/<second|minute|hour|day>'."
        ) from exc


def _resolve(value: Any, key: str = "THROTTLE_CLASSES") -> type[BaseThrottle]:
    from resetkit.conf import resetkit_settings
    from resetkit.loading import import_from_setting

    cls = import_from_setting(value, resetkit_settings.source_of(key))
    if not isinstance(cls, type):
        raise ImproperlyConfigured(
            f"{resetkit_settings.source_of(key)}: {cls!r} is not a throttle class."
        )
    return cls


def get_endpoint_throttle_classes(key: str) -> tuple[type[BaseThrottle], ...]:
    """Classes named by ``VALIDATE_THROTTLE_CLASSES`` or ``CONFIRM_THROTTLE_CLASSES``, resolved
    now; DRF's ``DEFAULT_THROTTLE_CLASSES`` when the setting is ``None``."""
    from resetkit.conf import resetkit_settings

    configured: str | Sequence[Any] | None = getattr(resetkit_settings, key)
    if configured is None:
        return get_default_throttle_classes()
    if isinstance(configured, str):
        configured = (configured,)
    return tuple(_resolve(value, key) for value in configured)


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
    """Instantiate ``classes``; those that inherit DRF's rates get them as they are now.

    DRF's rate throttles copy ``DEFAULT_THROTTLE_RATES`` into a class attribute when
    ``rest_framework.throttling`` is first imported, and ``AnonRateThrottle`` and friends read
    their rate in ``__init__``. So such a throttle gets the current rates on the instance
    *before* its ``__init__`` runs: otherwise ``override_settings`` or a rate added after start-up
    is ignored, or raises "No default throttle rate set", depending on import order. A class
    with its own ``THROTTLE_RATES`` (or ``rate``) keeps them, as under DRF.
    """
    throttles: list[BaseThrottle] = []
    for cls in classes:
        if isinstance(cls, type) and issubclass(cls, SimpleRateThrottle) and not has_own_rates(cls):
            rated: Any = cls.__new__(cls)
            rated.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
            cls.__init__(rated)
            throttles.append(rated)
        else:
            throttles.append(cls())
    return throttles
