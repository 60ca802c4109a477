"""Settings of the end-to-end project, chosen through the environment.

``tests/e2e/conftest.py`` sets these for every process it starts (migrate, gunicorn, the
worker):

* ``RESETKIT_E2E_BACKEND``: ``database`` (django-tasks-db) or ``rq`` (django-tasks-rq); the
  task settings are those of ``tasks_database.py`` or ``tasks_rq.py`` as they stand, the very
  files the cookbook pages show;
* ``RESETKIT_E2E_DB_NAME`` (and ``RESETKIT_E2E_PG_HOST``, ``_PG_PORT``, ``_PG_USER``): the
  scratch PostgreSQL database;
* ``REDIS_URL``: the Redis database of the RQ queues and of the cache (``rq`` only), with
  ``RESETKIT_E2E_CACHE_PREFIX`` before every cache key (the only setting of the recipe's that
  this project changes);
* ``RESETKIT_E2E_SMTP_PORT``: the local SMTP sink that receives the e-mails;
* ``RESETKIT_E2E_ROLE``: ``web`` or ``worker``. The web process has no way to send e-mail
  (Django's dummy backend), so every e-mail that reaches the sink was sent by a worker.

``RESETKIT_E2E_BACKEND=threads`` (``tests/e2e/test_servers.py``) is the exception: no task
backend and no worker, resetkit's default executor (``ThreadExecutor``), and the web process
sends the e-mails, each marked with the process and thread that sent it
(``tests.e2e.project.mail``).

``RESETKIT_E2E_LIMITS``: ``off`` (default; no request throttle, every request comes from
127.0.0.1) or ``shipped`` (``tests/e2e/test_two_nodes.py``): resetkit's throttles and account
budget as shipped, the client told by the load balancer's ``X-Forwarded-For``
(``NUM_PROXIES = 1``), and every count in one Redis cache (``REDIS_URL``, keys under
``RESETKIT_E2E_CACHE_PREFIX``) shared by every web node and worker.

Every run also serves the demo's reset page (``example/demo``) at ``/reset/``.
"""

import os
from pathlib import Path

from tests.e2e.project import tasks_database, tasks_rq

BACKEND = os.environ.get("RESETKIT_E2E_BACKEND", "database")
_RECIPES = {"database": tasks_database, "rq": tasks_rq}
THREADS = BACKEND == "threads"
if BACKEND not in _RECIPES and not THREADS:
    raise RuntimeError(
        f"RESETKIT_E2E_BACKEND={BACKEND!r}: expected one of {sorted([*_RECIPES, 'threads'])}"
    )
ROLE = os.environ.get("RESETKIT_E2E_ROLE", "web")
LIMITS = os.environ.get("RESETKIT_E2E_LIMITS", "off")
if LIMITS not in ("off", "shipped"):
    raise RuntimeError(f"RESETKIT_E2E_LIMITS={LIMITS!r}: expected 'off' or 'shipped'")
#: The demo project (``example/``): its reset page's template and static files.
EXAMPLE_DIR = Path(__file__).resolve().parents[3] / "example"

SECRET_KEY = "resetkit-e2e-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "tests.e2e.project.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "resetkit",
    "tests.e2e.project.apps.E2EProjectConfig",
    *([] if THREADS else _RECIPES[BACKEND].INSTALLED_APPS),
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [EXAMPLE_DIR / "demo" / "templates"],
        "APP_DIRS": True,
    }
]
STATIC_URL = "static/"
DEMO_STATIC_ROOT = EXAMPLE_DIR / "demo" / "static"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("RESETKIT_E2E_DB_NAME", "resetkit_e2e"),
        "HOST": os.environ.get("RESETKIT_E2E_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("RESETKIT_E2E_PG_PORT", "5432"),
        "USER": os.environ.get("RESETKIT_E2E_PG_USER", "postgres"),
        "PASSWORD": "",
    }
}

_prefix = os.environ.get("RESETKIT_E2E_CACHE_PREFIX", "resetkit-e2e")
if BACKEND == "rq":
    RQ_QUEUES = tasks_rq.RQ_QUEUES
    # The recipe's cache, its keys kept apart from anything else in that Redis database.
    CACHES = {"default": {**tasks_rq.CACHES["default"], "KEY_PREFIX": _prefix}}
elif LIMITS == "shipped":
    # Several web nodes and workers: one count of each limit, in Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": _prefix,
        }
    }
else:
    # One web process and one worker process: each keeps its own counts.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if not THREADS:
    TASKS = _RECIPES[BACKEND].TASKS

RESETKIT = {
    # No ISSUE_EXECUTOR for "threads": the default one.
    **({} if THREADS else _RECIPES[BACKEND].RESETKIT),
    "RESET_URL": "https://app.example/reset?token={token}",
}
SILENCED_SYSTEM_CHECKS = []
if LIMITS == "off":
    # Every request comes from 127.0.0.1: the per-address throttle would stop the run.
    RESETKIT["THROTTLE_CLASSES"] = []
    # W004: "the request endpoint has no throttle", on purpose here.
    SILENCED_SYSTEM_CHECKS.append("resetkit.W004")
else:
    # Behind the load balancer: the client is the address it appends to X-Forwarded-For.
    REST_FRAMEWORK = {"NUM_PROXIES": 1}
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # W011: "the limits count per process"; these runs have one web process and one worker.
    SILENCED_SYSTEM_CHECKS.append("resetkit.W011")

DEFAULT_FROM_EMAIL = "resetkit e2e <noreply@app.example>"
if ROLE == "worker" or THREADS:
    EMAIL_BACKEND = (
        "tests.e2e.project.mail.SentByEmailBackend"
        if THREADS
        else "django.core.mail.backends.smtp.EmailBackend"
    )
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ.get("RESETKIT_E2E_SMTP_PORT", "25"))
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "resetkit": {"handlers": ["stderr"], "level": "INFO"},
        "django_tasks_db": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
