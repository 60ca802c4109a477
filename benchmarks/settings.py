"""Settings of the demo project as the race, timing and burst benchmarks serve it.

The demo's own settings, with what a measurement needs instead of what a demo needs, chosen
through the environment (the scripts set these for the server and for themselves):

* ``BENCH_DB``: ``postgres`` (default) or ``mariadb``; ``BENCH_DB_NAME``, ``BENCH_DB_HOST``,
  ``BENCH_DB_PORT``, ``BENCH_DB_USER`` name the database;
* ``BENCH_REDIS_URL``: the Redis database of the default cache (and of the cache store), whose
  keys are prefixed with the database name;
* ``BENCH_TOKEN_STORE``: ``orm`` (default) or ``cache``;
* ``BENCH_SMTP_PORT``: set, e-mails go to an SMTP server on that loopback port; unset, they
  are kept in memory (Django's locmem backend) and go nowhere;
* ``BENCH_EXECUTOR``: where the request endpoint's lookup, issuing and e-mailing run
  (``RESETKIT["ISSUE_EXECUTOR"]``): ``threads`` (default), ``tasks`` (``TasksExecutor``
  through ``django_tasks_db`` on the same database; ``manage.py db_worker`` runs the jobs) or
  ``inline`` (before answering: the control experiment of the timing benchmark);
* ``BENCH_LIMITS``: ``off`` (default: no throttle, no per-account budget; the race and timing
  benchmarks send many requests from one address for one account and measure the flow) or
  ``shipped`` (``make attack``: every limit on as shipped, DRF's ``NUM_PROXIES = 1`` so that
  the client address is the last ``X-Forwarded-For`` entry); with ``ATTACK_SHORT_CODES=1`` the
  generator makes six-digit codes and the store logs its lookups
  (``benchmarks.server.LoggingORMTokenStore``).
"""

import os

from demo.settings import *  # noqa: F403

DEBUG = False

_DB = os.environ.get("BENCH_DB", "postgres")
if _DB == "postgres":
    _ENGINE, _PORT, _USER, _OPTIONS = "django.db.backends.postgresql", "5432", "postgres", {}
elif _DB == "mariadb":
    _ENGINE, _PORT, _USER = "django.db.backends.mysql", "3306", "root"
    _OPTIONS = {"charset": "utf8mb4"}
else:
    raise RuntimeError(f"BENCH_DB={_DB!r}: expected postgres or mariadb")

DATABASES = {
    "default": {
        "ENGINE": _ENGINE,
        "NAME": os.environ.get("BENCH_DB_NAME", "resetkit_bench"),
        "HOST": os.environ.get("BENCH_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("BENCH_DB_PORT", _PORT),
        "USER": os.environ.get("BENCH_DB_USER", _USER),
        "PASSWORD": "",
        "OPTIONS": _OPTIONS,
        # Each gunicorn thread keeps its connection, as a production deployment would.
        "CONN_MAX_AGE": 60,
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "KEY_PREFIX": os.environ.get("BENCH_DB_NAME", "resetkit_bench"),
    }
}

_STORES = {
    "orm": "resetkit.backends.orm.ORMTokenStore",
    "cache": "resetkit.backends.cache.CacheTokenStore",
}
_EXECUTORS = {
    "threads": "resetkit.executors.ThreadExecutor",
    "tasks": {
        "CLASS": "resetkit.executors.TasksExecutor",
        "OPTIONS": {"backend": "default", "queue_name": "default"},
    },
    "inline": "resetkit.executors.InlineExecutor",
}
_EXECUTOR = os.environ.get("BENCH_EXECUTOR", "threads")
if _EXECUTOR not in _EXECUTORS:
    raise RuntimeError(f"BENCH_EXECUTOR={_EXECUTOR!r}: expected threads, tasks or inline")

RESETKIT = {
    "TOKEN_STORE": _STORES[os.environ.get("BENCH_TOKEN_STORE", "orm")],
    "ISSUE_EXECUTOR": _EXECUTORS[_EXECUTOR],
    # []: only DRF's DEFAULT_THROTTLE_CLASSES, which are none here.
    "THROTTLE_CLASSES": [],
    "VALIDATE_THROTTLE_CLASSES": [],
    "CONFIRM_THROTTLE_CLASSES": [],
    "ACCOUNT_TOKEN_RATE": None,
}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": {},
}
# W004: "the request endpoint has no throttle" is the point here.
SILENCED_SYSTEM_CHECKS = ["resetkit.W004"]

if os.environ.get("BENCH_LIMITS", "off") == "shipped":
    for _name in ("THROTTLE_CLASSES", "VALIDATE_THROTTLE_CLASSES", "CONFIRM_THROTTLE_CLASSES"):
        RESETKIT[_name] = None
    RESETKIT["ACCOUNT_TOKEN_RATE"] = "3/hour"
    REST_FRAMEWORK["NUM_PROXIES"] = 1
    SILENCED_SYSTEM_CHECKS = []
    if os.environ.get("ATTACK_SHORT_CODES") == "1":
        RESETKIT["TOKEN_GENERATOR"] = {
            "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
            "OPTIONS": {"min_number": 100000, "max_number": 999999},
        }
        RESETKIT["TOKEN_STORE"] = "benchmarks.server.LoggingORMTokenStore"

if _EXECUTOR == "tasks":
    # Django 6.0+ has the Tasks framework built in, 5.2 needs the django-tasks backport.
    try:
        import django.tasks  # noqa: F401

        _TASK_APPS = ["django_tasks_db"]
    except ImportError:
        _TASK_APPS = ["django_tasks", "django_tasks_db"]
    INSTALLED_APPS = [*INSTALLED_APPS, *_TASK_APPS]  # noqa: F405
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

if os.environ.get("BENCH_SMTP_PORT"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ["BENCH_SMTP_PORT"])
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"resetkit": {"handlers": ["stderr"], "level": "WARNING"}},
}
