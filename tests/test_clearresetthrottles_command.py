"""``manage.py clearresetthrottles``: lift a client address's throttles and an account's budget."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from rest_framework.test import APIClient

from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db
URL = "/api/password_reset/"


def request(**extra: Any) -> int:
    answer = APIClient().post(URL, {"email": "alice@example.com"}, format="json", **extra)
    return int(answer.status_code)


def clear(*args: str) -> str:
    out = StringIO()
    call_command("clearresetthrottles", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("remote", "given"),
    [("127.0.0.1", "127.0.0.1"), ("2001:db8::7", "2001:DB8:0:0::7")],
)
def test_ip_lifts_the_default_request_throttle(user: Any, remote: str, given: str) -> None:
    with resetkit_overrides(THROTTLE_CLASSES=None):
        assert [request(REMOTE_ADDR=remote) for _ in range(4)] == [200, 200, 200, 429]
        assert request(REMOTE_ADDR="192.0.2.1") == 200  # another client is not touched
        assert clear("--ip", given) == f"{remote}: throttle entries cleared: 1.\n"
        assert request(REMOTE_ADDR=remote) == 200
        assert request(REMOTE_ADDR="192.0.2.1") == 200


def test_ip_behind_a_proxy(user: Any) -> None:
    proxy = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    with (
        resetkit_overrides(THROTTLE_CLASSES=None),
        override_settings(REST_FRAMEWORK={"NUM_PROXIES": 1}),
    ):
        assert [request(**proxy) for _ in range(4)] == [200, 200, 200, 429]
        clear("--ip", "203.0.113.9")
        assert request(**proxy) == 200


def test_ip_lifts_drf_scoped_throttles(user: Any) -> None:
    drf = {
        "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {
            "django-rest-passwordreset-request-token": "1/day",
            "django-rest-passwordreset-validate-token": "1/day",
            "django-rest-passwordreset-confirm": "1/day",
        },
    }
    with resetkit_overrides(THROTTLE_CLASSES=[]), override_settings(REST_FRAMEWORK=drf):
        assert [request(), request()] == [200, 429]
        assert "throttle entries cleared: 1." in clear("--ip", "127.0.0.1")
        assert request() == 200


def test_email_gives_the_account_a_fresh_budget(user: Any, signals: Any) -> None:
    with resetkit_overrides(ACCOUNT_TOKEN_RATE="1/hour"):
        request()
        request()
        assert len(signals.created) == 1
        assert clear("--email", "ALICE@example.com") == (
            "ALICE@example.com: accounts found: 1; budgets cleared: 1.\n"
        )
        request()
    assert len(signals.created) == 2


@pytest.mark.parametrize(
    ("args", "error"),
    [((), "Name at least one --ip or --email."), (("--ip", "localhost"), "not an IP address")],
)
def test_bad_arguments(args: tuple[str, ...], error: str) -> None:
    with pytest.raises(CommandError, match=error):
        clear(*args)
