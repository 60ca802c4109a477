"""Settings for the test suite.

The environment picks the real services a run talks to:

* ``RESETKIT_TEST_DB``: ``sqlite`` (default), ``postgres`` or ``mariadb``;
* ``RESETKIT_TEST_CACHE``: ``locmem`` (default) or ``redis``;
* ``RESETKIT_TEST_USER_MODEL``: ``auth`` (default) or ``uuid`` (a custom user with a UUID key);
* ``RESETKIT_TEST_REPLICA=1``: a second database, ``replica``, and a router that sends reads
  there and writes to ``default`` (``tests/replicas/``);
* ``RESETKIT_PG_PORT=6432`` or ``RESETKIT_PG_BOUNCER=1``: PostgreSQL through PgBouncer in
  transaction mode (``.ci/pgbouncer.sh``), which needs server-side cursors off.

A service asked for here and unreachable makes the run fail (see ``conftest.py``), never skip.
"""

import os
import tempfile
from typing import Any

SECRET_KEY = "resetkit-tests-not-secret-but-long-enough-for-hs256"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    # Credentials the post-reset revokers end.
    "rest_framework.authtoken",
    "rest_framework_simplejwt.token_blacklist",
    "resetkit",
    "tests.testapp",
    # The profile model of the cookbook's lookup-by-phone recipe.
    "tests.cookbookapp",
    # The second factor of the cookbook's log-in-after-reset and reset-with-TOTP recipes.
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DB_KIND = os.environ.get("RESETKIT_TEST_DB", "sqlite")
CACHE_KIND = os.environ.get("RESETKIT_TEST_CACHE", "locmem")
USER_MODEL_KIND = os.environ.get("RESETKIT_TEST_USER_MODEL", "auth")

DATABASES: dict[str, dict[str, Any]]
if DB_KIND == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("RESETKIT_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("RESETKIT_PG_PORT", "5432"),
            "USER": os.environ.get("RESETKIT_PG_USER", "postgres"),
            "NAME": "test",
            "TEST": {"NAME": os.environ.get("RESETKIT_PG_TEST_NAME", "test_resetkit")},
        }
    }
elif DB_KIND == "mariadb":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "HOST": os.environ.get("RESETKIT_MARIADB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("RESETKIT_MARIADB_PORT", "3306"),
            "USER": os.environ.get("RESETKIT_MARIADB_USER", "root"),
            "PASSWORD": "",
            "NAME": "test",
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {
                "NAME": os.environ.get("RESETKIT_MARIADB_TEST_NAME", "test_resetkit"),
                "CHARSET": "utf8mb4",
                "COLLATION": "utf8mb4_unicode_ci",
            },
        }
    }
elif DB_KIND == "sqlite":
    # A file, not ":memory:", so that the concurrency tests' threads really share one database
    # and wait for each other's write lock instead of failing with "table is locked".
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(tempfile.gettempdir(), "resetkit-dev.sqlite3"),
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
            "TEST": {
                "NAME": os.path.join(tempfile.gettempdir(), f"resetkit-test-{os.getpid()}.sqlite3")
            },
        }
    }
else:
    raise RuntimeError(f"RESETKIT_TEST_DB={DB_KIND!r}: expected sqlite, postgres or mariadb")

# PgBouncer in transaction mode hands each transaction whichever server connection is free: a
# server-side cursor (a named cursor, kept between transactions) would be lost.
PG_BOUNCER = DB_KIND == "postgres" and (
    os.environ.get("RESETKIT_PG_BOUNCER") == "1" or DATABASES["default"]["PORT"] == "6432"
)
if PG_BOUNCER:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

# A second real database that the router reads from and never writes to: it holds what a test
# copies there (the users), and never the tokens written later, like a replica that lags.
REPLICA = os.environ.get("RESETKIT_TEST_REPLICA") == "1"
if REPLICA:
    if DB_KIND == "mariadb":
        raise RuntimeError("RESETKIT_TEST_REPLICA=1: runs on sqlite or postgres")
    _primary = DATABASES["default"]
    if DB_KIND == "sqlite":
        _replica_test_name = os.path.join(
            tempfile.gettempdir(), f"resetkit-test-{os.getpid()}-replica.sqlite3"
        )
    else:
        _replica_test_name = os.environ.get(
            "RESETKIT_PG_REPLICA_TEST_NAME", f"{_primary['TEST']['NAME']}_replica"
        )
    DATABASES["replica"] = {**_primary, "TEST": {"NAME": _replica_test_name}}
    DATABASE_ROUTERS = ["tests.replicas.routers.PrimaryReplicaRouter"]

if CACHE_KIND == "redis":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("RESETKIT_REDIS_URL", "redis://127.0.0.1:6379/1"),
            "KEY_PREFIX": f"resetkit-test-{os.getpid()}",
        }
    }
elif CACHE_KIND == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise RuntimeError(f"RESETKIT_TEST_CACHE={CACHE_KIND!r}: expected locmem or redis")

if USER_MODEL_KIND == "uuid":
    AUTH_USER_MODEL = "testapp.UUIDUser"
elif USER_MODEL_KIND == "auth":
    # The custom user's migration would create its table beside auth.User for nothing.
    MIGRATION_MODULES = {"testapp": None}
else:
    raise RuntimeError(f"RESETKIT_TEST_USER_MODEL={USER_MODEL_KIND!r}: expected auth or uuid")

# Fast hashing: the suite measures resetkit, not PBKDF2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK: dict[str, object] = {
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": {},
}

# Tests opt into throttling where they test it; every other test must be able to request
# tokens freely. The issuing work runs inline, as a project's own tests would run it (see
# docs/deployment.md); tests/executors/ covers the thread and task executors.
RESETKIT: dict[str, object] = {
    "THROTTLE_CLASSES": [],
    "ISSUE_EXECUTOR": "resetkit.executors.InlineExecutor",
}

# The Tasks framework (built in from Django 6.0, the django-tasks backport before): tasks run
# at enqueue by default; tests/executors/ also uses the backend that only records them.
try:
    import django.tasks  # noqa: F401

    _TASKS_PACKAGE = "django.tasks"
except ImportError:
    _TASKS_PACKAGE = "django_tasks"
TASKS = {
    "default": {"BACKEND": f"{_TASKS_PACKAGE}.backends.immediate.ImmediateBackend"},
    "recorded": {"BACKEND": f"{_TASKS_PACKAGE}.backends.dummy.DummyBackend", "QUEUES": ["resets"]},
}
