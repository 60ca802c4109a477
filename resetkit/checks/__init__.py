"""System checks for configurations that start fine and fail users later.

Errors are settings that make an endpoint crash or never succeed; warnings are settings that
work but quietly weaken the flow (lost tokens, no throttle, an account-existence oracle, a
message nobody receives). One module per thing inspected: ``settings`` (``RESETKIT`` and the
flat names), ``throttles``, ``stores``, ``services`` (caches and e-mail), ``installation``
(routed views of an app that is not installed), ``limits`` (where the limits count) and
``database``.

IDs: E001 invalid ``RESETKIT`` (not a dict, or an unknown key, with a "did you mean");
E002 ``LOOKUP_FIELD``; E003 store/generator not loadable; E004 cache alias missing; E005 dummy
cache; E006 ``TOKEN_EXPIRY_HOURS``; E007 throttle classes not loadable (or a bad
``IPV6_PREFIX_LENGTH``); E008 scoped throttle without a rate; E009 ``CLEANUP_BATCH_SIZE``; E010
``ACCOUNT_TOKEN_RATE``; E011 ``POST_RESET_REVOKERS``. E012/E013 (executors): see
``resetkit.executors.checks``. E014 resetkit's views routed while ``resetkit`` is not in
``INSTALLED_APPS``; E015 a Redis cache configured without the ``redis`` package; E016 a
short-code setting (``CODE_*``) out of range; E018 the Redis token store's client cannot be
built (no ``redis`` package, a ``client`` path that does not import).
W001 key set twice; W002 per-process cache; W003 ``NO_INFORMATION_LEAKAGE`` off; W004 the
request endpoint left without any throttle; W005 short codes (the configured generator, or one
set on a routed view) with validate or confirm throttled away; W007 an unknown
django-rest-passwordreset-style flat setting (a "did you mean"); W008 ``DEBUG`` with Django's
default SMTP backend on ``localhost`` (reset e-mails are lost); W011 (``limits``) a throttle,
the account budget or the code attempts counted in a cache the server processes do not share
(``DEBUG`` off); W016 ``CODE_ONLY_LOOKUP`` with a generator of short codes (codes taken
without their account); W017 the Redis token store's Redis does not answer ``PING``.
Database checks (run by ``migrate`` and ``check --database``): W009 the token table is missing;
W010 resetkit's migrations are not all applied; I001/W006 no index serves the
case-insensitive account lookup on PostgreSQL.
"""

from resetkit.checks.database import (
    LOOKUP_INDEX_WARNING_ROWS,
    check_lookup_index,
    check_token_table,
)
from resetkit.checks.installation import check_app_installed
from resetkit.checks.limits import check_limit_caches
from resetkit.checks.services import check_debug_email, check_redis_package
from resetkit.checks.settings import check_settings

__all__ = [
    "LOOKUP_INDEX_WARNING_ROWS",
    "check_app_installed",
    "check_debug_email",
    "check_limit_caches",
    "check_lookup_index",
    "check_redis_package",
    "check_settings",
    "check_token_table",
]
