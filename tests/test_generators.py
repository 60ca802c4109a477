"""Token generators, and their configuration exactly as the upstream README shows it."""

from __future__ import annotations

import binascii
import os
import random
import re
import secrets
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from resetkit.generators import (
    BaseTokenGenerator,
    RandomNumberTokenGenerator,
    RandomStringTokenGenerator,
    get_token_generator,
)
from tests.conftest import resetkit_overrides

REQUEST_URL = "/api/password_reset/"
VALIDATE_URL = "/api/password_reset/validate_token/"
SAMPLES = 300


def sample(generator: BaseTokenGenerator, n: int = SAMPLES) -> list[str]:
    return [generator.generate_token() for _ in range(n)]


# -- RandomStringTokenGenerator -----------------------------------------------------------------


def test_string_default_is_lowercase_hex_of_at_least_128_bits() -> None:
    tokens = sample(RandomStringTokenGenerator())
    assert all(re.fullmatch(r"[0-9a-f]{32,}", t) for t in tokens)
    assert min(len(t) for t in tokens) * 4 >= 128
    assert len(set(tokens)) == len(tokens)


@pytest.mark.parametrize(("low", "high"), [(20, 30), (10, 50), (1, 3), (7, 8)])
def test_string_lengths_stay_within_the_range_and_vary(low: int, high: int) -> None:
    lengths = {len(t) for t in sample(RandomStringTokenGenerator(min_length=low, max_length=high))}
    assert lengths <= set(range(low, high + 1))
    # 300 draws: every length of a small range shows up, and a wide one is never constant.
    assert len(lengths) > 1
    if high - low < 4:
        assert lengths == set(range(low, high + 1))


def test_string_fixed_length() -> None:
    tokens = sample(RandomStringTokenGenerator(min_length=40, max_length=40))
    assert {len(t) for t in tokens} == {40}
    assert all(re.fullmatch(r"[0-9a-f]+", t) for t in tokens)


def test_string_odd_length_is_exact() -> None:
    """An odd length needs half a byte more randomness; the token must still be exact."""
    assert {len(t) for t in sample(RandomStringTokenGenerator(33, 33), 50)} == {33}


@pytest.mark.parametrize(
    "options",
    [
        {"min_length": 30, "max_length": 20},
        {"min_length": 0, "max_length": 10},
        {"min_length": -5, "max_length": 10},
        {"min_length": "20", "max_length": 30},
        {"min_length": 20, "max_length": 30.5},
        {"min_length": True, "max_length": 30},
        {"min_length": 20, "max_length": None},
        {"min_len": 20},
        {"length": 40},
    ],
    ids=repr,
)
def test_string_invalid_options_are_a_configuration_error(options: dict[str, Any]) -> None:
    with pytest.raises(ImproperlyConfigured, match="RandomStringTokenGenerator"):
        RandomStringTokenGenerator(**options)


# -- RandomNumberTokenGenerator -----------------------------------------------------------------


def test_number_default_range_has_at_least_2_pow_128_values() -> None:
    generator = RandomNumberTokenGenerator()
    assert generator.max_number - generator.min_number + 1 >= 2**128
    tokens = sample(generator)
    assert all(t.isdigit() and t.isascii() for t in tokens)
    assert all(generator.min_number <= int(t) <= generator.max_number for t in tokens)
    assert len(set(tokens)) == len(tokens)


def test_number_range_is_honoured_at_both_ends() -> None:
    values = {int(t) for t in sample(RandomNumberTokenGenerator(min_number=5, max_number=9))}
    assert values == {5, 6, 7, 8, 9}


def test_number_readme_example_gives_ten_digits() -> None:
    generator = RandomNumberTokenGenerator(min_number=1000000000, max_number=9999999999)
    assert all(re.fullmatch(r"[1-9][0-9]{9}", t) for t in sample(generator))


def test_number_single_value_range() -> None:
    assert set(sample(RandomNumberTokenGenerator(min_number=42, max_number=42), 5)) == {"42"}


@pytest.mark.parametrize(
    "options",
    [
        {"min_number": 10, "max_number": 9},
        {"min_number": -1, "max_number": 10},
        {"min_number": "1000", "max_number": 9999},
        {"min_number": 1000, "max_number": 9999.0},
        {"min_number": False, "max_number": 9},
        {"digits": 6},
    ],
    ids=repr,
)
def test_number_invalid_options_are_a_configuration_error(options: dict[str, Any]) -> None:
    with pytest.raises(ImproperlyConfigured, match="RandomNumberTokenGenerator"):
        RandomNumberTokenGenerator(**options)


def test_base_generator_must_be_subclassed() -> None:
    with pytest.raises(NotImplementedError, match="generate_token"):
        BaseTokenGenerator().generate_token()


# -- get_token_generator(), configured as the upstream README shows ----------------------------


def test_default_is_the_strong_string_generator() -> None:
    with override_settings(RESETKIT={}):
        generator = get_token_generator()
    assert type(generator) is RandomStringTokenGenerator
    assert generator.min_length * 4 >= 128


@pytest.mark.parametrize(
    ("config", "cls", "attrs"),
    [
        (
            {"CLASS": "django_rest_passwordreset.tokens.RandomStringTokenGenerator"},
            RandomStringTokenGenerator,
            {"min_length": 32, "max_length": 64},
        ),
        (
            {
                "CLASS": "django_rest_passwordreset.tokens.RandomStringTokenGenerator",
                "OPTIONS": {"min_length": 20, "max_length": 30},
            },
            RandomStringTokenGenerator,
            {"min_length": 20, "max_length": 30},
        ),
        (
            {"CLASS": "django_rest_passwordreset.tokens.RandomNumberTokenGenerator"},
            RandomNumberTokenGenerator,
            {"min_number": 10**38, "max_number": 10**39 - 1},
        ),
        (
            {
                "CLASS": "django_rest_passwordreset.tokens.RandomNumberTokenGenerator",
                "OPTIONS": {"min_number": 1000000000, "max_number": 9999999999},
            },
            RandomNumberTokenGenerator,
            {"min_number": 1000000000, "max_number": 9999999999},
        ),
        (
            {
                "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
                "OPTIONS": {"min_number": 100000, "max_number": 999999},
            },
            RandomNumberTokenGenerator,
            {"min_number": 100000, "max_number": 999999},
        ),
        (
            {"OPTIONS": {"min_length": 40, "max_length": 48}},
            RandomStringTokenGenerator,
            {"min_length": 40, "max_length": 48},
        ),
    ],
    ids=["readme-string", "readme-string-length", "readme-number", "readme-number-range",
         "resetkit-path", "options-only"],
)  # fmt: skip
@pytest.mark.parametrize("spelling", ["flat", "resetkit"])
def test_configured_generator(spelling: str, config: Any, cls: type, attrs: Any) -> None:
    overrides = (
        override_settings(RESETKIT={}, DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG=config)
        if spelling == "flat"
        else override_settings(RESETKIT={"TOKEN_GENERATOR": config})
    )
    with overrides:
        generator = get_token_generator()
    assert type(generator) is cls
    assert {name: getattr(generator, name) for name in attrs} == attrs


def test_resetkit_generator_setting_accepts_a_path_or_a_class() -> None:
    with resetkit_overrides(TOKEN_GENERATOR="resetkit.generators.RandomNumberTokenGenerator"):
        assert type(get_token_generator()) is RandomNumberTokenGenerator
    with resetkit_overrides(TOKEN_GENERATOR=RandomNumberTokenGenerator):
        assert type(get_token_generator()) is RandomNumberTokenGenerator


def test_generator_is_built_at_call_time() -> None:
    """Not cached across a settings change: a new range applies to the next token."""
    with resetkit_overrides(TOKEN_GENERATOR={"OPTIONS": {"min_length": 40, "max_length": 40}}):
        assert len(get_token_generator().generate_token()) == 40
    with resetkit_overrides(TOKEN_GENERATOR={"OPTIONS": {"min_length": 50, "max_length": 50}}):
        assert len(get_token_generator().generate_token()) == 50


@pytest.mark.parametrize(
    "path",
    [
        "django_rest_passwordreset.tokens.NoSuchGenerator",
        "resetkit.generators.NoSuchGenerator",
        "no_such_module.Generator",
        "NotADottedPath",
    ],
)
def test_bad_path_names_the_setting(path: str) -> None:
    with (
        override_settings(RESETKIT={}, DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG={"CLASS": path}),
        pytest.raises(ImproperlyConfigured, match="DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG"),
    ):
        get_token_generator()
    with (
        resetkit_overrides(TOKEN_GENERATOR={"CLASS": path}),
        pytest.raises(ImproperlyConfigured, match=r"RESETKIT\['TOKEN_GENERATOR'\]"),
    ):
        get_token_generator()
    with (
        resetkit_overrides(TOKEN_GENERATOR=path),
        pytest.raises(ImproperlyConfigured, match=r"RESETKIT\['TOKEN_GENERATOR'\]"),
    ):
        get_token_generator()


def test_bad_options_name_the_setting() -> None:
    config = {
        "CLASS": "django_rest_passwordreset.tokens.RandomStringTokenGenerator",
        "OPTIONS": {"min_length": 30, "max_length": 20},
    }
    with (
        override_settings(RESETKIT={}, DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG=config),
        pytest.raises(ImproperlyConfigured, match="DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG"),
    ):
        get_token_generator()


@pytest.mark.parametrize(
    "config",
    [
        {"CLASS": "datetime.timedelta"},  # importable, but not a generator
        {"CLASS": "resetkit.generators.RandomStringTokenGenerator", "OPTION": {}},  # typo
        {"CLASS": "resetkit.generators.RandomStringTokenGenerator", "OPTIONS": [20, 30]},
        {"CLASS": "tests.test_generators.NoOptionsGenerator", "OPTIONS": {"size": 3}},
    ],
    ids=["not-a-generator", "misspelt-key", "options-not-a-dict", "options-not-accepted"],
)
def test_unusable_config_names_the_setting(config: dict[str, Any]) -> None:
    with (
        resetkit_overrides(TOKEN_GENERATOR=config),
        pytest.raises(ImproperlyConfigured, match=r"RESETKIT\['TOKEN_GENERATOR'\]"),
    ):
        get_token_generator()


class NoOptionsGenerator(BaseTokenGenerator):
    """A custom generator that takes no options at all."""

    def __init__(self) -> None:
        pass

    def generate_token(self, *args: Any, **kwargs: Any) -> str:
        return secrets.token_hex(16)


# -- your own generator, as the README's "Write your own Token Generator" writes it ------------


class RandomStringTokenGeneratorFromReadme(BaseTokenGenerator):
    """
    Generates a random string with min and max length using os.urandom and binascii.hexlify
    """

    def __init__(self, min_length=10, max_length=50, *args, **kwargs):
        self.min_length = min_length
        self.max_length = max_length

    def generate_token(self, *args, **kwargs):
        """generates a pseudo random code using os.urandom and binascii.hexlify"""
        # determine the length based on min_length and max_length
        length = random.randint(self.min_length, self.max_length)

        # generate the token using os.urandom and hexlify
        return binascii.hexlify(os.urandom(self.max_length)).decode()[0:length]


class PrefixedTokenGenerator(BaseTokenGenerator):
    """Marks its tokens, so a test can tell they came from it."""

    def __init__(self, prefix: str = "custom-", *args: Any, **kwargs: Any) -> None:
        self.prefix = prefix

    def generate_token(self, *args: Any, **kwargs: Any) -> str:
        return self.prefix + secrets.token_hex(16)


@pytest.mark.django_db
def test_readme_custom_generator_issues_the_tokens(api_client, user, signals) -> None:
    config = {
        "CLASS": "tests.test_generators.RandomStringTokenGeneratorFromReadme",
        "OPTIONS": {"min_length": 20, "max_length": 30},
    }
    with override_settings(DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG=config):
        for _ in range(3):  # the account's budget: 3 new tokens an hour
            api_client.post(REQUEST_URL, {"email": user.email}, format="json")
    assert len(signals.keys) == 3
    assert all(re.fullmatch(r"[0-9a-f]{20,30}", key) for key in signals.keys)
    response = api_client.post(VALIDATE_URL, {"token": signals.keys[-1]}, format="json")
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", ["flat", "resetkit"])
def test_custom_generator_token_is_the_one_the_signal_carries(
    spelling: str, api_client, user, signals
) -> None:
    config = {"CLASS": "tests.test_generators.PrefixedTokenGenerator", "OPTIONS": {"prefix": "P-"}}
    overrides = (
        override_settings(DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG=config)
        if spelling == "flat"
        else resetkit_overrides(TOKEN_GENERATOR=config)
    )
    with overrides:
        response = api_client.post(REQUEST_URL, {"email": user.email}, format="json")
    assert response.status_code == 200
    (key,) = signals.keys
    assert re.fullmatch(r"P-[0-9a-f]{32}", key)
    assert signals.tokens[0].user == user
    # The store kept that very token (as a digest): it validates, a different one does not.
    assert api_client.post(VALIDATE_URL, {"token": key}, format="json").status_code == 200
    other = "P-" + "0" * 32
    assert api_client.post(VALIDATE_URL, {"token": other}, format="json").status_code == 404


@pytest.mark.django_db
def test_numeric_codes_work_end_to_end(api_client, user, signals) -> None:
    config = {
        "CLASS": "django_rest_passwordreset.tokens.RandomNumberTokenGenerator",
        "OPTIONS": {"min_number": 1000000000, "max_number": 9999999999},
    }
    with override_settings(DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG=config):
        api_client.post(REQUEST_URL, {"email": user.email}, format="json")
    (key,) = signals.keys
    assert re.fullmatch(r"[0-9]{10}", key)
    response = api_client.post(
        "/api/password_reset/confirm/",
        {"token": key, "password": "a-new-Passw0rd-for-tests"},
        format="json",
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("a-new-Passw0rd-for-tests")
