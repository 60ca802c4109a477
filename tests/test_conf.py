"""Settings: every row of DESIGN.md's table, in both spellings, read at call time.

Each row has a *probe*: a request a user would make, asserting either the configured behaviour
(``active=True``) or the default one. Running the probe under the ``RESETKIT`` key, under the
upstream flat name, with neither, and with both (``RESETKIT`` holding the default) proves the
alias works, the default matches the table, and ``RESETKIT`` wins.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from rest_framework.test import APIRequestFactory

from resetkit.conf import DEFAULTS, LEGACY_ALIASES, resetkit_settings
from resetkit.models import ResetPasswordToken
from resetkit.views import reset_password_request_token
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

REQUEST_URL = "/api/password_reset/"
VALIDATE_URL = "/api/password_reset/validate_token/"

NUMERIC = {
    "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
    "OPTIONS": {"min_number": 100_000, "max_number": 999_999},
}
CACHE_STORE = "resetkit.backends.cache.CacheTokenStore"
ANON_THROTTLE = ["rest_framework.throttling.AnonRateThrottle"]
ONE_ANON_A_DAY = {"DEFAULT_THROTTLE_CLASSES": [], "DEFAULT_THROTTLE_RATES": {"anon": "1/day"}}


def post(client: Any, url: str, body: dict[str, str], **extra: Any) -> Any:
    return client.post(url, body, format="json", **extra)


# -- probes: one per settings row ------------------------------------------------------------


def probe_expiry(env: Any, active: bool) -> None:
    """Configured: 1 hour. A token two hours old is dead at 1h and alive at the default 24h."""
    env.make_user(email="alice@example.com")
    post(env.client, REQUEST_URL, {"email": "alice@example.com"})
    env.clock.shift(timedelta(hours=2))
    response = post(env.client, VALIDATE_URL, {"token": env.signals.keys[0]})
    assert response.status_code == (404 if active else 200)


def probe_information_leakage(env: Any, active: bool) -> None:
    """Configured: False, the legacy 400 for an unknown account; default: the same 200."""
    response = post(env.client, REQUEST_URL, {"email": "nobody@example.com"})
    if active:
        assert response.status_code == 400
        assert list(response.json()) == ["email"]
    else:
        assert response.status_code == 200
        assert response.json() == {"status": "OK"}


def probe_usable_password(env: Any, active: bool) -> None:
    """Configured: False, so an account without a usable password (LDAP) gets a token."""
    env.make_user(email="ldap@example.com", password=None)
    post(env.client, REQUEST_URL, {"email": "ldap@example.com"})
    assert len(env.signals.created) == (1 if active else 0)


def probe_lookup_field(env: Any, active: bool) -> None:
    """Configured: "username", so the submitted address is matched against usernames."""
    target = env.make_user(email="real@example.com", username="handle@example.com")
    post(env.client, REQUEST_URL, {"email": "handle@example.com"})
    assert [t.user.pk for t in env.signals.tokens] == ([target.pk] if active else [])


def probe_ip_header(env: Any, active: bool) -> None:
    """Configured: X-Forwarded-For (first entry); default: REMOTE_ADDR."""
    env.make_user(email="alice@example.com")
    post(
        env.client,
        REQUEST_URL,
        {"email": "alice@example.com"},
        REMOTE_ADDR="10.9.9.9",
        HTTP_X_FORWARDED_FOR="203.0.113.7, 10.0.0.1",
    )
    assert env.signals.tokens[0].ip_address == ("203.0.113.7" if active else "10.9.9.9")


def probe_user_agent_header(env: Any, active: bool) -> None:
    """Configured: an X-Client-Agent header; default: User-Agent."""
    env.make_user(email="alice@example.com")
    post(
        env.client,
        REQUEST_URL,
        {"email": "alice@example.com"},
        HTTP_USER_AGENT="standard/1.0",
        HTTP_X_CLIENT_AGENT="custom/2.0",
    )
    assert env.signals.tokens[0].user_agent == ("custom/2.0" if active else "standard/1.0")


def probe_token_generator(env: Any, active: bool) -> None:
    """Configured: six-digit numbers; default: at least 32 lowercase hex characters."""
    env.make_user(email="alice@example.com")
    post(env.client, REQUEST_URL, {"email": "alice@example.com"})
    key = env.signals.keys[0]
    if active:
        assert re.fullmatch(r"[1-9][0-9]{5}", key)
    else:
        assert re.fullmatch(r"[0-9a-f]{32,}", key)
    # A short code is presented with the account it was sent to.
    body = {"token": key, "email": "alice@example.com"} if active else {"token": key}
    assert post(env.client, VALIDATE_URL, body).status_code == 200


def probe_throttle_classes(env: Any, active: bool) -> None:
    """Configured: AnonRateThrottle at 1/day; default: resetkit's 3/day per address."""
    with override_settings(REST_FRAMEWORK=ONE_ANON_A_DAY):
        codes = [
            post(env.client, REQUEST_URL, {"email": "nobody@example.com"}).status_code
            for _ in range(4)
        ]
    assert codes == ([200, 429, 429, 429] if active else [200, 200, 200, 429])


def probe_user_details(env: Any, active: bool) -> None:
    """Configured: True, so a good token's validation names the account."""
    env.make_user(email="alice@example.com", username="alice")
    post(env.client, REQUEST_URL, {"email": "alice@example.com"})
    body = post(env.client, VALIDATE_URL, {"token": env.signals.keys[0]}).json()
    if active:
        assert body == {"status": "OK", "username": "alice", "email": "alice@example.com"}
    else:
        assert body == {"status": "OK"}


def probe_token_store(env: Any, active: bool) -> None:
    """Configured: the cache store, so no row is written; default: the ORM table."""
    user = env.make_user(email="alice@example.com")
    post(env.client, REQUEST_URL, {"email": "alice@example.com"})
    assert ResetPasswordToken.objects.filter(user=user).exists() is not active
    assert post(env.client, VALIDATE_URL, {"token": env.signals.keys[0]}).status_code == 200


@dataclass(frozen=True)
class Row:
    key: str
    alias: str | None
    default: Any
    value: Any
    probe: Callable[[Any, bool], None]


ROWS = [
    Row("TOKEN_EXPIRY_HOURS", LEGACY_ALIASES["TOKEN_EXPIRY_HOURS"], 24, 1, probe_expiry),
    Row(
        "NO_INFORMATION_LEAKAGE",
        LEGACY_ALIASES["NO_INFORMATION_LEAKAGE"],
        True,
        False,
        probe_information_leakage,
    ),
    Row(
        "REQUIRE_USABLE_PASSWORD",
        LEGACY_ALIASES["REQUIRE_USABLE_PASSWORD"],
        True,
        False,
        probe_usable_password,
    ),
    Row("LOOKUP_FIELD", LEGACY_ALIASES["LOOKUP_FIELD"], "email", "username", probe_lookup_field),
    Row(
        "IP_ADDRESS_HEADER",
        LEGACY_ALIASES["IP_ADDRESS_HEADER"],
        "REMOTE_ADDR",
        "HTTP_X_FORWARDED_FOR",
        probe_ip_header,
    ),
    Row(
        "USER_AGENT_HEADER",
        LEGACY_ALIASES["USER_AGENT_HEADER"],
        "HTTP_USER_AGENT",
        "HTTP_X_CLIENT_AGENT",
        probe_user_agent_header,
    ),
    Row(
        "TOKEN_GENERATOR",
        LEGACY_ALIASES["TOKEN_GENERATOR"],
        "resetkit.generators.RandomStringTokenGenerator",
        NUMERIC,
        probe_token_generator,
    ),
    Row(
        "THROTTLE_CLASSES",
        LEGACY_ALIASES["THROTTLE_CLASSES"],
        None,
        ANON_THROTTLE,
        probe_throttle_classes,
    ),
    Row(
        "USER_DETAILS_ON_VALIDATION",
        LEGACY_ALIASES["USER_DETAILS_ON_VALIDATION"],
        False,
        True,
        probe_user_details,
    ),
    Row("TOKEN_STORE", None, "resetkit.backends.orm.ORMTokenStore", CACHE_STORE, probe_token_store),
]
ROW_IDS = [row.key for row in ROWS]
ALIASED_ROWS = [row for row in ROWS if row.alias]


def test_the_table_covers_every_setting_and_alias() -> None:
    """A new setting or alias without a row here would go untested."""
    # Settings resetkit adds (no upstream alias) are proven where their feature is tested:
    # CLEANUP_BATCH_SIZE in test_cleanup_command.py, RESET_URL in tests/contrib/test_email.py,
    # the others in tests/security/.
    resetkit_only = {
        "CLEANUP_BATCH_SIZE",
        "ISSUE_AFTER_RESPONSE",
        "ISSUE_EXECUTOR",
        "ACCOUNT_TOKEN_RATE",
        "VALIDATE_THROTTLE_CLASSES",
        "CONFIRM_THROTTLE_CLASSES",
        "POST_RESET_REVOKERS",
        "RESET_URL",
        "IPV6_PREFIX_LENGTH",
        "CODE_ATTEMPT_LIMIT",
        "CODE_ONLY_LOOKUP",
        "CODE_ONLY_GUESS_RATE",
        "CODE_LENGTH",
        "CODE_EXPIRY_MINUTES",
        "FLOW_CLASS",
        "TOKEN_LIFETIME",
        "REVOKE_EARLIER_TOKENS",
        "FROM_EMAIL",
        "PASSWORD_CHANGED_NOTICE",
        "UNKNOWN_ADDRESS_NOTICE",
        "UNKNOWN_ADDRESS_NOTICE_RATE",
    }
    assert {row.key for row in ROWS} | resetkit_only == set(DEFAULTS)
    assert {row.key: row.alias for row in ALIASED_ROWS} == LEGACY_ALIASES


def test_the_upstream_flat_names_are_the_documented_ones() -> None:
    """The names a django-rest-passwordreset settings file uses, spelled as upstream spells them."""
    assert set(LEGACY_ALIASES.values()) == {
        "DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME",
        "DJANGO_REST_PASSWORDRESET_NO_INFORMATION_LEAKAGE",
        "DJANGO_REST_MULTITOKENAUTH_REQUIRE_USABLE_PASSWORD",
        "DJANGO_REST_LOOKUP_FIELD",
        "DJANGO_REST_PASSWORDRESET_IP_ADDRESS_HEADER",
        "DJANGO_REST_PASSWORDRESET_HTTP_USER_AGENT_HEADER",
        "DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG",
        "DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES",
        "DJANGO_REST_PASSWORDRESET_USER_DETAILS_ON_VALIDATION",
    }


# -- the settings object ----------------------------------------------------------------------


def base_resetkit(row: Row) -> dict[str, Any]:
    """The suite's RESETKIT without the row's key (the throttle row must not be pinned)."""
    return {k: v for k, v in settings.RESETKIT.items() if k != row.key}


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_default_matches_the_table(row: Row) -> None:
    with override_settings(RESETKIT={}):
        assert getattr(resetkit_settings, row.key) == row.default
        assert resetkit_settings.source_of(row.key) == f"RESETKIT[{row.key!r}] (default)"


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_resetkit_key_is_read_after_the_value_was_cached(row: Row) -> None:
    """A value read (and cached) before ``override_settings`` does not outlive it."""
    with override_settings(RESETKIT={}):
        assert getattr(resetkit_settings, row.key) == row.default
        with override_settings(RESETKIT={row.key: row.value}):
            assert getattr(resetkit_settings, row.key) == row.value
            assert resetkit_settings.source_of(row.key) == f"RESETKIT[{row.key!r}]"
        assert getattr(resetkit_settings, row.key) == row.default


@pytest.mark.parametrize("row", ALIASED_ROWS, ids=[r.key for r in ALIASED_ROWS])
def test_flat_alias_is_read_after_the_value_was_cached(row: Row) -> None:
    assert row.alias
    with override_settings(RESETKIT={}):
        assert getattr(resetkit_settings, row.key) == row.default
        with override_settings(**{row.alias: row.value}):
            assert getattr(resetkit_settings, row.key) == row.value
            assert resetkit_settings.source_of(row.key) == row.alias
        assert getattr(resetkit_settings, row.key) == row.default


@pytest.mark.parametrize("row", ALIASED_ROWS, ids=[r.key for r in ALIASED_ROWS])
def test_resetkit_key_wins_over_the_flat_alias(row: Row) -> None:
    assert row.alias
    with override_settings(RESETKIT={row.key: row.default}, **{row.alias: row.value}):
        assert getattr(resetkit_settings, row.key) == row.default
        assert resetkit_settings.source_of(row.key) == f"RESETKIT[{row.key!r}]"


# -- the same rows, through the endpoints ------------------------------------------------------


@dataclass
class Env:
    client: Any
    make_user: Callable[..., Any]
    signals: Any
    clock: Any


@pytest.fixture
def env(api_client, make_user, signals, clock) -> Env:
    return Env(api_client, make_user, signals, clock)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_endpoint_default(row: Row, env: Env) -> None:
    with override_settings(RESETKIT=base_resetkit(row)):
        row.probe(env, False)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_endpoint_resetkit_key(row: Row, env: Env) -> None:
    with resetkit_overrides(**{row.key: row.value}):
        row.probe(env, True)


@pytest.mark.parametrize("row", ALIASED_ROWS, ids=[r.key for r in ALIASED_ROWS])
def test_endpoint_flat_alias(row: Row, env: Env) -> None:
    assert row.alias
    with override_settings(RESETKIT=base_resetkit(row), **{row.alias: row.value}):
        row.probe(env, True)


@pytest.mark.parametrize("row", ALIASED_ROWS, ids=[r.key for r in ALIASED_ROWS])
def test_endpoint_resetkit_key_wins(row: Row, env: Env) -> None:
    assert row.alias
    with override_settings(
        RESETKIT={**base_resetkit(row), row.key: row.default}, **{row.alias: row.value}
    ):
        row.probe(env, False)


# -- an already-imported view follows the settings of the moment --------------------------------


def test_override_reaches_an_already_imported_view(make_user, signals) -> None:
    """``reset_password_request_token`` was built at import; each call reads settings anew."""
    factory = APIRequestFactory()

    def call(email: str) -> Any:
        request = factory.post(REQUEST_URL, {"email": email}, format="json")
        return reset_password_request_token(request)

    assert call("nobody@example.com").status_code == 200
    with resetkit_overrides(NO_INFORMATION_LEAKAGE=False):
        assert call("nobody@example.com").status_code == 400
    assert call("nobody@example.com").status_code == 200

    make_user(email="alice@example.com")
    with resetkit_overrides(TOKEN_GENERATOR=NUMERIC):
        call("alice@example.com")
    call("alice@example.com")
    numeric, default = signals.keys
    assert numeric.isdigit() and len(numeric) == 6
    assert re.fullmatch(r"[0-9a-f]{32,}", default)


def test_override_reaches_the_throttles_of_an_already_imported_view(api_client) -> None:
    """The throttle classes and rates are resolved per request too."""
    codes = [
        post(api_client, REQUEST_URL, {"email": "x@example.com"}).status_code for _ in range(2)
    ]
    assert codes == [200, 200]  # the suite's RESETKIT: no throttle
    with (
        resetkit_overrides(THROTTLE_CLASSES=None),
        override_settings(
            REST_FRAMEWORK={
                "DEFAULT_THROTTLE_RATES": {"django-rest-passwordreset-request-token": "1/minute"}
            }
        ),
    ):
        codes = [
            post(api_client, REQUEST_URL, {"email": "x@example.com"}).status_code for _ in range(2)
        ]
    assert codes == [200, 429]


# -- invalid RESETKIT ---------------------------------------------------------------------------


def test_unknown_resetkit_key_is_named(api_client) -> None:
    with (
        resetkit_overrides(TOKEN_EXPIRY=1),
        pytest.raises(ImproperlyConfigured, match="'TOKEN_EXPIRY'"),
    ):
        _ = resetkit_settings.TOKEN_EXPIRY_HOURS
        # A request fails loudly too, rather than running with a silently ignored setting.
        with pytest.raises(ImproperlyConfigured, match="'TOKEN_EXPIRY'"):
            post(api_client, REQUEST_URL, {"email": "nobody@example.com"})


def test_unknown_key_error_lists_the_known_keys() -> None:
    with (
        override_settings(RESETKIT={"THROTTLE_CLASS": []}),
        pytest.raises(ImproperlyConfigured) as info,
    ):
        _ = resetkit_settings.LOOKUP_FIELD
    assert "THROTTLE_CLASSES" in str(info.value)


@pytest.mark.parametrize(
    "value", [["TOKEN_EXPIRY_HOURS", 1], [], "", "TOKEN_EXPIRY_HOURS=1", 24], ids=repr
)
def test_resetkit_that_is_not_a_dict_is_rejected(value: Any) -> None:
    """Even an empty list or string: it is a typo for a dict, not a way to say "defaults"."""
    with (
        override_settings(RESETKIT=value),
        pytest.raises(ImproperlyConfigured, match="RESETKIT must be a dict"),
    ):
        _ = resetkit_settings.TOKEN_EXPIRY_HOURS


def test_resetkit_none_or_absent_means_defaults() -> None:
    with override_settings(RESETKIT=None):
        assert resetkit_settings.TOKEN_EXPIRY_HOURS == 24
    with override_settings():
        del settings.RESETKIT
        assert resetkit_settings.THROTTLE_CLASSES is None


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NOT_A_SETTING"):
        _ = resetkit_settings.NOT_A_SETTING


# -- nothing is read at import ------------------------------------------------------------------

IMPORT_THEN_CHANGE = textwrap.dedent(
    """
    import json

    import django
    from django.conf import settings

    import tests.settings as base

    REQUEST_SCOPE = "django-rest-passwordreset-request-token"
    config = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    config.update(
        # A file, so that the default executor's threads see the same database.
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        # At import: everything unlike the settings the requests below run under.
        RESETKIT={
            "THROTTLE_CLASSES": [],
            "NO_INFORMATION_LEAKAGE": False,
            "TOKEN_EXPIRY_HOURS": 0,
            "TOKEN_GENERATOR": {
                "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
                "OPTIONS": {"min_number": 1000, "max_number": 9999},
            },
        },
        REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {REQUEST_SCOPE: "100/day"}},
    )
    settings.configure(**config)
    django.setup()

    import rest_framework.throttling
    import resetkit.admin
    import resetkit.backends.cache
    import resetkit.backends.orm
    import resetkit.checks
    import resetkit.executors
    import resetkit.generators
    import resetkit.tasks
    import resetkit.testing
    import resetkit.throttling
    import resetkit.urls
    import resetkit.views
    import tests.urls
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client, override_settings

    from resetkit.signals import reset_password_token_created
    from resetkit.testing import flush_issue_jobs

    call_command("migrate", run_syncdb=True, verbosity=0)  # testapp has no migrations
    user_model = get_user_model()
    user_model._default_manager.create_user("alice", "alice@example.com", "old-Passw0rd!")
    # Serve once under the import-time settings, as a warm server would; the legacy 400 also
    # shows those settings really were in force.
    warm = Client().post("/api/password_reset/", {"email": "warm@example.com"}).status_code

    keys = []
    reset_password_token_created.connect(
        lambda reset_password_token, **kw: keys.append(reset_password_token.key), weak=False
    )
    codes = []
    with override_settings(
        RESETKIT={},
        REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {REQUEST_SCOPE: "3/day"}},
    ):
        client = Client()
        for email in ("nobody@example.com", "alice@example.com"):
            codes.append(client.post("/api/password_reset/", {"email": email}).status_code)
        flush_issue_jobs()  # the default executor's threads
        validate = client.post("/api/password_reset/validate_token/", {"token": keys[0]})
        codes.append(validate.status_code)
        for _ in range(2):
            response = client.post("/api/password_reset/", {"email": "x@example.com"})
            codes.append(response.status_code)
    print(json.dumps({"warm": warm, "codes": codes, "keys": keys}))
    """
)


def test_nothing_is_read_at_import(tmp_path: Path) -> None:
    """Import every module under one configuration, then answer requests under another.

    Runs in a fresh interpreter, the only way to control what the settings are at import.
    """
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_THEN_CHANGE],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["warm"] == 400
    # 200 for the unknown account (not the import-time legacy 400); the validate passes (not
    # the 0-hour expiry); the 3/day throttle stops the 4th request (not "no throttle").
    assert outcome["codes"] == [200, 200, 200, 200, 429]
    (key,) = outcome["keys"]
    assert re.fullmatch(r"[0-9a-f]{32,}", key)  # the default generator, not 4-digit numbers
