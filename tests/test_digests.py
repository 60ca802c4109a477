"""Keyed digests: exactly Django's ``salted_hmac`` (SHA-256), under whichever key is current."""

from __future__ import annotations

import pytest
from django.utils.crypto import salted_hmac

from resetkit.digests import KEY_SALT, PASSWORD_SALT, salted_hmac_hexdigest, token_digest


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
