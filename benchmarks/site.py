"""The tiny Django project the upstream package (and, for ``run.py``, resetkit) is measured in,
written at run time into a temporary directory.

One project serves either implementation: ``BENCH_IMPL`` (``resetkit`` or ``upstream``) picks
the app and its URLs, and the interpreter (upstream's virtualenv, or this one) provides it.
Everything else is the same for both: Django's four default password validators, the MD5
hasher, no throttles, Redis (``BENCH_REDIS_URL``) as the default cache, the database named by
``BENCH_DB`` (``postgres`` or ``sqlite``) and ``BENCH_DB_NAME``; ``BENCH_STORE`` resetkit's
token store (``orm``, ``cache`` or ``redis``); ``BENCH_EXECUTOR`` resetkit's issue executor
(``threads``, ``tasks``: django-tasks-db, ``tasks-rq`` and ``tasks-rq-simple``: django-tasks-rq,
``inline``). With ``BENCH_SMTP_PORT`` (the timing benchmark) it also runs the
demo project's middleware and e-mails each reset link through SMTP, as the demo does, and
answers alike for unknown addresses. No code of django-rest-passwordreset is ever written
here; it is installed from PyPI into its own virtualenv (:func:`support.upstream_python`).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

SETTINGS = """
    import os

    IMPL = os.environ["BENCH_IMPL"]
    APP = "resetkit" if IMPL == "resetkit" else "django_rest_passwordreset"
    SMTP_PORT = os.environ.get("BENCH_SMTP_PORT")

    SECRET_KEY = "benchmark-secret-key-not-for-production-" + "x" * 24
    DEBUG = False
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    USE_TZ = True
    TIME_ZONE = "UTC"
    ROOT_URLCONF = "benchsite.urls"
    WSGI_APPLICATION = "benchsite.wsgi.application"
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

    INSTALLED_APPS = [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "rest_framework",
        APP,
        "benchsite.apps.BenchSiteConfig",
    ]
    MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
    if SMTP_PORT:
        # The demo project's middleware, so both servers do the same work around the view.
        INSTALLED_APPS += ["django.contrib.sessions", "django.contrib.messages"]
        MIDDLEWARE = [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ]
        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        EMAIL_HOST = "127.0.0.1"
        EMAIL_PORT = int(SMTP_PORT)
        EMAIL_TIMEOUT = 10
        DEFAULT_FROM_EMAIL = "noreply@example.com"
        DJANGO_REST_PASSWORDRESET_NO_INFORMATION_LEAKAGE = True

    if os.environ.get("BENCH_DB", "sqlite") == "postgres":
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": os.environ.get("BENCH_DB_HOST", "127.0.0.1"),
                "PORT": "5432",
                "USER": "postgres",
                "NAME": os.environ["BENCH_DB_NAME"],
                "CONN_MAX_AGE": 600,
            }
        }
    else:
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.environ["BENCH_DB_NAME"],
            }
        }

    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
            # Apart per implementation and database, so that two servers never share keys;
            # BENCH_KEY_PREFIX="" measures Redis memory with Django's default (no prefix).
            "KEY_PREFIX": os.environ.get(
                "BENCH_KEY_PREFIX",
                f"bench-{IMPL}-{os.environ.get('BENCH_DB_NAME', '').rsplit('/', 1)[-1]}",
            ),
        }
    }

    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]

    REST_FRAMEWORK = {"DEFAULT_THROTTLE_CLASSES": [], "DEFAULT_THROTTLE_RATES": {}}
    # The flat name both implementations read: no request throttle, for a throughput test.
    DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES = []
    # Nor resetkit's per-client validate and confirm throttles, which upstream does not have:
    # wrk is one client, and its requests would measure fast 429 answers. ([] means DRF's
    # DEFAULT_THROTTLE_CLASSES, empty above.)
    RESETKIT = {"VALIDATE_THROTTLE_CLASSES": [], "CONFIRM_THROTTLE_CLASSES": []}
    if os.environ.get("BENCH_STORE") == "cache":
        RESETKIT["TOKEN_STORE"] = "resetkit.backends.cache.CacheTokenStore"
    elif os.environ.get("BENCH_STORE") == "redis":
        RESETKIT["TOKEN_STORE"] = {
            "CLASS": "resetkit.backends.redis.RedisTokenStore",
            "OPTIONS": {"url": os.environ["BENCH_REDIS_URL"]},
        }
    # Where resetkit's request endpoint runs its lookup, issuing and delivery: "threads" (the
    # default, a pool in each gunicorn worker), "tasks" (django-tasks-db: a table in this
    # database, emptied by a `db_worker` process the benchmark runs beside gunicorn) or
    # "tasks-rq" (django-tasks-rq: a queue in Redis, BENCH_REDIS_URL, named BENCH_TASK_QUEUE so
    # that two sites never share one, emptied by an `rqworker` process; "tasks-rq-simple" is the
    # same site, its worker RQ's SimpleWorker).
    EXECUTOR = os.environ.get("BENCH_EXECUTOR", "threads")
    TASK_QUEUE = os.environ.get("BENCH_TASK_QUEUE", "default")
    if IMPL == "resetkit" and EXECUTOR == "tasks":
        INSTALLED_APPS += ["django_tasks", "django_tasks_db"]
        TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": [TASK_QUEUE]}}
    elif IMPL == "resetkit" and EXECUTOR.startswith("tasks-rq"):
        INSTALLED_APPS += ["django_tasks", "django_rq", "django_tasks_rq"]
        REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
        RQ_QUEUES = {TASK_QUEUE: {"URL": REDIS_URL}}
        TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [TASK_QUEUE]}}
    if IMPL == "resetkit" and EXECUTOR.startswith("tasks"):
        RESETKIT["ISSUE_EXECUTOR"] = {
            "CLASS": "resetkit.executors.TasksExecutor",
            "OPTIONS": {"backend": "default", "queue_name": TASK_QUEUE},
        }
    elif IMPL == "resetkit" and EXECUTOR == "inline":
        RESETKIT["ISSUE_EXECUTOR"] = "resetkit.executors.InlineExecutor"
    # The per-account budget (ACCOUNT_TOKEN_RATE, 3/hour by default) stays on, as in a
    # deployment: the throughput section asks for every account once and clears the budgets
    # before each round, so it never refuses a token and each request pays its Redis commands.

    LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"console": {"class": "logging.StreamHandler"}},
        "root": {"handlers": ["console"], "level": "WARNING"},
    }
"""

URLS = """
    from django.conf import settings
    from django.urls import include, path

    urlpatterns = [
        path("api/password_reset/", include(f"{settings.APP}.urls", namespace="password_reset")),
    ]
"""

WSGI = """
    import os

    from django.core.wsgi import get_wsgi_application

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
    application = get_wsgi_application()
"""

APPS = """
    import os
    from urllib.parse import urlencode

    from django.apps import AppConfig, apps
    from django.conf import settings
    from django.core.mail import send_mail


    class BenchSiteConfig(AppConfig):
        name = "benchsite"

        def ready(self):
            # A project that listens for deleted tokens (an audit log, say): Django's
            # QuerySet.delete() then loads every deleted row to send the signal.
            if os.environ.get("BENCH_DELETE_RECEIVER"):
                from django.db.models.signals import post_delete

                model = apps.get_model(settings.APP, "ResetPasswordToken")
                post_delete.connect(on_token_deleted, sender=model, weak=False)
            if settings.SMTP_PORT and settings.IMPL == "upstream":
                from django_rest_passwordreset.signals import reset_password_token_created

                reset_password_token_created.connect(email_reset_token, weak=False)


    DELETED = []


    def on_token_deleted(sender, instance, **kwargs):
        DELETED.append(instance.pk)


    # The demo's receiver, word for word but for the import.
    def email_reset_token(sender, instance, reset_password_token, **kwargs):
        user = reset_password_token.user
        token = reset_password_token.key
        link = f"http://127.0.0.1:8000/reset/?{urlencode({'token': token})}"
        send_mail(
            subject="Reset your password",
            message=(
                f"Hello {user.get_username()},\\n\\n"
                f"someone (hopefully you) asked to reset your password. Open this link:\\n\\n"
                f"    {link}\\n\\n"
                f"or send this token to the API:\\n\\n"
                f"    {token}\\n\\n"
                f"If it was not you, ignore this e-mail: your password stays as it is.\\n"
            ),
            from_email=None,
            recipient_list=[user.email],
        )
"""


def write_site(root: Path) -> Path:
    """Write the project under ``root`` (a temporary directory); return the path to put on
    ``PYTHONPATH``."""
    package = root / "benchsite"
    package.mkdir(parents=True, exist_ok=True)
    files = {"__init__.py": "", "settings.py": SETTINGS, "urls.py": URLS, "wsgi.py": WSGI}
    files["apps.py"] = APPS
    for name, text in files.items():
        (package / name).write_text(textwrap.dedent(text).lstrip())
    return root
