"""System checks: settings that start fine but lose tokens, crash endpoints or weaken the flow.

A project sees these in ``manage.py check`` (and at ``runserver``/``migrate``); errors stop
those commands, warnings do not.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core import checks
from django.core.checks import run_checks
from django.test import override_settings

from resetkit.checks import check_settings

CACHE_STORE = "resetkit.backends.cache.CacheTokenStore"
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "checks"}
DUMMY = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
FILEBASED = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}


def cache_store_on(alias: str) -> dict[str, Any]:
    return {"CLASS": CACHE_STORE, "OPTIONS": {"cache_alias": alias}}


def messages(**resetkit: Any) -> list[checks.CheckMessage]:
    """resetkit's messages for ``RESETKIT = resetkit`` (nothing from the suite's settings)."""
    with override_settings(RESETKIT=resetkit):
        return check_settings()


def by_id(found: list[checks.CheckMessage]) -> dict[str, checks.CheckMessage]:
    return {message.id or "": message for message in found}


def test_default_configuration_is_clean() -> None:
    assert messages() == []


def test_checks_are_registered_with_django() -> None:
    """``manage.py check`` runs them: an error here must reach Django's own check run."""
    with override_settings(RESETKIT={"TOKEN_EXPIRY_HOURS": "24"}):
        found = run_checks(tags=[checks.Tags.security])
        assert "resetkit.E006" in {m.id for m in run_checks()}
    assert "resetkit.E006" in {m.id for m in found}


# -- the cache store's cache -------------------------------------------------------------------


@pytest.fixture
def extra_caches() -> Any:
    with override_settings(
        CACHES={**settings.CACHES, "dummy": DUMMY, "local": LOCMEM, "files": FILEBASED}
    ):
        yield


def test_cache_store_on_a_dummy_cache_is_an_error(extra_caches) -> None:
    found = by_id(messages(TOKEN_STORE=cache_store_on("dummy")))
    assert list(found) == ["resetkit.E005"]
    assert found["resetkit.E005"].level == checks.ERROR
    assert "'dummy'" in found["resetkit.E005"].msg


def test_cache_store_on_locmem_is_a_warning(extra_caches) -> None:
    found = by_id(messages(TOKEN_STORE=cache_store_on("local")))
    assert list(found) == ["resetkit.W002"]
    assert found["resetkit.W002"].level == checks.WARNING
    assert "per-process" in found["resetkit.W002"].msg


def test_cache_store_on_a_missing_alias_is_an_error() -> None:
    found = by_id(messages(TOKEN_STORE=cache_store_on("nowhere")))
    assert list(found) == ["resetkit.E004"]
    assert "'nowhere'" in found["resetkit.E004"].msg


def test_cache_store_on_a_shared_cache_is_clean(extra_caches) -> None:
    assert messages(TOKEN_STORE=cache_store_on("files")) == []


def test_cache_store_alias_is_the_configured_one() -> None:
    """A CACHES override is seen: the check looks the alias up when it runs."""
    with override_settings(CACHES={**settings.CACHES, "tokens": DUMMY}):
        assert [m.id for m in messages(TOKEN_STORE=cache_store_on("tokens"))] == ["resetkit.E005"]
    with override_settings(CACHES={**settings.CACHES, "tokens": FILEBASED}):
        assert messages(TOKEN_STORE=cache_store_on("tokens")) == []


def test_orm_store_ignores_the_cache(extra_caches) -> None:
    """The ORM store needs no cache, even when the default cache is a dummy."""
    with override_settings(CACHES={**settings.CACHES, "default": DUMMY}):
        assert messages(TOKEN_STORE="resetkit.backends.orm.ORMTokenStore") == []


# -- LOOKUP_FIELD -------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["e_mail", "", "groups__nope", "email__domain", None, 42])
def test_lookup_field_that_is_not_a_user_field_is_an_error(field: Any) -> None:
    found = by_id(messages(LOOKUP_FIELD=field))
    assert list(found) == ["resetkit.E002"]
    assert repr(field) in found["resetkit.E002"].msg
    assert settings.AUTH_USER_MODEL in found["resetkit.E002"].msg


def test_lookup_field_error_names_the_flat_setting() -> None:
    with override_settings(RESETKIT={}, DJANGO_REST_LOOKUP_FIELD="custom_email_field"):
        found = by_id(check_settings())
    assert "DJANGO_REST_LOOKUP_FIELD" in found["resetkit.E002"].msg


@pytest.mark.parametrize("field", ["email", "username", "groups__name"])
def test_lookup_field_on_the_user_or_across_a_relation_is_clean(field: str) -> None:
    assert messages(LOOKUP_FIELD=field) == []


# -- both spellings ------------------------------------------------------------------------------


def test_key_and_flat_alias_both_set_is_a_warning() -> None:
    with override_settings(
        RESETKIT={"TOKEN_EXPIRY_HOURS": 2},
        DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME=3,
    ):
        found = by_id(check_settings())
    assert list(found) == ["resetkit.W001"]
    message = found["resetkit.W001"]
    assert message.level == checks.WARNING
    assert "DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME" in message.msg
    assert "'TOKEN_EXPIRY_HOURS'" in message.msg


def test_flat_alias_alone_is_clean() -> None:
    with override_settings(RESETKIT={}, DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME=3):
        assert check_settings() == []


# -- paths that do not import ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("TOKEN_STORE", "resetkit.backends.nope.Store"),
        ("TOKEN_STORE", {"CLASS": "resetkit.backends.cache.NoSuchStore"}),
        ("TOKEN_STORE", "datetime.datetime"),
        ("TOKEN_STORE", {"CLASS": CACHE_STORE, "OPTIONS": {"cache_aliass": "default"}}),
        ("TOKEN_GENERATOR", "resetkit.generators.NoSuchGenerator"),
        ("TOKEN_GENERATOR", {"CLASS": "django_rest_passwordreset.tokens.Nope"}),
        ("TOKEN_GENERATOR", {"OPTIONS": {"min_length": 10, "max_length": 5}}),
    ],
)
def test_store_or_generator_that_cannot_be_built_is_an_error(key: str, value: Any) -> None:
    found = by_id(messages(**{key: value}))
    assert list(found) == ["resetkit.E003"]
    assert found["resetkit.E003"].level == checks.ERROR
    assert f"RESETKIT[{key!r}]" in found["resetkit.E003"].msg


def test_generator_flat_setting_that_cannot_be_built_names_it() -> None:
    with override_settings(
        RESETKIT={}, DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG={"CLASS": "no.such.Generator"}
    ):
        found = by_id(check_settings())
    assert "DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG" in found["resetkit.E003"].msg


# -- RESETKIT itself ------------------------------------------------------------------------------


def test_unknown_resetkit_key_is_an_error() -> None:
    found = messages(TOKEN_EXPIRY=1)
    assert [m.id for m in found] == ["resetkit.E001"]
    assert "'TOKEN_EXPIRY'" in found[0].msg


@pytest.mark.parametrize("value", [["TOKEN_EXPIRY_HOURS"], "", 1])
def test_resetkit_not_a_dict_is_an_error(value: Any) -> None:
    with override_settings(RESETKIT=value):
        found = check_settings()
    assert [m.id for m in found] == ["resetkit.E001"]
    assert "must be a dict" in found[0].msg


# -- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize("hours", ["24", None, True, float("nan")], ids=repr)
def test_expiry_that_is_not_a_number_is_an_error(hours: Any) -> None:
    found = by_id(messages(TOKEN_EXPIRY_HOURS=hours))
    assert list(found) == ["resetkit.E006"]
    assert "TOKEN_EXPIRY_HOURS" in found["resetkit.E006"].msg


@pytest.mark.parametrize("hours", [-1, 0, 0.25, 48])
def test_expiry_numbers_are_clean(hours: float) -> None:
    assert messages(TOKEN_EXPIRY_HOURS=hours) == []


@pytest.mark.parametrize("size", [0, -5, "100", 2.5])
def test_cleanup_batch_size_must_be_a_positive_integer(size: Any) -> None:
    assert [m.id for m in messages(CLEANUP_BATCH_SIZE=size)] == ["resetkit.E009"]


def test_information_leakage_mode_is_a_warning() -> None:
    found = by_id(messages(NO_INFORMATION_LEAKAGE=False))
    assert list(found) == ["resetkit.W003"]
    assert found["resetkit.W003"].level == checks.WARNING


# -- throttles ------------------------------------------------------------------------------------

README_RATES = {
    "django-rest-passwordreset-request-token": "5/hour",
    "django-rest-passwordreset-validate-token": "60/minute",
    "django-rest-passwordreset-confirm": "10/hour",
}
SCOPED = ["rest_framework.throttling.ScopedRateThrottle"]


def test_no_throttle_at_all_on_the_request_endpoint_is_a_warning() -> None:
    """README: [] without a global throttle removes the 3/day protection."""
    with override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_CLASSES": []}):
        found = by_id(messages(THROTTLE_CLASSES=[]))
    assert list(found) == ["resetkit.W004"]


def test_empty_list_with_a_global_throttle_is_clean() -> None:
    with override_settings(
        REST_FRAMEWORK={"DEFAULT_THROTTLE_CLASSES": SCOPED, "DEFAULT_THROTTLE_RATES": README_RATES}
    ):
        assert messages(THROTTLE_CLASSES=[]) == []


def test_the_suite_settings_are_flagged_as_unthrottled() -> None:
    """The suite turns the throttle off on purpose; a project doing the same is told."""
    assert "resetkit.W004" in {m.id for m in check_settings()}


@pytest.mark.parametrize(
    "classes", [["no.such.Throttle"], ["resetkit.throttling.NoSuchThrottle"], [42]], ids=repr
)
def test_throttle_classes_that_do_not_import_are_an_error(classes: list[Any]) -> None:
    found = by_id(messages(THROTTLE_CLASSES=classes))
    assert list(found) == ["resetkit.E007"]
    assert "THROTTLE_CLASSES" in found["resetkit.E007"].msg


@pytest.mark.parametrize("missing", sorted(README_RATES))
def test_scoped_throttle_without_a_rate_for_a_scope_is_an_error(missing: str) -> None:
    rates = {k: v for k, v in README_RATES.items() if k != missing}
    with override_settings(
        REST_FRAMEWORK={"DEFAULT_THROTTLE_CLASSES": SCOPED, "DEFAULT_THROTTLE_RATES": rates}
    ):
        found = messages(THROTTLE_CLASSES=[])
    assert [m.id for m in found] == ["resetkit.E008"]
    assert repr(missing) in found[0].msg


def test_scoped_throttle_only_on_the_request_endpoint_needs_only_its_rate() -> None:
    rates = {"django-rest-passwordreset-request-token": "5/hour"}
    with override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": rates}):
        assert messages(THROTTLE_CLASSES=SCOPED) == []
    with override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {}}):
        assert [m.id for m in messages(THROTTLE_CLASSES=SCOPED)] == ["resetkit.E008"]
