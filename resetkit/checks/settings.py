"""System checks for configurations that start fine and fail users later.

Errors are settings that make an endpoint crash or never succeed; warnings are settings that
work but quietly weaken the flow (lost tokens, no throttle, an account-existence oracle).

IDs: E001 invalid ``RESETKIT``; E002 ``LOOKUP_FIELD``; E003 store/generator not loadable;
E004 cache alias missing; E005 dummy cache; E006 ``TOKEN_EXPIRY_HOURS``; E007 throttle classes
not loadable; E008 scoped throttle without a rate; E009 ``CLEANUP_BATCH_SIZE``.
E012/E013 (executors): see ``resetkit.executors.checks``.
W001 key set twice; W002 per-process cache; W003 ``NO_INFORMATION_LEAKAGE`` off; W004 the
request endpoint left without any throttle. I001/W006 (database checks, run by ``migrate`` and
``check --database``): no index serves the case-insensitive account lookup on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured

from resetkit.conf import LEGACY_ALIASES, SETTING_NAME, resetkit_settings


@checks.register(checks.Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        user_settings = resetkit_settings.user_settings
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="resetkit.E001")]

    messages: list[checks.CheckMessage] = []
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
        _check_throttles,
        _check_account_rate,
        _check_revokers,
    )
    for part in parts:
        messages.extend(part())
    for name, check in (("TOKEN_STORE", _check_store), ("TOKEN_GENERATOR", _check_generator)):
        try:
            messages.extend(check())
        except ImproperlyConfigured as exc:
            # Say which setting to fix, also when the error comes from deep in a constructor.
            source = resetkit_settings.source_of(name).removesuffix(" (default)")
            text = str(exc) if source in str(exc) else f"{source}: {exc}"
            messages.append(checks.Error(text, id="resetkit.E003", obj=name))
    return messages


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
    return []


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


def _check_throttles() -> list[checks.CheckMessage]:
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
    messages.extend(_check_short_codes(validate_classes, confirm_classes))
    return messages


def _check_short_codes(validate_classes: Any, confirm_classes: Any) -> list[checks.CheckMessage]:
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


def _check_generator() -> list[checks.CheckMessage]:
    from resetkit.generators import get_token_generator

    get_token_generator()
    return []


def _check_store() -> list[checks.CheckMessage]:
    from django.core.cache import caches
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache

    from resetkit.backends import get_token_store
    from resetkit.backends.cache import CacheTokenStore

    store = get_token_store()
    if not isinstance(store, CacheTokenStore):
        return []
    if store.cache_alias not in settings.CACHES:
        return [
            checks.Error(
                f"The cache token store uses cache alias {store.cache_alias!r}, which is not in "
                "CACHES.",
                hint=f"Add {store.cache_alias!r} to CACHES or set the store's cache_alias.",
                id="resetkit.E004",
            )
        ]
    cache = caches[store.cache_alias]
    if isinstance(cache, DummyCache):
        return [
            checks.Error(
                f"The cache token store uses {store.cache_alias!r}, a DummyCache: every token is "
                "forgotten as soon as it is issued, so no reset can succeed.",
                hint="Point cache_alias at Redis (or another shared cache).",
                id="resetkit.E005",
            )
        ]
    if isinstance(cache, LocMemCache):
        return [
            checks.Warning(
                f"The cache token store uses {store.cache_alias!r}, a per-process LocMemCache: "
                "a token issued by one worker is unknown to the others and lost on restart.",
                hint="Point cache_alias at Redis (or another shared cache) in production.",
                id="resetkit.W002",
            )
        ]
    return []


#: From this many users (the planner's estimate) a missing lookup index is a warning.
LOOKUP_INDEX_WARNING_ROWS = 10_000


@checks.register(checks.Tags.database)
def check_lookup_index(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """On PostgreSQL, ``LOOKUP_FIELD__iexact`` compiles to ``UPPER(field) = UPPER(%s)``, which
    no plain index serves: every reset request then scans the whole user table."""
    from django.db import connections, router

    field_name = resetkit_settings.LOOKUP_FIELD
    model: Any = get_user_model()
    if not isinstance(field_name, str) or "__" in field_name:
        return []  # a related field: the project knows its own lookup path
    try:
        column = model._meta.get_field(field_name).column
    except FieldDoesNotExist:
        return []  # reported by E002
    using = router.db_for_read(model)
    if using not in (databases or ()) or connections[using].vendor != "postgresql":
        return []
    table = model._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s "
            "AND schemaname = ANY(current_schemas(false))",
            [table],
        )
        definitions = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    served = re.compile(rf'\bupper\(\(*"?{re.escape(column)}"?\)*(::text)?\)', re.IGNORECASE)
    if any(served.search(definition) for definition in definitions):
        return []
    rows = int(row[0]) if row and row[0] and row[0] > 0 else 0
    level = checks.Warning if rows >= LOOKUP_INDEX_WARNING_ROWS else checks.Info
    return [
        level(
            f"No index on UPPER({column}) in {table}: the reset request's case-insensitive "
            f"lookup ({resetkit_settings.source_of('LOOKUP_FIELD')}) reads every row of the "
            f"user table (about {rows} rows now).",
            hint=f"Add a functional index: CREATE INDEX CONCURRENTLY {table}_upper_{column}_idx "
            f"ON {table} (UPPER({column})); see the performance page of the documentation for "
            "a migration.",
            id="resetkit.W006" if level is checks.Warning else "resetkit.I001",
        )
    ]
