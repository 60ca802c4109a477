"""E015 (a Redis cache without the ``redis`` package) and W008 (``DEBUG`` with Django's SMTP
default on localhost)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from resetkit.checks import check_debug_email, check_redis_package
from resetkit.checks import services as services_checks

SMTP = "django.core.mail.backends.smtp.EmailBackend"
# The suite's own default cache is Redis in the service runs: these tests bring their own.
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def no_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services_checks, "redis_installed", lambda: False)


@pytest.mark.parametrize(
    "backend",
    ["django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"],
)
def test_redis_cache_without_the_package_is_an_error(no_redis: Any, backend: str) -> None:
    caches = {**LOCMEM, "shared": {"BACKEND": backend, "LOCATION": "redis://x/0"}}
    with override_settings(CACHES=caches):
        found = check_redis_package()
        if backend.startswith("django.core"):  # Django's own cache checks import django_redis
            assert "resetkit.E015" in {m.id for m in checks.run_checks(tags=["caches"])}
    assert [m.id for m in found] == ["resetkit.E015"]
    assert "CACHES['shared']" in found[0].msg and "'redis' package" in found[0].msg
    assert found[0].hint == "pip install 'django-resetkit[redis]' (or: pip install redis)."


def test_no_redis_cache_needs_no_package(no_redis: Any) -> None:
    with override_settings(CACHES=LOCMEM):
        assert check_redis_package() == []


def test_redis_cache_with_the_package_is_clean() -> None:
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    with override_settings(CACHES=caches):
        assert check_redis_package() == []


def test_debug_with_default_smtp_on_localhost_warns() -> None:
    with override_settings(DEBUG=True, EMAIL_BACKEND=SMTP, EMAIL_HOST="localhost"):
        found = check_debug_email()
        assert "resetkit.W008" in {m.id for m in checks.run_checks()}
    assert [m.id for m in found] == ["resetkit.W008"]
    assert "every reset e-mail is lost" in found[0].msg
    assert "django.core.mail.backends.console.EmailBackend" in (found[0].hint or "")


@pytest.mark.parametrize(
    "overrides",
    [
        {"DEBUG": False, "EMAIL_BACKEND": SMTP, "EMAIL_HOST": "localhost"},
        {"DEBUG": True, "EMAIL_BACKEND": SMTP, "EMAIL_HOST": "smtp.example.com"},
        {"DEBUG": True, "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
    ],
)
def test_a_configured_mail_setup_is_clean(overrides: dict[str, Any]) -> None:
    with override_settings(**overrides):
        assert check_debug_email() == []


@pytest.mark.parametrize(
    ("mailers", "warns"),
    [
        ({"default": {"BACKEND": SMTP}}, True),
        ({"default": {"BACKEND": SMTP, "OPTIONS": {"host": "smtp.example.com"}}}, False),
        ({"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}, False),
        ({}, False),
    ],
)
def test_mailers_of_django_6_1_are_read_instead_of_email_backend(
    monkeypatch: Any, mailers: dict[str, Any], warns: bool
) -> None:
    """Django 6.1's ``startproject`` writes ``MAILERS`` (console backend) and refuses
    ``EMAIL_BACKEND`` beside it: the check reads, and its hint names, ``MAILERS``."""
    from types import SimpleNamespace

    from resetkit.checks import services

    project = SimpleNamespace(DEBUG=True, MAILERS=mailers, EMAIL_BACKEND=SMTP)
    monkeypatch.setattr(services, "settings", project)
    found = check_debug_email()
    assert [m.id for m in found] == (["resetkit.W008"] if warns else [])
    if warns:
        assert "MAILERS['default']['BACKEND']" in (found[0].hint or "")
