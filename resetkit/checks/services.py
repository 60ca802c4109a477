"""Checks of the services resetkit leans on: the caches it may use and the e-mail backend."""

from __future__ import annotations

import importlib.util
from typing import Any

from django.conf import settings
from django.core import checks

#: Cache backends that need the ``redis`` package (Django's own, and django-redis's).
REDIS_BACKEND_PREFIXES = ("django.core.cache.backends.redis.", "django_redis.")
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"


def redis_installed() -> bool:
    """Whether the ``redis`` package can be imported (looked up, not imported)."""
    return importlib.util.find_spec("redis") is not None


@checks.register(checks.Tags.caches)
def check_redis_package(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A Redis cache without the ``redis`` package fails on first use (throttles, budgets and
    the cache store all live in a cache), so every request to the endpoints would be a 500."""
    caches: Any = getattr(settings, "CACHES", None) or {}
    if not isinstance(caches, dict) or redis_installed():
        return []
    return [
        checks.Error(
            f"CACHES[{alias!r}] uses {config['BACKEND']}, but the 'redis' package is not "
            "installed: the throttles, the account budget and any cache token store on it fail "
            "on every request.",
            hint="pip install 'django-resetkit[redis]' (or: pip install redis).",
            obj=f"CACHES[{alias!r}]",
            id="resetkit.E015",
        )
        for alias, config in caches.items()
        if isinstance(config, dict)
        and str(config.get("BACKEND", "")).startswith(REDIS_BACKEND_PREFIXES)
    ]


def default_mailer() -> tuple[str, str, str, str] | None:
    """The default mail backend and host, and the names of the settings that set them:
    ``MAILERS["default"]`` where the project defines ``MAILERS`` (Django 6.1+), else
    ``EMAIL_BACKEND`` / ``EMAIL_HOST``. ``None`` when no default mailer is configured."""
    mailers = getattr(settings, "MAILERS", None)
    if isinstance(mailers, dict):
        default = mailers.get("default")
        if not isinstance(default, dict):
            return None
        options = default.get("OPTIONS") or {}
        return (
            str(default.get("BACKEND", "")),
            str(options.get("host", "localhost")) if isinstance(options, dict) else "",
            "MAILERS['default']['BACKEND']",
            "MAILERS['default']['OPTIONS']['host']",
        )
    return (
        str(getattr(settings, "EMAIL_BACKEND", SMTP_BACKEND)),
        str(getattr(settings, "EMAIL_HOST", "localhost")),
        "EMAIL_BACKEND",
        "EMAIL_HOST",
    )


@checks.register
def check_debug_email(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """In development, Django's SMTP default on ``localhost`` has nothing to talk to: each reset
    e-mail fails with "Connection refused" in the log while the request answers 200."""
    mailer = default_mailer()
    if not settings.DEBUG or mailer is None:
        return []
    backend, host, backend_setting, host_setting = mailer
    if backend != SMTP_BACKEND or host != "localhost":
        return []
    return [
        checks.Warning(
            "DEBUG is on and reset e-mails go to Django's default SMTP backend on localhost: "
            "unless a mail server listens there, every reset e-mail is lost (the request still "
            "answers 200).",
            hint=f"For development, set {backend_setting} = {CONSOLE_BACKEND!r} (e-mails are "
            f"printed to the console); in production, set {host_setting} to your mail server.",
            id="resetkit.W008",
        )
    ]
