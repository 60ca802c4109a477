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


def test_ip_lifts_a_whole_ipv6_network(user: Any) -> None:
    """The throttles count one /64 as one client: any address of it lifts it."""
    with resetkit_overrides(THROTTLE_CLASSES=None):
        assert [request(REMOTE_ADDR=f"2001:db8:0:5::{n}") for n in range(1, 5)] == [
            200,
            200,
            200,
            429,
        ]
        assert clear("--ip", "2001:db8:0:5::ffff") == (
            "2001:db8:0:5::ffff: throttle entries cleared: 1.\n"
        )
        assert request(REMOTE_ADDR="2001:db8:0:5::1") == 200


def test_ip_lifts_the_validate_and_confirm_throttles(user: Any) -> None:
    client = APIClient()
    rates = {
        "django-rest-passwordreset-validate-token": "1/hour",
        "django-rest-passwordreset-confirm": "1/hour",
    }
    bodies = {
        "/api/password_reset/validate_token/": {"token": "nope"},
        "/api/password_reset/confirm/": {"token": "nope", "password": "a-new-Passw0rd-here"},
    }
    with override_settings(
        REST_FRAMEWORK={"DEFAULT_THROTTLE_CLASSES": [], "DEFAULT_THROTTLE_RATES": rates}
    ):
        for url, body in bodies.items():
            assert [client.post(url, body, format="json").status_code for _ in range(2)] == [
                404,
                429,
            ]
        assert clear("--ip", "127.0.0.1") == "127.0.0.1: throttle entries cleared: 2.\n"
        for url, body in bodies.items():
            assert client.post(url, body, format="json").status_code == 404


def test_ip_lifts_drf_anon_throttle_counted_by_the_real_client(user: Any) -> None:
    drf = {
        "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"anon": "1/day"},
    }
    forged = {"REMOTE_ADDR": "192.0.2.44", "HTTP_X_FORWARDED_FOR": "10.1.2.3"}
    with resetkit_overrides(THROTTLE_CLASSES=[]), override_settings(REST_FRAMEWORK=drf):
        assert [request(**forged), request(**forged)] == [200, 429]
        assert "throttle entries cleared: 1." in clear("--ip", "192.0.2.44")
        assert request(**forged) == 200


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
