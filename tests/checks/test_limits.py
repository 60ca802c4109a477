"""W011: a throttle, the per-account budget or the code attempts counted in a cache that the
server processes do not share (per process, per machine, or nowhere) while ``DEBUG`` is off."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.core.cache import cache as default_cache
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings
from django.urls import include, path
from rest_framework.throttling import AnonRateThrottle

from resetkit.checks import check_limit_caches
from resetkit.throttling import ResetPasswordRequestTokenThrottle

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "limits"}
DUMMY = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
REDIS = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x:1/0"}
MEMCACHED = {
    "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
    "LOCATION": "127.0.0.1:1",
}
SHORT_CODES = {
    "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
    "OPTIONS": {"min_number": 100000, "max_number": 999999},
}
#: No limit at all: no throttle on any endpoint, no account budget.
NO_LIMITS = {
    "THROTTLE_CLASSES": [],
    "VALIDATE_THROTTLE_CLASSES": [],
    "CONFIRM_THROTTLE_CLASSES": [],
    "ACCOUNT_TOKEN_RATE": None,
}
NO_DRF_THROTTLES = {"DEFAULT_THROTTLE_CLASSES": [], "DEFAULT_THROTTLE_RATES": {}}

# The three endpoints alone (the suite's URLconf also routes the code flow's views, whose
# short codes are counted per account).
urlpatterns = [path("api/password_reset/", include("resetkit.urls", namespace="password_reset"))]


class SharedCacheThrottle(ResetPasswordRequestTokenThrottle):
    cache_alias = "shared"


class LocalCacheThrottle(ResetPasswordRequestTokenThrottle):
    cache_alias = "local"


class OwnCacheAnonThrottle(AnonRateThrottle):
    cache = LocMemCache("own", {})


def found(
    *, debug: bool = False, default: dict[str, Any] = LOCMEM, **resetkit: Any
) -> list[checks.CheckMessage]:
    """W011 under ``RESETKIT = resetkit`` (the shipped limits unless given), the default cache
    ``default``, a shared one (Redis) and a local one (LocMemCache)."""
    with override_settings(
        DEBUG=debug,
        ROOT_URLCONF=__name__,
        CACHES={"default": default, "shared": REDIS, "local": LOCMEM},
        RESETKIT=resetkit,
    ):
        return check_limit_caches()


def test_the_shipped_limits_on_a_per_process_cache_warn() -> None:
    [message] = found()
    assert message.id == "resetkit.W011"
    assert isinstance(message, checks.Warning)
    assert message.obj == "CACHES['default']"
    assert message.msg.startswith(
        "The throttles of the request, validate and confirm endpoints and the per-account token "
        "budget (ACCOUNT_TOKEN_RATE) count in CACHES['default'], a LocMemCache, which counts "
        "per process"
    )
    assert "Point CACHES['default'] at a cache every server process" in (message.hint or "")


def test_debug_is_one_development_server() -> None:
    assert found(debug=True) == []


@pytest.mark.parametrize("shared", [REDIS, MEMCACHED], ids=["redis", "memcached"])
def test_a_shared_cache_is_clean(shared: dict[str, Any]) -> None:
    assert found(default=shared) == []


def test_a_dummy_cache_keeps_no_count() -> None:
    [message] = found(default=DUMMY)
    assert "a DummyCache, which keeps no count" in message.msg


def test_a_file_based_cache_counts_per_machine(tmp_path: Any) -> None:
    files = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
             "LOCATION": str(tmp_path)}  # fmt: skip
    [message] = found(default=files)
    assert "a FileBasedCache, which counts per machine" in message.msg


def test_only_the_limits_in_force_are_named() -> None:
    """No throttle on validate and confirm, no budget: the request throttle alone."""
    [message] = found(
        VALIDATE_THROTTLE_CLASSES=[], CONFIRM_THROTTLE_CLASSES=[], ACCOUNT_TOKEN_RATE=None
    )
    assert message.msg.startswith(
        "The throttles of the request endpoint count in CACHES['default'], a LocMemCache"
    )


def test_no_limit_nothing_to_say() -> None:
    with override_settings(REST_FRAMEWORK=NO_DRF_THROTTLES):
        assert found(**NO_LIMITS) == []


def test_each_limit_is_looked_for_in_its_own_cache() -> None:
    """A throttle on a shared alias is fine while the default cache is per process; one on a
    per-process alias is reported under that alias, beside the budget on the default cache."""
    with override_settings(REST_FRAMEWORK=NO_DRF_THROTTLES):
        on_shared = {**NO_LIMITS, "THROTTLE_CLASSES": [SharedCacheThrottle]}
        assert found(default=REDIS, **on_shared) == []
        on_local = {**NO_LIMITS, "THROTTLE_CLASSES": [LocalCacheThrottle]}
        [message] = found(default=REDIS, **on_local)
        assert message.obj == "CACHES['local']"
        assert message.msg.startswith("The throttles of the request endpoint count in")

        both = {**on_local, "ACCOUNT_TOKEN_RATE": "3/hour"}
        messages = found(default=DUMMY, **both)
    assert {m.obj: m.msg.split(" count in ")[0] for m in messages} == {
        "CACHES['local']": "The throttles of the request endpoint",
        "CACHES['default']": "The per-account token budget (ACCOUNT_TOKEN_RATE)",
    }


def test_drf_throttles_count_in_the_cache_they_hold() -> None:
    """DRF's throttles hold a cache object: Django's default cache, or one of their own."""
    assert AnonRateThrottle.cache is default_cache
    rest_framework = {"DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
                      "DEFAULT_THROTTLE_RATES": {"anon": "10/hour"}}  # fmt: skip
    with override_settings(REST_FRAMEWORK=rest_framework):
        # [] on each endpoint: DRF's DEFAULT_THROTTLE_CLASSES alone.
        [message] = found(**NO_LIMITS)
    assert message.obj == "CACHES['default']"
    assert message.msg.startswith(
        "The throttles of the request, validate and confirm endpoints count in"
    )

    with override_settings(REST_FRAMEWORK=NO_DRF_THROTTLES):
        [message] = found(
            default=REDIS, **{**NO_LIMITS, "THROTTLE_CLASSES": [OwnCacheAnonThrottle]}
        )
    assert message.obj == "the cache of OwnCacheAnonThrottle"
    assert "a LocMemCache" in message.msg


def test_short_codes_count_their_attempts() -> None:
    with override_settings(REST_FRAMEWORK=NO_DRF_THROTTLES):
        [message] = found(**NO_LIMITS, TOKEN_GENERATOR=SHORT_CODES)
        assert message.msg.startswith(
            "The short-code attempt limit (CODE_ATTEMPT_LIMIT) count in CACHES['default']"
        )
        [message] = found(**NO_LIMITS, TOKEN_GENERATOR=SHORT_CODES, CODE_ONLY_LOOKUP=True)
    assert message.msg.startswith(
        "The short-code attempt limit (CODE_ATTEMPT_LIMIT) and the budget of wrong codes "
        "(CODE_ONLY_GUESS_RATE) count in"
    )


def test_unreadable_settings_leave_it_to_e001() -> None:
    assert found(TOKEN_EXPIRY=2) == []


def test_registered_with_django() -> None:
    """``manage.py check`` shows it (with the caches' checks)."""
    with override_settings(DEBUG=False, ROOT_URLCONF=__name__, CACHES={"default": LOCMEM}):
        assert "resetkit.W011" in {m.id for m in checks.run_checks(tags=[checks.Tags.caches])}
        assert "resetkit.W011" in {m.id for m in checks.run_checks()}
