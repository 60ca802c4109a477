"""``manage.py clearresetpasswodtokens``: the scheduled cleanup of expired tokens."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from resetkit.backends.cache import CacheTokenStore
from resetkit.backends.orm import ORMTokenStore
from resetkit.models import ResetPasswordToken
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

COMMAND = "clearresetpasswodtokens"


def run(*args: str, **options: Any) -> str:
    out = StringIO()
    call_command(COMMAND, *args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def issue(make_user) -> Any:
    """Issue ORM tokens now (at the clock's time); returns their keys."""
    store = ORMTokenStore()
    owner = make_user()

    def make(count: int) -> list[str]:
        keys = [f"key-{owner.pk}-{ResetPasswordToken.objects.count()}-{i}" for i in range(count)]
        for key in keys:
            store.create_token(owner, key)
        return keys

    return make


def live(keys: list[str]) -> list[str]:
    store = ORMTokenStore()
    return [key for key in keys if store.get_token(key) is not None]


def test_deletes_only_expired_tokens_and_says_how_many(issue, clock) -> None:
    old = issue(3)
    clock.shift(timedelta(hours=23))
    young = issue(2)
    clock.shift(timedelta(hours=1, seconds=1))  # old: 24h+1s, young: 1h+1s
    output = run()
    assert "Removed 3 expired password reset token(s)." in output
    assert ResetPasswordToken.objects.count() == 2
    assert live(young) == young
    assert live(old) == []


def test_token_just_inside_its_lifetime_is_kept(issue, clock) -> None:
    issue(1)
    clock.shift(timedelta(hours=23, minutes=59))
    assert "Removed 0 " in run()
    assert ResetPasswordToken.objects.count() == 1


def test_nothing_to_do(db) -> None:
    assert run().strip() == "Removed 0 expired password reset token(s)."


def test_batches(issue, clock) -> None:
    issue(5)
    clock.shift(timedelta(days=2))
    output = run("--batch-size", "2", verbosity=2)
    assert re.findall(r"Deleted a batch of (\d+) \(total (\d+)\)", output) == [
        ("2", "2"),
        ("2", "4"),
        ("1", "5"),
    ]
    assert "Removed 5 expired password reset token(s)." in output
    assert ResetPasswordToken.objects.count() == 0


def test_batch_lines_only_at_verbosity_2(issue, clock) -> None:
    issue(3)
    clock.shift(timedelta(days=2))
    output = run("--batch-size", "2")
    assert "Deleted a batch" not in output
    assert "Removed 3 " in output


def test_batch_size_from_settings(issue, clock) -> None:
    issue(3)
    clock.shift(timedelta(days=2))
    with resetkit_overrides(CLEANUP_BATCH_SIZE=1):
        output = run(verbosity=2)
    assert output.count("Deleted a batch of 1 ") == 3


def test_verbosity_0_is_silent(issue, clock) -> None:
    """For cron: no mail unless something went wrong."""
    issue(2)
    clock.shift(timedelta(days=2))
    assert run(verbosity=0) == ""
    assert ResetPasswordToken.objects.count() == 0


@pytest.mark.parametrize("size", ["0", "-1", "abc", "1.5"])
def test_bad_batch_size_is_a_command_error(db, size: str) -> None:
    with pytest.raises(CommandError):
        run("--batch-size", size)


def test_zero_batch_size_is_refused_not_replaced_by_the_default(issue, clock) -> None:
    issue(1)
    clock.shift(timedelta(days=2))
    with pytest.raises(CommandError, match="--batch-size must be a positive integer"):
        run(batch_size=0)
    assert ResetPasswordToken.objects.count() == 1


@pytest.mark.parametrize("size", [0, -3, "1000"])
def test_bad_batch_size_setting_is_a_command_error(db, size: Any) -> None:
    with (
        resetkit_overrides(CLEANUP_BATCH_SIZE=size),
        pytest.raises(CommandError, match="CLEANUP_BATCH_SIZE"),
    ):
        run()


@pytest.mark.parametrize("spelling", ["flat", "resetkit"])
def test_expiry_setting_is_honoured(issue, clock, spelling: str) -> None:
    issue(2)
    clock.shift(timedelta(hours=2))
    assert "Removed 0 " in run()  # default: 24 hours
    overrides = (
        override_settings(DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME=1)
        if spelling == "flat"
        else resetkit_overrides(TOKEN_EXPIRY_HOURS=1)
    )
    with overrides:
        assert "Removed 2 " in run()
    assert ResetPasswordToken.objects.count() == 0


def test_bad_expiry_setting_is_a_command_error(db) -> None:
    with (
        resetkit_overrides(TOKEN_EXPIRY_HOURS="a day"),
        pytest.raises(CommandError, match="TOKEN_EXPIRY_HOURS"),
    ):
        run()


def test_with_the_cache_store_it_is_harmless_and_says_so(issue, make_user, clock) -> None:
    """Cache entries expire by themselves; the table is still cleared (a view may use it)."""
    issue(2)
    clock.shift(timedelta(hours=25))
    cached = CacheTokenStore().create_token(make_user(), "cached-token-key")
    with resetkit_overrides(TOKEN_STORE="resetkit.backends.cache.CacheTokenStore"):
        output = run()
        assert "Removed 2 expired password reset token(s)." in output
        assert "CacheTokenStore" in output and "expires its tokens itself" in output
        assert "Removed 0 " in run()
    assert ResetPasswordToken.objects.count() == 0
    # The live cache token was not touched.
    assert CacheTokenStore().get_token(cached.key) is not None


def test_orm_store_run_does_not_mention_another_store(issue) -> None:
    assert "configured store" not in run()
