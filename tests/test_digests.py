"""Keyed digests: exactly Django's ``salted_hmac`` (SHA-256), under whichever key is current;
and the one secret resetkit compares itself, in constant time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils import crypto
from django.utils.crypto import salted_hmac
from rest_framework.test import APIClient

from resetkit import digests
from resetkit.digests import (
    KEY_SALT,
    PASSWORD_SALT,
    password_fingerprint,
    password_fingerprint_matches,
    salted_hmac_hexdigest,
    token_digest,
)
from tests.conftest import resetkit_overrides


@pytest.mark.parametrize("salt", [KEY_SALT, PASSWORD_SALT])
@pytest.mark.parametrize("secret", [None, "another-secret", b"bytes-secret-\xff"])
@pytest.mark.parametrize("value", ["", "0f1e2d3c4b5a6978", "123456", "ünïcode ✓"])
def test_same_digest_as_salted_hmac(salt: str, secret: str | bytes | None, value: str) -> None:
    expected = salted_hmac(salt, value, secret=secret, algorithm="sha256").hexdigest()
    assert salted_hmac_hexdigest(salt, value, secret) == expected
    assert salted_hmac_hexdigest(salt, value, secret) == expected  # the keyed HMAC is reused


def test_the_current_secret_key_is_read_on_every_call(settings) -> None:
    before = token_digest("a-token")
    settings.SECRET_KEY = "a-rotated-secret-key-for-this-test"
    after = token_digest("a-token")
    assert before != after
    assert after == salted_hmac(KEY_SALT, "a-token", algorithm="sha256").hexdigest()


# -- constant-time comparison ------------------------------------------------------------------
#
# Tokens are found by their digest (a unique index, a cache key): resetkit never compares a
# token with ``==``. The one secret it compares in Python is a token's password fingerprint
# with the user's current one, and that must go through ``constant_time_compare``: with ``==``
# every behaviour stays the same, so only a spy on the comparison can tell.


@pytest.fixture
def compares(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, Any]]]:
    """Every call of ``constant_time_compare`` resetkit makes, recorded and passed through."""
    calls: list[tuple[Any, Any]] = []
    real = crypto.constant_time_compare

    def spy(val1: Any, val2: Any) -> bool:
        calls.append((val1, val2))
        return real(val1, val2)

    # The name resetkit.digests imported, and Django's own in case it is looked up there.
    monkeypatch.setattr(digests, "constant_time_compare", spy)
    monkeypatch.setattr(crypto, "constant_time_compare", spy)
    yield calls


def test_fingerprints_are_compared_in_constant_time(compares, user) -> None:
    stored = password_fingerprint(user)
    assert password_fingerprint_matches(user, stored)
    assert compares == [(stored, stored)]
    compares.clear()
    assert not password_fingerprint_matches(user, "0" * 32)
    assert compares == [(stored, "0" * 32)]


def test_each_fallback_key_is_compared_in_constant_time(compares, user, settings) -> None:
    old = password_fingerprint(user)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-rotated-secret-key-for-this-test"
    assert password_fingerprint_matches(user, old)
    assert compares == [(password_fingerprint(user), old), (old, old)]


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (reverse("password_reset:reset-password-validate"), {"token": "9c" * 16}),
        (
            reverse("password_reset:reset-password-confirm"),
            {"token": "9c" * 16, "password": "a-new-Passw0rd-for-tests"},
        ),
    ],
    ids=["validate", "confirm"],
)
def test_the_token_endpoints_compare_the_fingerprint_in_constant_time(
    store_kind, compares, user, url, body
) -> None:
    """Validate and confirm check the token's fingerprint through the spy, on every store."""
    from resetkit.backends import get_token_store

    token = get_token_store().create_token(user, "9c" * 16)
    with resetkit_overrides(VALIDATE_THROTTLE_CLASSES=[], CONFIRM_THROTTLE_CLASSES=[]):
        response = APIClient().post(url, body, format="json")
    assert response.status_code == 200
    assert compares, "the fingerprint was compared without constant_time_compare"
    assert all(stored == token.password_fingerprint for _current, stored in compares)
