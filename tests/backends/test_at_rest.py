"""No raw token at rest: a dump of the token table or the cache lets nobody use a token.

Tokens are issued through the store and through the request endpoint, then every column of
every row and every cache key and value is read around the store's API and searched for the
token in any shape (as text, upper-cased, hex-decoded, as a number).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from resetkit.backends import get_token_store
from resetkit.backends.cache import compact_digest
from resetkit.digests import token_digest
from resetkit.generators import get_token_generator
from tests.backends.raw import decoded_values, leaks_in_value, raw_cache_entries, raw_token_rows
from tests.conftest import STORES, resetkit_overrides

pytestmark = pytest.mark.django_db

GENERATORS = {
    "hex": "resetkit.generators.RandomStringTokenGenerator",
    "numeric": {
        "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
        "OPTIONS": {"min_number": 100_000, "max_number": 999_999},
    },
}


@pytest.fixture
def fixed_world(time_machine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole-second time and fixed six-digit codes, so the search cannot hit by chance.

    A random six-digit code shows up inside a 64-character hex digest or a microsecond field
    about once in a few thousand runs; these tests must not flicker.
    """
    time_machine.move_to(dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc), tick=False)
    draws: Iterator[int] = iter([731_562, 208_917, 655_034, 419_286, 370_841, 592_603])

    class FixedSecrets:
        @staticmethod
        def randbelow(n: int) -> int:
            return next(draws) - 100_000

    monkeypatch.setattr("resetkit.generators.numeric.secrets", FixedSecrets)


def raw_entries() -> dict[str, bytes]:
    """Every cache entry, and every key of the native Redis store when it is configured."""
    entries = raw_cache_entries()
    if "redis" in STORES:
        from tests.backends.redis_targets import SINGLE

        client = SINGLE.client()
        entries.update({k.decode("latin-1"): client.get(k) for k in SINGLE.keys("resetkit")})
    return entries


def search_everything(keys: list[str]) -> list[str]:
    """Where any of ``keys`` shows up at rest, as readable locations."""
    hits = []
    rows = raw_token_rows()
    entries = raw_entries()
    for key in keys:
        for n, row in enumerate(rows):
            hits += [f"row {n} column {c}" for c, v in row.items() if leaks_in_value(key, v)]
        for cache_key, raw in entries.items():
            if leaks_in_value(key, cache_key):
                hits.append(f"cache key {cache_key}")
            if leaks_in_value(key, raw) or any(leaks_in_value(key, v) for v in decoded_values(raw)):
                hits.append(f"cache value of {cache_key}")
    return hits


@pytest.mark.parametrize("generator", sorted(GENERATORS))
def test_no_raw_token_at_rest(
    store_kind, generator, fixed_world, make_user, api_client, signals
) -> None:
    users = [make_user(email=f"person{n}@example.com") for n in range(3)]
    with resetkit_overrides(TOKEN_GENERATOR=GENERATORS[generator]):
        store = get_token_store()
        keys = [
            store.create_token(
                u, get_token_generator().generate_token(), ip_address="192.0.2.1", user_agent="UA"
            ).key
            for u in users
        ]
        for u in users:
            response = api_client.post(
                reverse("password_reset:reset-password-request"),
                {"email": u.email},
                format="json",
                HTTP_USER_AGENT="UA",
            )
            assert response.status_code == 200
    keys += signals.keys
    assert len(set(keys)) == 6
    assert all(isinstance(k, str) and k.isdigit() == (generator == "numeric") for k in keys)
    # What we search is the live state: every token works and its digest is what is stored.
    assert all(store.get_token(k) is not None for k in keys)
    digests = {token_digest(k) for k in keys}
    if store_kind == "orm":
        assert {row["digest"] for row in raw_token_rows()} == digests
    else:
        assert raw_token_rows() == []
        compact = {compact_digest(d) for d in digests}
        entries = raw_entries() if store_kind == "redis" else raw_cache_entries()
        assert {k.rsplit(":", 1)[1] for k in entries if ":t:" in k} == compact

    assert search_everything(keys) == []


def test_the_search_finds_a_planted_token(store_kind, fixed_world, user) -> None:
    """The search above can fail: a token written in clear where a field allows it is found."""
    store = get_token_store()
    store.create_token(user, "00" * 16, user_agent="planted 731562 here")
    hex_key = "c0ffee00" * 4
    store.create_token(user, "11" * 16, user_agent=f"planted {hex_key.upper()} here")
    assert search_everything(["731562"]) != []
    assert search_everything([hex_key]) != []


def test_the_search_knows_binary_and_numeric_shapes() -> None:
    hex_key = "c0ffee00" * 4
    assert leaks_in_value(hex_key, b"\x80\x04" + bytes.fromhex(hex_key) + b".")
    assert leaks_in_value("731562", 731562)
    assert not leaks_in_value("731562", 1_731_562_000.0)
