"""Throttles of the three endpoints.

Every throttle here is one atomic increment-and-compare on a
:class:`~resetkit.counters.WindowCounter`, so a limit holds when requests arrive together (DRF's
``SimpleRateThrottle`` reads a history list and writes it back: simultaneous requests all read
the same history and all pass). They are still DRF throttle classes: rates come from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]`` (read at each request), a refused request
answers 429 with ``Retry-After`` from :meth:`~WindowRateThrottle.wait`. The ``window`` class
attribute chooses the window: ``"sliding"`` (default; no period-long interval ever holds more
than the rate) or ``"fixed"`` (per clock period).

Which throttles each endpoint applies (``THROTTLE_CLASSES``, ``VALIDATE_THROTTLE_CLASSES``,
``CONFIRM_THROTTLE_CLASSES``) is resolved at call time in :mod:`resetkit.throttle_settings`, with
how they are instantiated for one request; who one client is, in :mod:`resetkit.clients`. Their
names are importable from here too.

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

import math
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from resetkit.budgets import AccountTokenBudget
from resetkit.clients import client_ident, group_address, ipv6_prefix_length
from resetkit.counters import Hit, Window, WindowCounter
from resetkit.throttle_settings import (
    current_rates,
    get_default_throttle_classes,
    get_endpoint_throttle_classes,
    get_password_reset_request_token_throttle_classes,
    has_own_rates,
    instantiate_throttles,
)

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
    "ipv6_prefix_length",
    "parse_rate",
]

# Importable from here as before the split (resetkit.clients, resetkit.throttle_settings).
_REEXPORTED = (current_rates, has_own_rates)

REQUEST_TOKEN_SCOPE = "django-rest-passwordreset-request-token"
VALIDATE_TOKEN_SCOPE = "django-rest-passwordreset-validate-token"
RESET_CONFIRM_SCOPE = "django-rest-passwordreset-confirm"


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
ENDPOINT_THROTTLES: dict[str, type[SimpleRateThrottle]] = {
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
