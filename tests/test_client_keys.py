"""Who is one client: the key every throttle on resetkit's endpoints counts by.

``REMOTE_ADDR`` (or the entry DRF's ``NUM_PROXIES`` designates), IPv6 addresses grouped by
``IPV6_PREFIX_LENGTH`` (/64 by default), an IPv4-mapped address as its IPv4 address; never a
header the client alone sets, on resetkit's throttles and on DRF's own used on these views.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.test import override_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    BaseThrottle,
    ScopedRateThrottle,
    UserRateThrottle,
)

from resetkit.throttling import (
    ResetPasswordRequestTokenThrottle,
    client_ident,
    group_address,
    instantiate_throttles,
)
from tests.conftest import resetkit_overrides

REQUEST_URL = "/api/password_reset/"
VALIDATE_URL = "/api/password_reset/validate_token/"
CONFIRM_URL = "/api/password_reset/confirm/"
BODIES = {
    REQUEST_URL: {"email": "nobody@example.com"},
    VALIDATE_URL: {"token": "not-a-token"},
    CONFIRM_URL: {"token": "not-a-token", "password": "a-new-Passw0rd-for-tests"},
}


def meta_request(**meta: str) -> HttpRequest:
    request = HttpRequest()
    request.META.update(meta)
    return request


def rest_framework(**values: Any) -> override_settings:
    return override_settings(
        REST_FRAMEWORK={"DEFAULT_THROTTLE_CLASSES": [], "DEFAULT_THROTTLE_RATES": {}, **values}
    )


def post(client: Any, url: str, **extra: Any) -> int:
    return int(client.post(url, BODIES[url], format="json", **extra).status_code)


# -- grouping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.1", "192.0.2.1"),
        (" 192.0.2.1 ", "192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("::ffff:c000:0201", "192.0.2.1"),
        ("fe80::1%eth0", "fe80::/64"),
        ("::1", "::/64"),
        ("not-an-address", "not-an-address"),
        ("Not-An-Address ", "not-an-address"),
        # Ports and prefixes some proxies write: one client whatever the connection.
        ("192.0.2.1:8080", "192.0.2.1"),
        ("192.0.2.1:1234", "192.0.2.1"),
        ("[2001:db8:1:2::7]", "2001:db8:1:2::/64"),
        ("[2001:db8:1:2::7]:443", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::7/128", "2001:db8:1:2::/64"),
        ("192.0.2.1/32", "192.0.2.1"),
        ("", ""),
    ],
)
def test_addresses_are_grouped(address: str, key: str) -> None:
    assert group_address(address) == key


@pytest.mark.parametrize(
    ("length", "key"),
    [
        (48, "2001:db8:1::/48"),
        (56, "2001:db8:1::/56"),
        (128, "2001:db8:1:2:3:4:5:6/128"),
        (0, "::/0"),
    ],
)
def test_the_prefix_length_is_a_setting(length: int, key: str) -> None:
    with resetkit_overrides(IPV6_PREFIX_LENGTH=length):
        assert client_ident(meta_request(REMOTE_ADDR="2001:db8:1:2:3:4:5:6")) == key
        assert client_ident(meta_request(REMOTE_ADDR="192.0.2.1")) == "192.0.2.1"
    assert group_address("2001:db8:1:2:3:4:5:6", length) == key


@pytest.mark.parametrize("value", [-1, 129, "64", 64.0, True, None])
def test_a_bad_prefix_length_is_refused(value: Any) -> None:
    from resetkit.checks import check_settings

    with resetkit_overrides(IPV6_PREFIX_LENGTH=value):
        with pytest.raises(ImproperlyConfigured, match="IPV6_PREFIX_LENGTH"):
            client_ident(meta_request(REMOTE_ADDR="2001:db8::1"))
        # IPv4 clients do not need it; the check reports it all the same.
        assert client_ident(meta_request(REMOTE_ADDR="192.0.2.1")) == "192.0.2.1"
        found = [m for m in check_settings() if m.id == "resetkit.E007"]
    assert [m.obj for m in found] == ["IPV6_PREFIX_LENGTH"]


# -- NUM_PROXIES, unchanged --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num_proxies", "meta", "key"),
    [
        (None, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}, "10.0.0.1"),
        (None, {}, ""),
        (0, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}, "10.0.0.1"),
        (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}, "198.51.100.7"),
        (1, {"REMOTE_ADDR": "10.0.0.1"}, "10.0.0.1"),
        (
            1,
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.7"},
            "198.51.100.7",
        ),
        (
            2,
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7, 10.0.0.2"},
            "198.51.100.7",
        ),
        (
            1,
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "2001:db8:5:6::77"},
            "2001:db8:5:6::/64",
        ),
    ],
)
def test_num_proxies_designates_the_client_as_drf_does(
    num_proxies: int | None, meta: dict[str, str], key: str
) -> None:
    with rest_framework(NUM_PROXIES=num_proxies):
        assert client_ident(meta_request(**meta)) == key
        if num_proxies is not None:
            # The entry DRF itself designates, then grouped.
            assert key == group_address(str(BaseThrottle().get_ident(meta_request(**meta)) or ""))


# -- through the endpoints ------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_ipv6_network_is_one_client(api_client: Any) -> None:
    """Every address of a /64 shares the 3/day budget; the next /64 has its own."""
    with resetkit_overrides(THROTTLE_CLASSES=None):
        codes = [
            post(api_client, REQUEST_URL, REMOTE_ADDR=f"2001:db8:0:1::{n:x}") for n in range(5)
        ]
        assert codes == [200, 200, 200, 429, 429]
        assert post(api_client, REQUEST_URL, REMOTE_ADDR="2001:db8:0:2::1") == 200
        with resetkit_overrides(THROTTLE_CLASSES=None, IPV6_PREFIX_LENGTH=128):
            assert post(api_client, REQUEST_URL, REMOTE_ADDR="2001:db8:0:1::99") == 200


@pytest.mark.django_db
def test_an_ipv4_mapped_address_is_its_ipv4_address(api_client: Any) -> None:
    with resetkit_overrides(THROTTLE_CLASSES=None):
        assert [post(api_client, REQUEST_URL, REMOTE_ADDR="192.0.2.9") for _ in range(3)] == [
            200
        ] * 3
        assert post(api_client, REQUEST_URL, REMOTE_ADDR="::ffff:192.0.2.9") == 429
        assert post(api_client, REQUEST_URL, REMOTE_ADDR="192.0.2.10") == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", [VALIDATE_URL, CONFIRM_URL])
def test_validate_and_confirm_group_ipv6_too(api_client: Any, url: str) -> None:
    scope = {
        VALIDATE_URL: "django-rest-passwordreset-validate-token",
        CONFIRM_URL: "django-rest-passwordreset-confirm",
    }[url]
    with rest_framework(DEFAULT_THROTTLE_RATES={scope: "2/hour"}):
        codes = [post(api_client, url, REMOTE_ADDR=f"2001:db8:9:9::{n}") for n in range(1, 4)]
    assert codes == [404, 404, 429]


# -- DRF's own throttles on these views count the real client ----------------------------------

ANON = "rest_framework.throttling.AnonRateThrottle"
SCOPED = "rest_framework.throttling.ScopedRateThrottle"
USER = "rest_framework.throttling.UserRateThrottle"


def forged(n: int) -> dict[str, str]:
    return {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": f"10.{n}.0.1"}


@pytest.mark.django_db
def test_x_forwarded_for_buys_nothing_on_a_drf_anon_throttle(api_client: Any) -> None:
    """The measured bypass: a 2/day AnonRateThrottle on validate, a new header each time."""
    with rest_framework(DEFAULT_THROTTLE_CLASSES=[ANON], DEFAULT_THROTTLE_RATES={"anon": "2/day"}):
        codes = [post(api_client, VALIDATE_URL, **forged(n)) for n in range(3)]
    assert codes == [404, 404, 429]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("classes", "rates"),
    [
        ([ANON], {"anon": "2/day"}),
        ([USER], {"user": "2/day"}),
        (
            [SCOPED],
            {
                "django-rest-passwordreset-request-token": "2/day",
                "django-rest-passwordreset-validate-token": "2/day",
                "django-rest-passwordreset-confirm": "2/day",
            },
        ),
    ],
    ids=["anon", "user", "scoped"],
)
@pytest.mark.parametrize("url", [REQUEST_URL, VALIDATE_URL, CONFIRM_URL])
def test_x_forwarded_for_buys_nothing_on_drfs_throttles(
    api_client: Any, classes: list[str], rates: dict[str, str], url: str
) -> None:
    settings = {"THROTTLE_CLASSES": [], "VALIDATE_THROTTLE_CLASSES": []}
    settings["CONFIRM_THROTTLE_CLASSES"] = []
    with (
        resetkit_overrides(**settings),
        rest_framework(DEFAULT_THROTTLE_CLASSES=classes, DEFAULT_THROTTLE_RATES=rates),
    ):
        codes = [post(api_client, url, **forged(n)) for n in range(4)]
    ok = 200 if url == REQUEST_URL else 404
    assert codes == [ok, ok, 429, 429]


@pytest.mark.django_db
def test_drfs_throttles_still_follow_num_proxies(api_client: Any) -> None:
    """Behind a trusted proxy, each forwarded client has its own budget, as under DRF."""
    with rest_framework(
        NUM_PROXIES=1, DEFAULT_THROTTLE_CLASSES=[ANON], DEFAULT_THROTTLE_RATES={"anon": "1/day"}
    ):
        spread = [post(api_client, VALIDATE_URL, **forged(n)) for n in range(3)]
        same = [post(api_client, VALIDATE_URL, **forged(7)) for _ in range(2)]
    assert spread == [404, 404, 404]
    assert same == [404, 429]


class OwnIdentThrottle(AnonRateThrottle):
    """A project's throttle with its own idea of the client: left alone."""

    def get_ident(self, request: Any) -> str:
        return "everyone"


def test_only_drfs_own_get_ident_is_replaced() -> None:
    with rest_framework(DEFAULT_THROTTLE_RATES={"anon": "5/day", "user": "5/day"}):
        anon, scoped, user, own, ours = instantiate_throttles(
            [
                AnonRateThrottle,
                ScopedRateThrottle,
                UserRateThrottle,
                OwnIdentThrottle,
                ResetPasswordRequestTokenThrottle,
            ]
        )
    request = meta_request(REMOTE_ADDR="2001:db8::1", HTTP_X_FORWARDED_FOR="10.0.0.1")
    for throttle in (anon, scoped, user):
        assert throttle.get_ident(request) == "2001:db8::/64"
    assert own.get_ident(request) == "everyone"
    assert ours.get_ident(request) == "2001:db8::/64"
    # The classes themselves are untouched: DRF's throttles elsewhere in the project keep DRF's.
    assert AnonRateThrottle.get_ident is BaseThrottle.get_ident
    assert BaseThrottle().get_ident(request) == "10.0.0.1"


@pytest.mark.django_db
def test_a_proxy_that_writes_ports_gives_one_client_one_budget(api_client) -> None:
    """Behind a proxy that appends ``address:port``, each new connection must not be a new
    client: the request throttle (3 a day) still counts one."""
    with rest_framework(NUM_PROXIES=1), resetkit_overrides(THROTTLE_CLASSES=None):
        codes = [
            api_client.post(
                "/api/password_reset/",
                {"email": "nobody@example.com"},
                format="json",
                HTTP_X_FORWARDED_FOR=f"198.51.100.7:{1000 + n}",
                REMOTE_ADDR="10.0.0.1",
            ).status_code
            for n in range(5)
        ]
    assert codes == [200, 200, 200, 429, 429]
