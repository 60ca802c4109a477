"""Settings of the resetkit demo: local development only, never for production."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent  # example/

# A fixed key is fine for a demo on your own machine; a real project reads it from the
# environment. resetkit keys its token digests with it.
SECRET_KEY = "django-insecure-resetkit-demo-only"
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",  # the OpenAPI schema (/api/schema/) and Swagger UI (/api/docs/)
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here rather than a CDN
    "resetkit",  # the ORM token store's table comes with `migrate`
    "demo",  # the e-mail receiver, the whoami endpoint and the reset page
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"

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

# One SQLite file next to manage.py (git-ignored); `make clean` removes it. DEMO_DB_PATH points
# elsewhere (the browser test uses a fresh file in a temporary directory).
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB_PATH", BASE_DIR / "db.sqlite3"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The confirm endpoint checks new passwords against these validators (400 on a weak one).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# E-mails are printed in the terminal that runs `runserver`, tokens included.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "noreply@example.com"

# Where the e-mailed link points: the small reset page served by this project.
# DEMO_RESET_PAGE_URL in the environment overrides it when the demo serves on another address.
DEMO_RESET_PAGE_URL = os.environ.get("DEMO_RESET_PAGE_URL", "http://127.0.0.1:8000/reset/")
# The link itself: the token goes in the fragment (after "#"), which browsers never send to the
# server, so it stays out of access logs, proxies and Referer headers. "{token}" is replaced by
# the URL-quoted token; the page reads it from location.hash.
DEMO_RESET_URL = f"{DEMO_RESET_PAGE_URL}#token={{token}}"

RESETKIT = {
    # After a reset, resetkit.contrib.email (connected in demo/apps.py for its notices only; the
    # links and codes are sent by demo/receivers.py) prints "Your password was changed" here.
    "PASSWORD_CHANGED_NOTICE": True,
}

REST_FRAMEWORK = {
    # The shipped request-token limit is 3 a day per address; a demo wants more tries.
    # (Each account also has a budget of new tokens per hour; past it the endpoint still
    # answers 200 but sends no e-mail, so that the answer tells nothing.)
    # DEMO_THROTTLE_RATE overrides it, e.g. "10000/minute" for `make schemathesis`.
    "DEFAULT_THROTTLE_RATES": {
        "django-rest-passwordreset-request-token": os.environ.get("DEMO_THROTTLE_RATE", "30/hour")
    },
    # resetkit describes its endpoints to drf-spectacular (docs/openapi.md).
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "resetkit demo",
    "DESCRIPTION": "Password reset: request a token by e-mail, check it, set a new password.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,  # the schema's own URL is not part of the API
    # Request bodies get their own components, with the input rules (non-blank strings) that
    # only apply on the way in: what client generators and schemathesis need.
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"
