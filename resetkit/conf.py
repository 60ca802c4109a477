"""One settings object for resetkit, read at call time.

Projects configure ``RESETKIT = {...}``. Every flat setting name of django-rest-passwordreset is
honoured as an alias, so a migrated settings file keeps working; a key in ``RESETKIT`` wins over
its alias. Every value is read from ``django.conf.settings`` when it is asked for, as Django's own
settings are: ``override_settings``, ``settings.X = ...`` in a test and a value changed at runtime
all reach views imported long before. Only what is costly is cached (imported dotted paths, the
check of ``RESETKIT``'s keys), and that is dropped on ``setting_changed``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from resetkit.loading import clear_import_cache

SETTING_NAME = "RESETKIT"

DEFAULTS: dict[str, Any] = {
    # Hours a token stays valid, counted from its creation.
    "TOKEN_EXPIRY_HOURS": 24,
    # True: the request endpoint answers 200 whatever the account. False: legacy 400 for an
    # unknown or ineligible account (an account-existence oracle; kept for migrations only).
    "NO_INFORMATION_LEAKAGE": True,
    # Only users with a usable password may reset (e.g. not LDAP-only accounts).
    "REQUIRE_USABLE_PASSWORD": True,
    # User model field compared (case-insensitively) with the submitted e-mail.
    "LOOKUP_FIELD": "email",
    # request.META key holding the client address; the first entry of a comma list is used.
    "IP_ADDRESS_HEADER": "REMOTE_ADDR",
    # request.META key holding the user agent.
    "USER_AGENT_HEADER": "HTTP_USER_AGENT",
    # Dotted path, class, or {"CLASS": ..., "OPTIONS": {...}}.
    "TOKEN_GENERATOR": "resetkit.generators.RandomStringTokenGenerator",
    # None: resetkit's request-token throttle (3/day per client), alone.
    # []: DRF's DEFAULT_THROTTLE_CLASSES. A list: exactly those (dotted paths or classes).
    "THROTTLE_CLASSES": None,
    # Add "username" and "email" to a successful validate answer.
    "USER_DETAILS_ON_VALIDATION": False,
    # Dotted path, class, or {"CLASS": ..., "OPTIONS": {...}}.
    "TOKEN_STORE": "resetkit.backends.orm.ORMTokenStore",
    # The flow (dotted path or class, a resetkit.flows.PasswordResetFlow subclass) of every
    # view without a flow_class of its own: the hooks the request, validate and confirm steps
    # share (store, generator, users, lookup, eligibility, the "not found" answer).
    "FLOW_CLASS": "resetkit.flows.PasswordResetFlow",
    # Rows removed per statement by the clearresetpasswodtokens command (about that many on
    # PostgreSQL, where a batch is a run of pages).
    "CLEANUP_BATCH_SIZE": 10_000,
    # True: the request endpoint hands its lookup, issuing and delivery to ISSUE_EXECUTOR and
    # answers at once, so nothing a client can time depends on the account. False: the work
    # runs inline, before answering (resetkit.executors.InlineExecutor).
    "ISSUE_AFTER_RESPONSE": True,
    # Where that work runs: dotted path, class, or {"CLASS": ..., "OPTIONS": {...}}.
    # ThreadExecutor: background threads in each web process (default). TasksExecutor: the
    # project's task workers (Django's Tasks framework). InlineExecutor: before answering.
    "ISSUE_EXECUTOR": "resetkit.executors.ThreadExecutor",
    # New tokens one account may receive, in DRF's rate syntax; None: no limit. Requests over
    # the budget get the usual answer and issue nothing.
    "ACCOUNT_TOKEN_RATE": "3/hour",
    # Throttles of the validate and confirm endpoints. None: resetkit's own per client
    # (30/hour, 10/hour) plus DRF's DEFAULT_THROTTLE_CLASSES. []: DRF's DEFAULT_THROTTLE_CLASSES.
    # A list: exactly those (dotted paths or classes).
    "VALIDATE_THROTTLE_CLASSES": None,
    "CONFIRM_THROTTLE_CLASSES": None,
    # Callables (or dotted paths) called with the user after a successful reset, inside its
    # transaction, to end other credentials (API tokens, refresh tokens, sessions).
    "POST_RESET_REVOKERS": [],
    # Client addresses the throttles count as one: IPv6 addresses by this prefix length (one
    # /64 is one subscriber), IPv4 addresses one by one.
    "IPV6_PREFIX_LENGTH": 64,
    # Short codes (a generator space under 64 bits, such as six digits): wrong codes one account
    # may receive before every outstanding code of it is revoked.
    "CODE_ATTEMPT_LIMIT": 5,
    # Short codes are presented with the account identifier (the "email" field) and checked
    # against that account alone. True keeps upstream's code-only validate and confirm; then
    # CODE_ONLY_GUESS_RATE caps wrong codes over all clients, and a system check warns.
    "CODE_ONLY_LOOKUP": False,
    "CODE_ONLY_GUESS_RATE": "100/hour",
    # The built-in e-mail + code flow (resetkit.codes): digits per code, and how long one lives.
    "CODE_LENGTH": 8,
    "CODE_EXPIRY_MINUTES": 15,
    # Link sent by resetkit.contrib.email, with "{token}" where the token goes (URL-quoted),
    # e.g. "https://app.example/reset#token={token}" (in the fragment, the token stays out of
    # server logs); or a callable (or dotted path) called with the token, the user and the
    # request that asked, returning the link. None: that receiver is not configured.
    "RESET_URL": None,
    # How long a token lives: a timedelta or a number of seconds. None: TOKEN_EXPIRY_HOURS.
    # A flow or a view can set its own (token_lifetime).
    "TOKEN_LIFETIME": None,
    # True: a new token voids the user's earlier ones (only the newest link works). False keeps
    # django-rest-passwordreset's behaviour: every token works until it expires or is used.
    "REVOKE_EARLIER_TOKENS": False,
    # Sender of resetkit.contrib.email's messages. None: DEFAULT_FROM_EMAIL.
    "FROM_EMAIL": None,
    # resetkit.contrib.email: after a reset, tell the account's address that its password
    # changed (no token in it).
    "PASSWORD_CHANGED_NOTICE": False,
    # resetkit.contrib.email: tell an address without an account that someone asked for a reset
    # there; the answer to the request is unchanged. At most UNKNOWN_ADDRESS_NOTICE_RATE per
    # address (DRF rate syntax).
    "UNKNOWN_ADDRESS_NOTICE": False,
    "UNKNOWN_ADDRESS_NOTICE_RATE": "1/day",
}

# RESETKIT key -> the flat name django-rest-passwordreset reads.
LEGACY_ALIASES: dict[str, str] = {
    "TOKEN_EXPIRY_HOURS": "DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME",
    "NO_INFORMATION_LEAKAGE": "DJANGO_REST_PASSWORDRESET_NO_INFORMATION_LEAKAGE",
    "REQUIRE_USABLE_PASSWORD": "DJANGO_REST_MULTITOKENAUTH_REQUIRE_USABLE_PASSWORD",
    "LOOKUP_FIELD": "DJANGO_REST_LOOKUP_FIELD",
    "IP_ADDRESS_HEADER": "DJANGO_REST_PASSWORDRESET_IP_ADDRESS_HEADER",
    "USER_AGENT_HEADER": "DJANGO_REST_PASSWORDRESET_HTTP_USER_AGENT_HEADER",
    "TOKEN_GENERATOR": "DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG",
    "THROTTLE_CLASSES": "DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES",
    "USER_DETAILS_ON_VALIDATION": "DJANGO_REST_PASSWORDRESET_USER_DETAILS_ON_VALIDATION",
}

#: Prefixes of django-rest-passwordreset's flat names: a setting starting with one of them that
#: is not in ``LEGACY_ALIASES`` is a misspelling, silently ignored unless a check says so.
LEGACY_PREFIXES = (
    "DJANGO_REST_MULTITOKENAUTH_",
    "DJANGO_REST_PASSWORDRESET_",
    "DJANGO_REST_LOOKUP_",
)

_MISSING = object()


def did_you_mean(name: str, known: Any) -> str | None:
    """Return the known name closest to ``name`` (a likely misspelling), or ``None``."""
    close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_legacy_settings() -> list[str]:
    """Flat settings named like django-rest-passwordreset's that no version of it reads."""
    known = set(LEGACY_ALIASES.values())
    return sorted(
        name for name in dir(settings) if name.startswith(LEGACY_PREFIXES) and name not in known
    )


class ResetkitSettings:
    """Attribute access to resetkit's settings: ``resetkit_settings.TOKEN_EXPIRY_HOURS``."""

    def __init__(self) -> None:
        # The RESETKIT dict whose keys were last found valid; kept (not its id) so that a new
        # dict is never mistaken for it.
        self._checked: Any = None

    @property
    def user_settings(self) -> Mapping[str, Any]:
        """The project's ``RESETKIT`` dict, with unknown keys rejected by name."""
        value = getattr(settings, SETTING_NAME, None)
        if value is None:
            return {}
        if value is self._checked:
            return value
        # Checked before truthiness: ``RESETKIT = []`` or ``""`` is a mistake, not "no settings".
        if not isinstance(value, Mapping):
            raise ImproperlyConfigured(
                f"{SETTING_NAME} must be a dict, not {type(value).__name__}."
            )
        unknown = sorted(map(str, set(value) - set(DEFAULTS)))
        if unknown:
            hints = [
                f"{key!r} (did you mean {close!r}?)"
                if (close := did_you_mean(key, DEFAULTS))
                else repr(key)
                for key in unknown
            ]
            raise ImproperlyConfigured(
                f"{SETTING_NAME} has unknown key(s): {', '.join(hints)}. "
                f"Known keys: {', '.join(sorted(DEFAULTS))}."
            )
        self._checked = value
        return value

    def source_of(self, name: str) -> str:
        """Say where a value comes from: ``RESETKIT['X']``, the flat alias, or the default."""
        if name in self.user_settings:
            return f"{SETTING_NAME}[{name!r}]"
        alias = LEGACY_ALIASES.get(name)
        if alias and hasattr(settings, alias):
            return alias
        return f"{SETTING_NAME}[{name!r}] (default)"

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid resetkit setting: {name!r}")
        # Read now, every time: two dict lookups, no cheaper to cache than Django's settings.
        value = self.user_settings.get(name, _MISSING)
        if value is _MISSING:
            alias = LEGACY_ALIASES.get(name)
            value = getattr(settings, alias, _MISSING) if alias else _MISSING
        if value is _MISSING:
            value = DEFAULTS[name]
        return value

    def reload(self) -> None:
        """Drop what is cached: the key check and the imported dotted paths."""
        self._checked = None
        clear_import_cache()


resetkit_settings = ResetkitSettings()


@receiver(setting_changed)
def _reload_on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING_NAME or setting in LEGACY_ALIASES.values() or setting == "CACHES":
        resetkit_settings.reload()
