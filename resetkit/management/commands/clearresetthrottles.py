"""Lift the throttles of a client address and the account budget of an e-mail address.

For support staff ("I asked three times and got nothing") and for developers locked out by the
3/day request throttle, also across restarts once the cache is Redis. It deletes the cache
entries the throttles and the budget count in; nothing else changes. The throttles' keys are
computed by the configured throttle classes themselves (resetkit's window throttles clear their
own counters), so a project's own classes (or DRF's ``AnonRateThrottle`` and
``ScopedRateThrottle``) are cleared too. The client is found as the throttles find it: an IPv6
address clears its whole ``IPV6_PREFIX_LENGTH`` network.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import HttpRequest
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle, SimpleRateThrottle

from resetkit.budgets import AccountTokenBudget
from resetkit.conf import resetkit_settings
from resetkit.throttling import (
    REQUEST_TOKEN_SCOPE,
    RESET_CONFIRM_SCOPE,
    VALIDATE_TOKEN_SCOPE,
    WindowRateThrottle,
    get_endpoint_throttle_classes,
    get_password_reset_request_token_throttle_classes,
    instantiate_throttles,
)

SCOPES = (REQUEST_TOKEN_SCOPE, VALIDATE_TOKEN_SCOPE, RESET_CONFIRM_SCOPE)


class _ScopedView:
    """What ``ScopedRateThrottle`` reads off a view: its scope."""

    def __init__(self, scope: str) -> None:
        self.throttle_scope = scope


class Command(BaseCommand):
    help = (
        "Clear the request/validate/confirm throttles of a client address (--ip) and the "
        "account budget of the accounts an address finds (--email)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ip", action="append", default=[], help="A client IP address (repeatable)."
        )
        parser.add_argument(
            "--email",
            action="append",
            default=[],
            help="An address as a user submits it; every account it finds gets a fresh budget.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["ip"] and not options["email"]:
            raise CommandError("Name at least one --ip or --email.")
        try:
            for raw in options["ip"]:
                address = self.parse_ip(raw)
                cleared = self.clear_throttles(address)
                self.stdout.write(f"{address}: throttle entries cleared: {cleared}.")
            for email in options["email"]:
                users = list(self.find_users(email))
                budget = AccountTokenBudget(resetkit_settings.ACCOUNT_TOKEN_RATE)
                cleared = sum(budget.clear(user) for user in users)
                self.stdout.write(
                    f"{email}: accounts found: {len(users)}; budgets cleared: {cleared}."
                )
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc

    def parse_ip(self, raw: str) -> str:
        try:
            return str(ipaddress.ip_address(raw.strip()))
        except ValueError as exc:
            raise CommandError(f"{raw!r} is not an IP address.") from exc

    def clear_throttles(self, address: str) -> int:
        """Clear what the configured throttles of the three endpoints count for a client at
        ``address``; the number of entries that held something."""
        classes: list[type[BaseThrottle]] = []
        for found in (
            get_password_reset_request_token_throttle_classes(),
            get_endpoint_throttle_classes("VALIDATE_THROTTLE_CLASSES"),
            get_endpoint_throttle_classes("CONFIRM_THROTTLE_CLASSES"),
        ):
            classes.extend(cls for cls in found if cls not in classes)
        request = self.client_request(address)
        seen: set[tuple[Any, ...]] = set()
        cleared = 0
        for throttle in instantiate_throttles(classes):
            if not isinstance(throttle, SimpleRateThrottle):
                continue  # keeps its counts where only it knows
            for scope in SCOPES if isinstance(throttle, ScopedRateThrottle) else (None,):
                if scope is not None:
                    throttle.scope = scope
                view = _ScopedView(scope or "")
                key = throttle.get_cache_key(request, view)  # type: ignore[arg-type]
                if not key:
                    continue
                if isinstance(throttle, WindowRateThrottle):
                    entry: tuple[Any, ...] = (throttle.get_counter().prefix, key)
                    if entry not in seen:
                        seen.add(entry)
                        cleared += throttle.clear(request, view)
                elif (entry := (id(throttle.cache), key)) not in seen:
                    seen.add(entry)
                    cleared += bool(throttle.cache.delete(key))
        return cleared

    def client_request(self, address: str) -> HttpRequest:
        """A request from ``address`` as the throttles identify clients (``NUM_PROXIES``)."""
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = address
        if api_settings.NUM_PROXIES:
            request.META["HTTP_X_FORWARDED_FOR"] = address
        request.user = AnonymousUser()
        return request

    def find_users(self, email: str) -> Any:
        """The accounts the request endpoint's lookup finds for ``email``."""
        from resetkit.views import ResetPasswordRequestToken

        return ResetPasswordRequestToken().get_candidate_users(email)
