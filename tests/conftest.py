"""Fixtures shared by the suite.

Services selected through the environment (see ``tests/settings.py``) are checked before any
test runs: a run that asked for PostgreSQL, MariaDB or Redis and cannot reach it fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.test import override_settings
from rest_framework.test import APIClient

from resetkit.conf import resetkit_settings
from resetkit.signals import (
    post_password_reset,
    pre_password_reset,
    reset_password_token_created,
)

STORES: dict[str, Any] = {
    "orm": "resetkit.backends.orm.ORMTokenStore",
    "cache": "resetkit.backends.cache.CacheTokenStore",
}
# The native Redis store joins when a run names its Redis (tests/backends/redis_targets.py).
if os.environ.get("RESETKIT_TEST_REDIS_STORE_URL"):
    STORES["redis"] = {
        "CLASS": "resetkit.backends.redis.RedisTokenStore",
        "OPTIONS": {"url": os.environ["RESETKIT_TEST_REDIS_STORE_URL"], "key_prefix": "resetkit"},
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    problems = []
    if settings.DB_KIND != "sqlite":
        from django.db import connection
        from pytest_django.plugin import blocking_manager_key

        # pytest-django blocks database access outside tests; this check is the exception.
        with session.config.stash[blocking_manager_key].unblock():
            try:
                connection.ensure_connection()
            except Exception as exc:
                problems.append(f"RESETKIT_TEST_DB={settings.DB_KIND}: cannot connect ({exc})")
            finally:
                connection.close()
    if settings.CACHE_KIND == "redis":
        try:
            caches["default"].get("resetkit-ping")
        except Exception as exc:
            problems.append(f"RESETKIT_TEST_CACHE=redis: cannot reach Redis ({exc})")
    if problems:
        pytest.exit("Requested test services unreachable:\n" + "\n".join(problems), returncode=3)


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    """Each test starts with empty caches (throttle history, cache-store tokens)."""
    for alias in settings.CACHES:
        caches[alias].clear()
    resetkit_settings.reload()
    yield
    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture
def clock(time_machine: Any) -> Any:
    """``time_machine`` started at the real now, so tests can ``clock.shift(...)``."""
    import datetime as dt

    time_machine.move_to(dt.datetime.now(dt.timezone.utc), tick=True)
    return time_machine


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """Create users; ``password=None`` gives an unusable password."""
    counter = iter(range(1, 10_000))

    def make(
        email: str | None = None,
        password: str | None = "old-Passw0rd!",
        username: str | None = None,
        **extra: Any,
    ) -> Any:
        n = next(counter)
        user = get_user_model()._default_manager.create_user(
            username=username or f"user{n}",
            email=email if email is not None else f"user{n}@example.com",
            password=password,
            **extra,
        )
        if password is None:
            user.set_unusable_password()
            user.save()
        return user

    return make


@pytest.fixture
def user(make_user: Callable[..., Any]) -> Any:
    return make_user(email="alice@example.com", username="alice")


class SignalLog:
    """Records what the reset signals were sent with."""

    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []
        self.pre: list[dict[str, Any]] = []
        self.post: list[dict[str, Any]] = []

    @property
    def tokens(self) -> list[Any]:
        return [call["reset_password_token"] for call in self.created]

    @property
    def keys(self) -> list[str]:
        return [token.key for token in self.tokens]


@pytest.fixture
def signals() -> Iterator[SignalLog]:
    log = SignalLog()

    def on_created(**kwargs: Any) -> None:
        log.created.append(kwargs)

    def on_pre(**kwargs: Any) -> None:
        log.pre.append(kwargs)

    def on_post(**kwargs: Any) -> None:
        log.post.append(kwargs)

    reset_password_token_created.connect(on_created, dispatch_uid="test-created")
    pre_password_reset.connect(on_pre, dispatch_uid="test-pre")
    post_password_reset.connect(on_post, dispatch_uid="test-post")
    yield log
    reset_password_token_created.disconnect(dispatch_uid="test-created")
    pre_password_reset.disconnect(dispatch_uid="test-pre")
    post_password_reset.disconnect(dispatch_uid="test-post")


def resetkit_overrides(**values: Any) -> override_settings:
    """``override_settings`` for keys of ``RESETKIT``, keeping the suite's other keys."""
    return override_settings(RESETKIT={**settings.RESETKIT, **values})


@pytest.fixture(params=sorted(STORES))
def store_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test once per token store, configured globally through ``RESETKIT``."""
    if request.param == "redis":
        from tests.backends.redis_targets import SINGLE

        SINGLE.require()
        SINGLE.clear("resetkit")
    with resetkit_overrides(TOKEN_STORE=STORES[request.param]):
        yield request.param
