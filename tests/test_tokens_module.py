"""``resetkit.tokens``: upstream's ``tokens`` module, under resetkit's name."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

import resetkit.generators
import resetkit.tokens
from resetkit.tokens import (
    BaseTokenGenerator,
    RandomNumberTokenGenerator,
    RandomStringTokenGenerator,
    get_token_generator,
)


def test_names_are_the_generators() -> None:
    for name in resetkit.tokens.__all__:
        assert getattr(resetkit.tokens, name) is getattr(resetkit.generators, name)


@pytest.mark.parametrize(
    ("path", "cls"),
    [
        ("resetkit.tokens.RandomStringTokenGenerator", RandomStringTokenGenerator),
        ("resetkit.tokens.RandomNumberTokenGenerator", RandomNumberTokenGenerator),
    ],
)
def test_readme_class_paths_configure_the_generator(path: str, cls: type) -> None:
    with override_settings(DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG={"CLASS": path}):
        assert type(get_token_generator()) is cls


class Fixed(BaseTokenGenerator):
    """The README's "write your own" shape: any args in ``__init__``, ``generate_token()``."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def generate_token(self, *args: object, **kwargs: object) -> str:
        return "fixed-token-value"


def test_own_generator_subclassing_the_upstream_name() -> None:
    with override_settings(DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG={"CLASS": f"{__name__}.Fixed"}):
        assert get_token_generator().generate_token() == "fixed-token-value"


def test_direct_assignment_to_settings_is_read_every_time() -> None:
    """Upstream's tests assign ``settings.X = ...`` (no ``setting_changed``): each read sees it."""
    with override_settings(DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG=None):
        assert type(get_token_generator()) is RandomStringTokenGenerator
        settings.DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG = {
            "CLASS": "resetkit.tokens.RandomNumberTokenGenerator"
        }
        assert type(get_token_generator()) is RandomNumberTokenGenerator
        settings.DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG = None
        assert type(get_token_generator()) is RandomStringTokenGenerator
