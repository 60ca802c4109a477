"""Throttles of the three endpoints, the client key they count by, and the resolver of their
settings.

Every throttle here is one atomic increment-and-compare on a
:class:`~resetkit.counters.WindowCounter`, so a limit holds when requests arrive together (DRF's
``SimpleRateThrottle`` reads a history list and writes it back: simultaneous requests all read
the same history and all pass). They are still DRF throttle classes: rates come from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]`` (read at each request), a refused request
answers 429 with ``Retry-After`` from :meth:`~WindowRateThrottle.wait`. The ``window`` class
attribute chooses the window: ``"sliding"`` (default; no period-long interval ever holds more
than the rate) or ``"fixed"`` (per clock period).

The settings, each a list of classes (dotted paths or classes) or one dotted path:

* ``THROTTLE_CLASSES`` (upstream ``DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES``), request
  endpoint: unset (``None``): :class:`ResetPasswordRequestTokenThrottle`, 3/day per client;
* ``VALIDATE_THROTTLE_CLASSES`` / ``CONFIRM_THROTTLE_CLASSES``: unset (``None``): resetkit's
  :class:`ResetPasswordValidateTokenThrottle` (30/hour per client) or
  :class:`ResetPasswordConfirmThrottle` (10/hour per client) *plus* DRF's
  ``DEFAULT_THROTTLE_CLASSES``;
* in all three, ``[]`` means DRF's ``DEFAULT_THROTTLE_CLASSES`` (read at call time) and a
  non-empty list means exactly those classes.

One client is :func:`client_ident`: ``REMOTE_ADDR``, or the entry DRF's ``NUM_PROXIES``
designates, never a header the client alone sets; IPv6 addresses grouped by
``IPV6_PREFIX_LENGTH`` (one /64 by default), an IPv4-mapped address counted as its IPv4
address. DRF's own throttles (``AnonRateThrottle``, ``ScopedRateThrottle``, ``UserRateThrottle``
for anonymous callers) count by the client-sent ``X-Forwarded-For`` when ``NUM_PROXIES`` is
unset; on resetkit's views :func:`instantiate_throttles` gives them :func:`client_ident`
instead, unless their class has its own ``get_ident``.

A throttle class keeps what it says about itself, as DRF does: a ``rate`` attribute, or its own
``THROTTLE_RATES``, wins over ``DEFAULT_THROTTLE_RATES``; only a class that inherits DRF's rates
gets them as they are now (DRF binds them at import).

The per-account budget of new tokens lives in :mod:`resetkit.budgets`
(:class:`~resetkit.budgets.AccountTokenBudget`, re-exported here).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from resetkit.budgets import AccountTokenBudget
from resetkit.counters import Hit, Window, WindowCounter

__all__ = [
    "REQUEST_TOKEN_SCOPE",
    "RESET_CONFIRM_SCOPE",
    "VALIDATE_TOKEN_SCOPE",
    "AccountTokenBudget",
    "ClientAddressRateThrottle",
    "ResetPasswordConfirmThrottle",
    "ResetPasswordRequestTokenThrottle",
    "ResetPasswordValidateTokenThrottle",
    "WindowRateThrottle",
    "client_ident",
    "get_default_throttle_classes",
    "get_endpoint_throttle_classes",
    "get_password_reset_request_token_throttle_classes",
    "group_address",
    "instantiate_throttles",
    "parse_rate",
]

REQUEST_TOKEN_SCOPE = "django-rest-passwordreset-request-token"
VALIDATE_TOKEN_SCOPE = "django-rest-passwordreset-validate-token"
RESET_CONFIRM_SCOPE = "django-rest-passwordreset-confirm"


# -- who is one client ---------------------------------------------------------------------------


def ipv6_prefix_length() -> int:
    """``IPV6_PREFIX_LENGTH``, checked: a whole number from 0 to 128."""
    from resetkit.conf import resetkit_settings

    value = resetkit_settings.IPV6_PREFIX_LENGTH
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 128:
        raise ImproperlyConfigured(
            f"{resetkit_settings.source_of('IPV6_PREFIX_LENGTH')} must be a whole number from "
            f"0 to 128 (64: one subscriber's network), not {value!r}."
        )
    return value


def group_address(address: str, prefix_length: int | None = None) -> str:
    """The key of the client at ``address``: an IPv4 address as it is, an IPv6 address as its
    network of ``prefix_length`` bits (``IPV6_PREFIX_LENGTH`` by default), e.g.
    ``2001:db8:1:2::/64``; an IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) as its IPv4
    address. Anything that is not an IP address is kept as it is."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv4Address):
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    length = ipv6_prefix_length() if prefix_length is None else prefix_length
    # int() drops a zone (``fe80::1%eth0``): one interface's zone is not another client.
    return ipaddress.IPv6Network((int(ip), length), strict=False).with_prefixlen


def client_ident(request: Any) -> str:
    """The client the throttles count by: ``REMOTE_ADDR``, or the entry DRF's ``NUM_PROXIES``
    designates, never a header the client alone sets; grouped by :func:`group_address`."""
    if api_settings.NUM_PROXIES is None:
        address = request.META.get("REMOTE_ADDR")
    else:
        address = BaseThrottle().get_ident(request)
    return group_address(str(address or ""))


# -- resetkit's throttles ------------------------------------------------------------------------


class WindowRateThrottle(SimpleRateThrottle):
    """A DRF rate throttle counted by an atomic :class:`~resetkit.counters.WindowCounter`.

    ``scope`` and the rate syntax are DRF's; the scope's entry in ``DEFAULT_THROTTLE_RATES``
    (read at each request) wins over ``default_rate``. Each request is one increment-and-compare:
    of any number of simultaneous requests from one client, at most the rate's number pass.
    """

    #: ``"sliding"``: no ``period``-long interval holds more than the rate; ``"fixed"``: the
    #: rate per clock period (``/hour`` from the top of the hour). See :mod:`resetkit.counters`.
    window: Window = "sliding"
    #: The rate when ``DEFAULT_THROTTLE_RATES`` has no entry for ``scope``.
    default_rate: str | None = None
    #: The Django cache the counts live in.
    cache_alias = "default"
    counter_prefix = "resetkit:throttle"

    #: Set by DRF's ``__init__`` from the rate.
    num_requests: int | None
    duration: int | None
    #: What the last :meth:`allow_request` counted.
    last_hit: Hit | None = None

    def get_rate(self) -> str | None:
        rates: dict[str, Any] = current_rates(self) or {}
        if self.scope in rates:
            return rates[self.scope]
        return self.default_rate

    def get_ident(self, request: Any) -> str:
        return client_ident(request)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def get_counter(self) -> WindowCounter:
        """The counter of this throttle's rate (``num_requests`` per ``duration`` seconds)."""
        return WindowCounter(
            f"{self.counter_prefix}:{self.window}:{self.duration}",
            int(self.num_requests or 0),
            int(self.duration or 1),
            window=self.window,
            cache_alias=self.cache_alias,
        )

    def allow_request(self, request: Any, view: Any) -> bool:
        self.last_hit = None
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.key = key
        self.last_hit = self.get_counter().hit(key)
        return self.last_hit.allowed

    def wait(self) -> float | None:
        """Seconds until this client may try again (DRF sends it as ``Retry-After``)."""
        if self.last_hit is None or self.last_hit.allowed:
            return None
        return float(max(1, math.ceil(self.last_hit.retry_after)))

    def clear(self, request: Any, view: Any) -> bool:
        """Forget what this throttle counted for the client of ``request``; ``True`` if there
        was anything (``manage.py clearresetthrottles``)."""
        if self.rate is None:
            return False
        key = self.get_cache_key(request, view)
        if not key:
            return False
        return self.get_counter().reset(key)


#: The name resetkit's throttles had before they were counted atomically.
ClientAddressRateThrottle = WindowRateThrottle


class ResetPasswordRequestTokenThrottle(WindowRateThrottle, UserRateThrottle):
    """3 requests a day per client (scope ``django-rest-passwordreset-request-token``).

    A ``UserRateThrottle``, as upstream's is; the endpoint authenticates nobody, so every
    caller is counted by :func:`client_ident`, and a client-sent ``X-Forwarded-For`` buys no
    fresh budget.
    """

    scope = REQUEST_TOKEN_SCOPE
    default_rate = "3/day"


class ResetPasswordValidateTokenThrottle(WindowRateThrottle):
    """30 validations an hour per client: guessing a short code takes that long."""

    scope = VALIDATE_TOKEN_SCOPE
    default_rate = "30/hour"


class ResetPasswordConfirmThrottle(WindowRateThrottle):
    """10 confirms an hour per client (a rejected password counts too)."""

    scope = RESET_CONFIRM_SCOPE
    default_rate = "10/hour"


#: The throttle an unset ``VALIDATE_THROTTLE_CLASSES`` / ``CONFIRM_THROTTLE_CLASSES`` adds to
#: DRF's ``DEFAULT_THROTTLE_CLASSES``.
ENDPOINT_THROTTLES: dict[str, type[BaseThrottle]] = {
    "VALIDATE_THROTTLE_CLASSES": ResetPasswordValidateTokenThrottle,
    "CONFIRM_THROTTLE_CLASSES": ResetPasswordConfirmThrottle,
}


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
    """Classes of ``VALIDATE_THROTTLE_CLASSES`` or ``CONFIRM_THROTTLE_CLASSES``, resolved now.

    ``None``: resetkit's throttle of that endpoint plus DRF's ``DEFAULT_THROTTLE_CLASSES``;
    ``[]``: DRF's ``DEFAULT_THROTTLE_CLASSES``; a list: exactly those classes.
    """
    from resetkit.conf import resetkit_settings

    configured: str | Sequence[Any] | None = getattr(resetkit_settings, key)
    if configured is None:
        own = ENDPOINT_THROTTLES[key]
        return (own, *(cls for cls in get_default_throttle_classes() if cls is not own))
    if isinstance(configured, str):
        configured = (configured,)
    if not configured:
        return get_default_throttle_classes()
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
