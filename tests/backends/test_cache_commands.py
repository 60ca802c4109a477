"""Redis commands and round trips each endpoint costs on the cache store: a guard against
regressions, as ``tests/test_query_counts.py`` is for the database.

Counted in redis-py (every command a connection sends, and every exchange with the server: a
pipeline or a script is one), so other clients of the same server do not disturb the count.
Runs with ``RESETKIT_TEST_CACHE=redis`` (``make test-services``); skips otherwise, saying so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from resetkit.backends import get_token_store
from tests.conftest import STORES, resetkit_overrides

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        settings.CACHE_KIND != "redis",
        reason="counts Redis commands: runs with RESETKIT_TEST_CACHE=redis (make test-services)",
    ),
]

REQUEST_URL = reverse("password_reset:reset-password-request")
VALIDATE_URL = reverse("password_reset:reset-password-validate")
CONFIRM_URL = reverse("password_reset:reset-password-confirm")
KEY = "6b" * 16
NEW_PASSWORD = "brand-new-Passw0rd"


@dataclass
class Commands:
    """What was sent to Redis: command names in order, and the exchanges they took."""

    names: list[str] = field(default_factory=list)
    round_trips: int = 0


@contextlib.contextmanager
def redis_commands() -> Iterator[Commands]:
    """Count the commands and round trips every redis-py connection makes meanwhile."""
    from redis.connection import AbstractConnection

    counted = Commands()
    real_send_packed = AbstractConnection.send_packed_command
    real_send_command = AbstractConnection.send_command
    real_pack_commands = AbstractConnection.pack_commands

    def send_packed_command(self: Any, command: Any, check_health: bool = True) -> Any:
        counted.round_trips += 1
        return real_send_packed(self, command, check_health)

    def send_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        counted.names.append(str(args[0]).upper())
        return real_send_command(self, *args, **kwargs)

    def pack_commands(self: Any, commands: Any) -> Any:
        commands = list(commands)
        counted.names.extend(str(command[0]).upper() for command in commands)
        return real_pack_commands(self, commands)

    AbstractConnection.send_packed_command = send_packed_command  # type: ignore[method-assign]
    AbstractConnection.send_command = send_command  # type: ignore[method-assign]
    AbstractConnection.pack_commands = pack_commands  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        AbstractConnection.send_packed_command = real_send_packed  # type: ignore[method-assign]
        AbstractConnection.send_command = real_send_command  # type: ignore[method-assign]
        AbstractConnection.pack_commands = real_pack_commands  # type: ignore[method-assign]


def post(api_client: Any, url: str, body: dict[str, str]) -> int:
    response = api_client.post(url, body, format="json", HTTP_USER_AGENT="UA/1")
    return int(response.status_code)


@pytest.fixture(autouse=True)
def _cache_store() -> Iterator[None]:
    with resetkit_overrides(
        TOKEN_STORE=STORES["cache"], VALIDATE_THROTTLE_CLASSES=[], CONFIRM_THROTTLE_CLASSES=[]
    ):
        yield


@pytest.fixture(params=["redis", "portable"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``redis``: the store and counters talk to Redis directly (scripts); ``portable``: the
    cache API only, as on any other cache."""
    if request.param == "portable":
        monkeypatch.setattr("resetkit.backends.cache.scripting_primary", lambda cache: None)
        monkeypatch.setattr("resetkit.counters.scripting_primary", lambda cache: None)
    return str(request.param)


# (step, path) -> (commands, round trips). The request counts the account budget (one
# counter) and the token (the user's stamp, then the entry); validate reads the entry, then
# the stamp; confirm reads both, then consumes and revokes.
EXPECTED = {
    ("request", "redis"): (["EVALSHA", "EVALSHA", "SET"], 3),
    ("request", "portable"): (["SET", "MGET", "GET", "SET", "SET"], 5),
    ("validate", "redis"): (["MGET", "MGET"], 2),
    ("validate", "portable"): (["MGET", "MGET"], 2),
    ("confirm", "redis"): (["MGET", "MGET", "EVALSHA"], 3),
    ("confirm", "portable"): (["MGET", "MGET", "DEL", "MGET", "SET"], 5),
}


def check(counted: Commands, step: str, path: str) -> None:
    expect(counted, *EXPECTED[step, path])


def expect(counted: Commands, names: list[str], round_trips: int) -> None:
    # A script the server does not have yet (a restart, SCRIPT FLUSH) costs, once, the
    # refused EVALSHA and a SCRIPT LOAD: not counted.
    seen = list(counted.names)
    extra = 0
    while "SCRIPT LOAD" in seen:
        at = seen.index("SCRIPT LOAD")
        del seen[at - 1 : at + 1]
        extra += 2
    assert seen == names, counted
    assert counted.round_trips - extra == round_trips, counted


def test_request_for_a_first_token(path: str, api_client: Any, user: Any) -> None:
    with redis_commands() as counted:
        assert post(api_client, REQUEST_URL, {"email": user.email}) == 200
    check(counted, "request", path)


def test_validate(path: str, api_client: Any, user: Any) -> None:
    get_token_store().create_token(user, KEY)
    with redis_commands() as counted:
        assert post(api_client, VALIDATE_URL, {"token": KEY}) == 200
    check(counted, "validate", path)


def test_confirm(path: str, api_client: Any, user: Any) -> None:
    get_token_store().create_token(user, KEY)
    with redis_commands() as counted:
        assert post(api_client, CONFIRM_URL, {"token": KEY, "password": NEW_PASSWORD}) == 200
    check(counted, "confirm", path)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert get_token_store().get_token(KEY) is None


# With the shipped throttles each endpoint counts its client first: one script on Redis; the
# first event of a slice is SET NX + MGET on the portable path.
THROTTLED = {
    "redis": {
        "request": (["EVALSHA", "EVALSHA", "EVALSHA", "SET"], 4),
        "validate": (["EVALSHA", "MGET", "MGET"], 3),
        "confirm": (["EVALSHA", "MGET", "MGET", "EVALSHA"], 4),
    },
    "portable": {
        "request": (["SET", "MGET", "SET", "MGET", "GET", "SET", "SET"], 7),
        "validate": (["SET", "MGET", "MGET", "MGET"], 4),
        "confirm": (["SET", "MGET", "MGET", "MGET", "DEL", "MGET", "SET"], 7),
    },
}


def test_with_the_shipped_throttles(path: str, api_client: Any, user: Any) -> None:
    shipped = {
        key: value
        for key, value in settings.RESETKIT.items()
        if key not in ("THROTTLE_CLASSES", "VALIDATE_THROTTLE_CLASSES", "CONFIRM_THROTTLE_CLASSES")
    }
    steps = [
        ("request", REQUEST_URL, {"email": user.email}),
        ("validate", VALIDATE_URL, {"token": KEY}),
        ("confirm", CONFIRM_URL, {"token": KEY, "password": NEW_PASSWORD}),
    ]
    with override_settings(RESETKIT={**shipped, "TOKEN_STORE": STORES["cache"]}):
        for step, url, body in steps:
            if step == "validate":
                get_token_store().create_token(user, KEY)
            with redis_commands() as counted:
                assert post(api_client, url, body) == 200
            expect(counted, *THROTTLED[path][step])
