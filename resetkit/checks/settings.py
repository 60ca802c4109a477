"""Checks of the ``RESETKIT`` dict, the upstream flat names, and the values they hold."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured

from resetkit.checks.stores import check_generator, check_store
from resetkit.checks.throttles import check_throttles
from resetkit.conf import (
    DEFAULTS,
    LEGACY_ALIASES,
    LEGACY_PREFIXES,
    SETTING_NAME,
    did_you_mean,
    resetkit_settings,
    unknown_legacy_settings,
)


def settings_are_valid() -> bool:
    """Whether ``RESETKIT`` can be read. Other checks return nothing when it cannot: E001
    says what to fix, and a check must never raise."""
    try:
        resetkit_settings.user_settings  # noqa: B018
    except ImproperlyConfigured:
        return False
    return True


@checks.register(checks.Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages = check_legacy_names()
    key_errors = check_keys()
    if key_errors:
        return key_errors + messages
    user_settings = resetkit_settings.user_settings
    for key, alias in LEGACY_ALIASES.items():
        if key in user_settings and hasattr(settings, alias):
            messages.append(
                checks.Warning(
                    f"Both {SETTING_NAME}[{key!r}] and {alias} are set; {alias} is ignored.",
                    hint=f"Remove {alias} from your settings.",
                    id="resetkit.W001",
                )
            )

    parts: Sequence[Callable[[], list[checks.CheckMessage]]] = (
        _check_lookup_field,
        _check_expiry,
        _check_cleanup_batch_size,
        _check_information_leakage,
        check_throttles,
        _check_account_rate,
        _check_revokers,
        _check_code_only_lookup,
        _check_code_settings,
    )
    for part in parts:
        messages.extend(part())
    for name, check in (("TOKEN_STORE", check_store), ("TOKEN_GENERATOR", check_generator)):
        try:
            messages.extend(check())
        except ImproperlyConfigured as exc:
            # Say which setting to fix, also when the error comes from deep in a constructor.
            source = resetkit_settings.source_of(name).removesuffix(" (default)")
            text = str(exc) if source in str(exc) else f"{source}: {exc}"
            messages.append(checks.Error(text, id="resetkit.E003", obj=name))
    return messages


def check_keys() -> list[checks.CheckMessage]:
    """``RESETKIT`` must be a dict of known keys; a misspelt key gets a "did you mean"."""
    value = getattr(settings, SETTING_NAME, None)
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [
            checks.Error(
                f"{SETTING_NAME} must be a dict, not {type(value).__name__}.",
                hint=f"Write {SETTING_NAME} = {{...}} with the keys listed in the settings page.",
                id="resetkit.E001",
            )
        ]
    messages: list[checks.CheckMessage] = []
    for key in sorted(map(str, set(value) - set(DEFAULTS))):
        close = did_you_mean(key, DEFAULTS)
        messages.append(
            checks.Error(
                f"{SETTING_NAME} has an unknown key {key!r}: every resetkit endpoint fails "
                "until it is removed or renamed.",
                hint=f"Did you mean {SETTING_NAME}[{close!r}]?"
                if close
                else f"Known keys: {', '.join(sorted(DEFAULTS))}.",
                obj=SETTING_NAME,
                id="resetkit.E001",
            )
        )
    return messages


def check_legacy_names() -> list[checks.CheckMessage]:
    """A flat setting named like django-rest-passwordreset's but unknown to it is ignored."""
    key_of = {alias: key for key, alias in LEGACY_ALIASES.items()}
    # Compared without their prefixes, which every name shares and which would make any two
    # names look alike; a name under the wrong prefix still finds its match.
    by_rest = {_without_prefix(alias): alias for alias in key_of}
    messages: list[checks.CheckMessage] = []
    for name in unknown_legacy_settings():
        rest = did_you_mean(_without_prefix(name), by_rest)
        close = by_rest[rest] if rest else None
        hint = (
            f"Did you mean {close}? Better: {SETTING_NAME}[{key_of[close]!r}]."
            if close
            else f"Known names: {', '.join(sorted(key_of))}; or use {SETTING_NAME} keys."
        )
        messages.append(
            checks.Warning(
                f"{name} is not a setting django-rest-passwordreset or resetkit reads: it is "
                "ignored.",
                hint=hint,
                obj=name,
                id="resetkit.W007",
            )
        )
    return messages


def _without_prefix(name: str) -> str:
    return next((name.removeprefix(p) for p in LEGACY_PREFIXES if name.startswith(p)), name)


def _check_lookup_field() -> list[checks.CheckMessage]:
    """``LOOKUP_FIELD`` must name a field of the user model (``__`` follows relations)."""
    field = resetkit_settings.LOOKUP_FIELD
    model: Any = get_user_model()
    error = checks.Error(
        f"{resetkit_settings.source_of('LOOKUP_FIELD')} is {field!r}, which is not a field "
        f"of {settings.AUTH_USER_MODEL}.",
        hint="Name the user model field that holds the e-mail address (default 'email').",
        id="resetkit.E002",
    )
    if not isinstance(field, str) or not field:
        return [error]
    names = field.split("__")
    for position, name in enumerate(names):
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return [error]
        if position < len(names) - 1:
            model = model_field.related_model
            if model is None:
                return [error]
    return []


def _check_expiry() -> list[checks.CheckMessage]:
    from resetkit.backends.base import is_expiry_hours

    hours = resetkit_settings.TOKEN_EXPIRY_HOURS
    if not is_expiry_hours(hours):
        return [
            checks.Error(
                f"{resetkit_settings.source_of('TOKEN_EXPIRY_HOURS')} must be a number of hours, "
                f"not {hours!r}.",
                id="resetkit.E006",
            )
        ]
    return _check_lifetime()


def _check_lifetime() -> list[checks.CheckMessage]:
    """``TOKEN_LIFETIME``: ``None``, a positive ``timedelta`` or a positive number of seconds."""
    from resetkit.backends import is_lifetime

    lifetime = resetkit_settings.TOKEN_LIFETIME
    if lifetime is None or is_lifetime(lifetime):
        return []
    return [
        checks.Error(
            f"{SETTING_NAME}['TOKEN_LIFETIME'] must be a positive timedelta or a positive "
            f"number of seconds, not {lifetime!r}.",
            hint="For example timedelta(hours=2) or 7200; None uses TOKEN_EXPIRY_HOURS.",
            id="resetkit.E017",
        )
    ]


def _check_cleanup_batch_size() -> list[checks.CheckMessage]:
    size = resetkit_settings.CLEANUP_BATCH_SIZE
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        return [
            checks.Error(
                f"{SETTING_NAME}['CLEANUP_BATCH_SIZE'] must be a positive integer, not {size!r}.",
                id="resetkit.E009",
            )
        ]
    return []


def _check_information_leakage() -> list[checks.CheckMessage]:
    if resetkit_settings.NO_INFORMATION_LEAKAGE:
        return []
    return [
        checks.Warning(
            f"{resetkit_settings.source_of('NO_INFORMATION_LEAKAGE')} is off: the request "
            "endpoint answers 400 for unknown accounts, which tells anyone which e-mail "
            "addresses have an account.",
            hint="Remove the setting (the default is True) unless a client still needs the 400.",
            id="resetkit.W003",
        )
    ]


def _check_account_rate() -> list[checks.CheckMessage]:
    from resetkit.throttling import parse_rate

    rate = resetkit_settings.ACCOUNT_TOKEN_RATE
    if rate is None:
        return []
    try:
        parse_rate(rate)
    except ImproperlyConfigured as exc:
        return [checks.Error(f"{SETTING_NAME}['ACCOUNT_TOKEN_RATE']: {exc}", id="resetkit.E010")]
    return []


def _check_revokers() -> list[checks.CheckMessage]:
    from resetkit.revokers import get_post_reset_revokers

    try:
        get_post_reset_revokers()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="resetkit.E011")]
    return []


def _check_code_only_lookup() -> list[checks.CheckMessage]:
    """``CODE_ONLY_LOOKUP`` with a generator of short codes: codes are taken without their
    account, so any code of any account answers a guess."""
    from resetkit.generators import get_token_generator, makes_short_codes

    if not resetkit_settings.CODE_ONLY_LOOKUP:
        return []
    try:
        short = makes_short_codes(get_token_generator())
    except ImproperlyConfigured:
        return []  # reported by resetkit.E003
    if not short:
        return []
    return [
        checks.Warning(
            f"{SETTING_NAME}['CODE_ONLY_LOOKUP'] is on and "
            f"{resetkit_settings.source_of('TOKEN_GENERATOR')} makes short codes: validate and "
            "confirm take a code without its account, so every guess is tried against the codes "
            "of all accounts at once; only the global CODE_ONLY_GUESS_RATE "
            f"({resetkit_settings.CODE_ONLY_GUESS_RATE!r}) limits guessing.",
            hint="Remove CODE_ONLY_LOOKUP (clients then send the account's 'email' with the "
            "code, checked against that account alone), or use the e-mail + code flow "
            "(resetkit.codes).",
            id="resetkit.W016",
        )
    ]


def _positive_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= 1


def _check_code_settings() -> list[checks.CheckMessage]:
    """The short-code settings: counts and lengths that are positive integers, a rate DRF's
    syntax can read. A bad value would otherwise fail the first validate or code request."""
    from resetkit.throttling import parse_rate

    problems = [
        f"{SETTING_NAME}[{name!r}] must be a positive integer, not {value!r}."
        for name in ("CODE_ATTEMPT_LIMIT", "CODE_LENGTH", "CODE_EXPIRY_MINUTES")
        if not _positive_int(value := getattr(resetkit_settings, name))
    ]
    try:
        parse_rate(resetkit_settings.CODE_ONLY_GUESS_RATE)
    except ImproperlyConfigured as exc:
        problems.append(f"{SETTING_NAME}['CODE_ONLY_GUESS_RATE']: {exc}")
    return [checks.Error(problem, id="resetkit.E016") for problem in problems]
