"""The store boundary: policy given at construction, capabilities instead of class checks,
one exception for an unreachable service, and a model that knows nothing of stores."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, ProgrammingError, connection
from django.test import override_settings

import resetkit
from resetkit.backends import (
    DEFAULT_LIFETIME,
    BaseTokenStore,
    build_token_store,
    get_table_token_store,
    get_token_store,
)
from resetkit.backends import orm as orm_module
from resetkit.backends.cache import CacheTokenStore
from resetkit.backends.orm import ORMTokenStore
from resetkit.counters import WindowCounter
from resetkit.exceptions import StoreUnavailable, is_outage
from resetkit.models import ResetPasswordToken
from tests.conftest import resetkit_overrides

KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
DEAD_REDIS = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1: refused at once
    "OPTIONS": {"socket_connect_timeout": 0.5},
}
PACKAGE = Path(resetkit.__file__).parent


# -- the model knows nothing of stores -----------------------------------------------------------


def test_importing_the_model_imports_no_store_and_no_generator() -> None:
    code = textwrap.dedent(
        """
        import sys, django
        from django.conf import settings
        settings.configure(
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "resetkit"],
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        )
        django.setup()
        import resetkit.models
        print(sorted(m for m in sys.modules if m.startswith(("resetkit.backends",
                                                             "resetkit.generators"))))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_the_model_module_names_no_store_and_no_generator() -> None:
    tree = ast.parse((PACKAGE / "models.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    forbidden = ("resetkit.backends", "resetkit.generators")
    assert not {name for name in imported if name.startswith(forbidden)}


def test_no_caller_outside_the_backends_asks_for_a_store_class() -> None:
    """Callers ask a store what it can do (its capabilities), never which class it is."""
    asks = re.compile(r"isinstance\([^()]*,\s*\(?[^)]*\b(ORMTokenStore|CacheTokenStore)\b")
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "backends" not in path.relative_to(PACKAGE).parts and asks.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.django_db
def test_objects_create_issues_through_the_store(user, monkeypatch) -> None:
    """One path from a raw key to a stored digest: the store's ``make_digest``."""
    monkeypatch.setattr(ORMTokenStore, "make_digest", lambda self, key: f"digest-of-{key}")
    token = ResetPasswordToken.objects.create(user=user, key="chosen")
    assert ResetPasswordToken.objects.get(pk=token.pk).digest == "digest-of-chosen"
    assert token.key == "chosen"


def test_upstream_helpers_still_import_from_the_model_module() -> None:
    import resetkit.issuing
    import resetkit.models

    assert resetkit.models.clear_expired is resetkit.issuing.clear_expired
    assert resetkit.models.eligible_for_reset is resetkit.issuing.eligible_for_reset
    with pytest.raises(AttributeError):
        resetkit.models.no_such_helper  # noqa: B018


# -- policy at construction -------------------------------------------------------------------


def test_a_store_built_directly_has_the_documented_default_and_reads_no_setting() -> None:
    with resetkit_overrides(TOKEN_EXPIRY_HOURS=1):
        assert ORMTokenStore().get_expiry_delta() == DEFAULT_LIFETIME == timedelta(hours=24)
        assert CacheTokenStore(lifetime=timedelta(minutes=5)).get_expiry_delta() == timedelta(
            minutes=5
        )


def test_the_factory_passes_the_lifetime_read_when_the_store_is_built() -> None:
    with resetkit_overrides(TOKEN_EXPIRY_HOURS=3):
        store = get_token_store()
        view_store = build_token_store(CacheTokenStore, {}, "a view")
        table = get_table_token_store()
    for built in (store, view_store, table):
        assert built.get_expiry_delta() == timedelta(hours=3)
    # Built before the change, it keeps its policy; one built after gets the new one.
    with resetkit_overrides(TOKEN_EXPIRY_HOURS=1):
        assert store.get_expiry_delta() == timedelta(hours=3)
        assert get_token_store().get_expiry_delta() == timedelta(hours=1)


def test_an_explicit_lifetime_beats_the_setting() -> None:
    with resetkit_overrides(TOKEN_EXPIRY_HOURS=3):
        store = get_token_store(lifetime=timedelta(minutes=10))
    assert store.get_expiry_delta() == timedelta(minutes=10)


def test_a_bad_expiry_setting_is_refused_when_the_store_is_built() -> None:
    with (
        resetkit_overrides(TOKEN_EXPIRY_HOURS="a day"),
        pytest.raises(ImproperlyConfigured, match="TOKEN_EXPIRY_HOURS"),
    ):
        get_token_store()


# -- capabilities ------------------------------------------------------------------------------


def test_capabilities_of_each_store() -> None:
    assert (BaseTokenStore.lists_tokens, BaseTokenStore.expires_by_itself) == (False, False)
    assert (ORMTokenStore.lists_tokens, ORMTokenStore.expires_by_itself) == (True, False)
    assert (CacheTokenStore.lists_tokens, CacheTokenStore.expires_by_itself) == (False, True)


def test_store_checks_report_a_cache_that_loses_tokens() -> None:
    assert ORMTokenStore().check() == []
    assert [m.id for m in CacheTokenStore(cache_alias="nowhere").check()] == ["resetkit.E004"]
    dummy = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    with override_settings(CACHES={"default": dummy}):
        assert [m.id for m in CacheTokenStore().check()] == ["resetkit.E005"]


class ListingStore(CacheTokenStore):
    """A third-party store that says it keeps its tokens in the token table."""

    lists_tokens = True


@pytest.mark.django_db
def test_staff_tools_ask_the_store_not_its_class(user) -> None:
    from resetkit.staff.tokens import store_lists_tokens

    with resetkit_overrides(TOKEN_STORE=f"{__name__}.ListingStore"):
        assert store_lists_tokens()
    with resetkit_overrides(TOKEN_STORE="resetkit.backends.cache.CacheTokenStore"):
        assert not store_lists_tokens()


# -- one exception for an unreachable service -------------------------------------------------


def dead_cache_settings(settings: Any) -> None:
    settings.CACHES = {**settings.CACHES, "dead": DEAD_REDIS}


@pytest.mark.django_db
@pytest.mark.parametrize("call", ["create", "get", "revoke"])
def test_unreachable_redis_raises_store_unavailable(settings, user, call) -> None:
    pytest.importorskip("redis")
    dead_cache_settings(settings)
    store = CacheTokenStore(cache_alias="dead")
    action = {
        "create": lambda: store.create_token(user, KEY),
        "get": lambda: store.get_token(KEY),
        "revoke": lambda: store.revoke_user_tokens(user),
    }[call]
    with pytest.raises(StoreUnavailable) as caught:
        action()
    assert is_outage(caught.value)
    assert type(caught.value.__cause__).__module__.startswith("redis")


def test_unreachable_counter_cache_raises_store_unavailable(settings) -> None:
    pytest.importorskip("redis")
    dead_cache_settings(settings)
    counter = WindowCounter("test", 3, 60, cache_alias="dead")
    for action in (lambda: counter.hit("x"), lambda: counter.peek("x"), lambda: counter.reset("x")):
        with pytest.raises(StoreUnavailable):
            action()


def broken_cursor(error: Exception) -> Any:
    def cursor(*args: Any, **kwargs: Any) -> Any:
        raise error

    return cursor


@pytest.mark.django_db
def test_unreachable_database_raises_store_unavailable(user, monkeypatch) -> None:
    store = ORMTokenStore()
    store.create_token(user, KEY)
    lost = OperationalError("could not connect to server: Connection refused")
    monkeypatch.setattr(connection, "cursor", broken_cursor(lost))
    with pytest.raises(StoreUnavailable) as caught:
        store.get_token(KEY)
    assert caught.value.__cause__ is lost
    with pytest.raises(StoreUnavailable):
        list(store.clear_expired_in_batches(10))


@pytest.mark.django_db
def test_a_missing_table_is_not_disguised_as_an_outage(user, monkeypatch) -> None:
    missing = ProgrammingError('relation "resetkit_resetpasswordtoken" does not exist')
    monkeypatch.setattr(connection, "cursor", broken_cursor(missing))
    with pytest.raises(ProgrammingError):
        ORMTokenStore().get_token(KEY)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/password_reset/validate_token/", {"token": KEY}),
        ("/api/password_reset/confirm/", {"token": KEY, "password": "brand-new-Passw0rd"}),
    ],
)
def test_the_endpoints_answer_store_unavailable_with_a_503(api_client, monkeypatch, url, body):
    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(orm_module, "find_tokens", down)
    response = api_client.post(url, body, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
