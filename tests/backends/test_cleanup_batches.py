"""The cleanup command's batches on a real table: every expired row goes, fresh rows stay,
batches stay near their size, and a row another transaction holds never stalls the cleanup.

On PostgreSQL a batch is a run of pages (a TID range); elsewhere the oldest rows. The rows are
written with one ``bulk_create`` so the table spans several pages.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from resetkit.backends.orm import ORMTokenStore
from resetkit.models import ResetPasswordToken

EXPIRED = 600
FRESH = 40
BATCH = 200


def load(user: Any) -> None:
    now = timezone.now()
    rows = [
        ResetPasswordToken(
            user=user,
            digest=f"{n:064x}",
            created_at=now - timedelta(hours=48 if n < EXPIRED else 1, seconds=n),
            user_agent="bench",
            password_fingerprint="",
        )
        for n in range(EXPIRED + FRESH)
    ]
    ResetPasswordToken.objects.bulk_create(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ResetPasswordToken._meta.db_table}")


def fresh_left() -> int:
    return ResetPasswordToken.objects.filter(
        created_at__gte=timezone.now() - timedelta(hours=24)
    ).count()


@pytest.mark.django_db
@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "atomic"])
def test_every_expired_row_goes_in_several_batches_of_about_the_size(
    user: Any, in_transaction: bool
) -> None:
    load(user)
    store = ORMTokenStore()
    if in_transaction:
        with transaction.atomic():
            batches = list(store.clear_expired_in_batches(BATCH))
    else:
        batches = list(store.clear_expired_in_batches(BATCH))
    assert sum(batches) == EXPIRED
    assert len(batches) >= 2
    # Pages hold rows unevenly, so a run of pages only approximates the size.
    assert max(batches) <= 2 * BATCH
    assert ResetPasswordToken.objects.count() == FRESH == fresh_left()
    assert list(store.clear_expired_in_batches(BATCH)) == []


@pytest.mark.django_db(transaction=True)
def test_a_row_held_by_another_transaction_neither_stalls_nor_deadlocks(user: Any) -> None:
    """A reset holding some of a user's expired rows: the cleanup skips them after a short
    wait instead of queueing behind it (or deadlocking with it), and gets them next time."""
    if connection.vendor != "postgresql":
        pytest.skip("the page batches and their lock timeout are PostgreSQL's")
    load(user)
    held = list(
        ResetPasswordToken.objects.order_by("-created_at")
        .filter(created_at__lt=timezone.now() - timedelta(hours=24))
        .values_list("pk", flat=True)[:3]
    )
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(ResetPasswordToken.objects.select_for_update().filter(pk__in=held))
                locked.set()
                release.wait(30)
        finally:
            connections["default"].close()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert locked.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '7s'")
            cursor.execute("SET synchronous_commit = 'local'")
        store = ORMTokenStore()
        started = timezone.now()
        assert sum(store.clear_expired_in_batches(BATCH)) == EXPIRED - len(held)
        assert timezone.now() - started < timedelta(seconds=3)
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "7s"  # the session's own settings are back
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "local"
    finally:
        release.set()
        holder.join(10)
    assert sorted(ResetPasswordToken.objects.filter(pk__in=held).values_list("pk", flat=True))
    assert sum(store.clear_expired_in_batches(BATCH)) == len(held)
    assert ResetPasswordToken.objects.count() == FRESH
