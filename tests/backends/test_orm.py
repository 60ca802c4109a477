"""What only the ORM store has: its table, its indexes, and the model API kept from upstream."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from resetkit.backends.orm import ORMTokenStore
from resetkit.digests import token_digest
from resetkit.models import ResetPasswordToken
from tests.backends.raw import raw_token_rows
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

TABLE = ResetPasswordToken._meta.db_table


def constraints() -> dict[str, dict[str, Any]]:
    with connection.cursor() as cursor:
        found: dict[str, dict[str, Any]] = connection.introspection.get_constraints(cursor, TABLE)
    return found


def test_digest_has_a_unique_index() -> None:
    """Lookups by digest are a single index probe, and one digest can be stored only once."""
    assert any(
        c["columns"] == ["digest"] and c["unique"] and not c["primary_key"]
        for c in constraints().values()
    )


def test_created_at_has_an_index() -> None:
    """Expiry cleanup scans ``created_at`` oldest first; without an index it reads the table."""
    assert any(
        c["columns"] == ["created_at"] and c["index"] and not c["unique"]
        for c in constraints().values()
    )


def test_objects_create_issues_a_token(user) -> None:
    """``ResetPasswordToken.objects.create(user=u)`` worked upstream; it still issues a token."""
    token = ResetPasswordToken.objects.create(user=user)
    assert token.key
    assert token.digest == token_digest(token.key)
    assert [row["digest"] for row in raw_token_rows()] == [token.digest]
    found = ORMTokenStore().get_token(token.key)
    assert found is not None and found.pk == token.pk and found.user == user


def test_objects_create_with_a_chosen_key(user) -> None:
    token = ResetPasswordToken.objects.create(user=user, key="a-key-chosen-by-the-caller")
    assert token.digest == token_digest("a-key-chosen-by-the-caller")
    assert ORMTokenStore().get_token("a-key-chosen-by-the-caller") is not None


def test_objects_create_uses_the_configured_generator(user) -> None:
    with resetkit_overrides(
        TOKEN_GENERATOR={
            "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
            "OPTIONS": {"min_number": 100_000, "max_number": 999_999},
        }
    ):
        token = ResetPasswordToken.objects.create(user=user)
    assert token.key.isdigit() and len(token.key) == 6


def test_resaving_a_token_keeps_its_digest(user) -> None:
    token = ResetPasswordToken.objects.create(user=user)
    digest = token.digest
    token.user_agent = "edited in the admin"
    token.save()
    assert ResetPasswordToken.objects.get(pk=token.pk).digest == digest
    assert ORMTokenStore().get_token(token.key) is not None


def test_expires_at_follows_the_current_setting(user) -> None:
    token = ORMTokenStore().create_token(user, "k" * 32)
    row = ResetPasswordToken.objects.get(pk=token.pk)
    assert row.expires_at == row.created_at + timedelta(hours=24)
    with resetkit_overrides(TOKEN_EXPIRY_HOURS=3):
        assert row.expires_at == row.created_at + timedelta(hours=3)


def test_deleting_the_user_deletes_their_tokens(user, make_user) -> None:
    other = make_user()
    store = ORMTokenStore()
    store.create_token(user, "a" * 32)
    store.create_token(user, "b" * 32)
    kept = store.create_token(other, "c" * 32)
    user.delete()
    assert [row["digest"] for row in raw_token_rows()] == [kept.digest]


def test_a_refused_duplicate_leaves_the_callers_transaction_usable(user, make_user) -> None:
    """On PostgreSQL a failed INSERT aborts the transaction unless it ran in a savepoint."""
    from django.db import transaction

    from resetkit.backends.base import DuplicateTokenError

    store = ORMTokenStore()
    with transaction.atomic():
        store.create_token(user, "d" * 32)
        with pytest.raises(DuplicateTokenError):
            store.create_token(make_user(), "d" * 32)
        store.create_token(user, "e" * 32)
    assert len(raw_token_rows()) == 2


def test_clear_expired_counts_rows_not_cascades(user, clock) -> None:
    store = ORMTokenStore()
    for n in range(3):
        store.create_token(user, f"{n:032x}")
    clock.shift(timedelta(hours=25))
    assert store.clear_expired(limit=10) == 3
    assert raw_token_rows() == []
