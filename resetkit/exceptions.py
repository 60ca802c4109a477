"""What can go wrong below the views, and how resetkit tells an outage from a mistake.

:class:`StoreUnavailable` is the one exception a token store (or a counter in the cache) raises
when the service behind it cannot be reached; the views answer it with a ``503`` that is the
same for every account. :func:`is_outage` recognises the same condition in errors raised by
Django's database layer or a Redis client outside a store; :func:`is_schema_error` tells a
missing table (migrations not run) apart from an outage, since waiting will not fix it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "StoreUnavailable",
    "is_outage",
    "is_schema_error",
    "log_schema_error",
    "unavailable_on_outage",
]

logger = logging.getLogger("resetkit")


class StoreUnavailable(Exception):
    """The database or cache behind a store (or a limit) cannot be reached right now."""


# A table or column missing, as SQLite, PostgreSQL, MySQL/MariaDB and Oracle word it.
_SCHEMA_ERROR = re.compile(
    r"no such (table|column)|\b(relation|column|table or view)\b.* does not exist"
    r"|\btable\b.* doesn't exist|unknown column|ora-00942|ora-00904",
    re.IGNORECASE,
)


def is_schema_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a database error about a missing table or column: migrations not
    run, not an outage. SQLite reports it as an ``OperationalError``, like a lost server."""
    from django.db import DatabaseError

    return isinstance(exc, DatabaseError) and bool(_SCHEMA_ERROR.search(str(exc)))


def log_schema_error(where: str, exc: BaseException) -> None:
    """Log a missing table or column with the likely fix. No traceback: Django (for a 500) or
    the executor (for the request's background work) logs it right after."""
    logger.error(
        "resetkit: %s: the database has no table or column it needs (%s); run "
        "`python manage.py migrate` (is 'resetkit' in INSTALLED_APPS?).",
        where,
        exc,
        extra={"reset_event": "schema_error"},
    )


def _cache_client_errors() -> tuple[type[BaseException], ...]:
    """The errors cache clients raise when their server cannot be reached: redis-py's (Django's
    ``RedisCache``) and django-redis's. The only place resetkit names a cache client."""
    found: list[type[BaseException]] = []
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # redis is an optional extra
        pass
    else:
        found += [RedisConnectionError, RedisTimeoutError]
    try:
        from django_redis.exceptions import ConnectionInterrupted
    except ImportError:
        pass
    else:
        found.append(ConnectionInterrupted)
    return tuple(found)


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means a backing service (database, cache) cannot be reached. A missing
    table or column is not one (:func:`is_schema_error`): waiting will not fix it.

    Stores and counters raise :class:`StoreUnavailable`; the rest recognises what Django's
    database layer (a user lookup) or a cache client raises outside them.
    """
    from django.db import InterfaceError, OperationalError

    if isinstance(exc, StoreUnavailable):
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        return not is_schema_error(exc)
    return isinstance(exc, _cache_client_errors())


@contextmanager
def unavailable_on_outage(what: str) -> Iterator[None]:
    """Turn an outage raised inside the block into :class:`StoreUnavailable` (``from`` it).

    The boundary of every store and counter: callers see one exception type whatever the
    database or cache client. A schema error and every other error pass through unchanged.
    """
    try:
        yield
    except StoreUnavailable:
        raise
    except Exception as exc:
        if not is_outage(exc):
            raise
        raise StoreUnavailable(f"{what} cannot be reached: {exc}") from exc
