"""The default executor: background threads in the web process, a bounded queue, a drain at exit.

These tests commit their data (``transactional_db``): the pool's threads have their own
database connections and see only what is committed, as in production.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connections
from rest_framework.test import APIRequestFactory

from resetkit.backends.orm import ORMTokenStore
from resetkit.executors import ThreadExecutor
from resetkit.signals import reset_password_token_created
from resetkit.views import ResetPasswordRequestToken
from tests.conftest import resetkit_overrides
from tests.executors.views import StaffOnlyRequest

pytestmark = pytest.mark.django_db(transaction=True)
factory = APIRequestFactory()


@pytest.fixture
def executor() -> Iterator[ThreadExecutor]:
    pool = ThreadExecutor(workers=1, max_queue=2, shutdown_timeout=5, delay=(0, 0))
    yield pool
    pool.shutdown(timeout=5)


@pytest.fixture
def deliveries() -> Iterator[list[dict[str, Any]]]:
    """What each delivery saw: the token, its thread, that thread's database connection."""
    log: list[dict[str, Any]] = []

    def receiver(reset_password_token: Any, **kwargs: Any) -> None:
        log.append(
            {
                "token": reset_password_token,
                "thread": threading.current_thread().name,
                "connection": connections["default"],  # this thread's own
                "at": time.monotonic(),
            }
        )

    reset_password_token_created.connect(receiver, dispatch_uid="thread-deliveries")
    yield log
    reset_password_token_created.disconnect(dispatch_uid="thread-deliveries")


def post(executor: ThreadExecutor, email: str, view_class: type = ResetPasswordRequestToken) -> Any:
    class Pooled(view_class):  # type: ignore[misc, valid-type]
        def get_issue_executor(self) -> ThreadExecutor:
            return executor

    response = Pooled.as_view()(
        factory.post("/api/password_reset/", {"email": email}, format="json")
    )
    response.render()
    return response


def test_the_request_thread_looks_nothing_up_and_a_pool_thread_issues(
    user, executor, deliveries, django_assert_num_queries
) -> None:
    with django_assert_num_queries(0):
        response = post(executor, "alice@example.com")
    assert response.status_code == 200
    assert executor.flush(timeout=10)
    [delivery] = deliveries
    assert delivery["token"].user == user
    assert delivery["thread"].startswith("resetkit-issue-")
    # The job's connection was closed afterwards, as Django closes a request's.
    assert delivery["connection"].connection is None


def test_the_configured_default_is_the_thread_pool(user, deliveries) -> None:
    from resetkit.testing import flush_issue_jobs

    with resetkit_overrides(ISSUE_EXECUTOR="resetkit.executors.ThreadExecutor"):
        response = post_default("alice@example.com")
        flush_issue_jobs()
    assert response.status_code == 200
    assert [d["token"].user for d in deliveries] == [user]
    assert deliveries[0]["thread"].startswith("resetkit-issue-")


def post_default(email: str) -> Any:
    response = ResetPasswordRequestToken.as_view()(
        factory.post("/api/password_reset/", {"email": email}, format="json")
    )
    response.render()
    return response


def test_overridden_hooks_run_on_the_pool_thread(make_user, executor, seen) -> None:
    make_user(email="alice@example.com", username="alice")
    staff = make_user(email="staff@example.com", username="staff", is_staff=True)
    for email in ("alice@example.com", "staff@example.com"):
        post(executor, email, view_class=StaffOnlyRequest)
    assert executor.flush(timeout=10)
    assert [(s["user"], s["thread"][:15]) for s in seen] == [(staff, "resetkit-issue-")]


def test_a_full_queue_drops_the_job_answers_alike_and_logs(
    user, executor, deliveries, caplog
) -> None:
    release = threading.Event()
    started = threading.Event()

    def slow(**kwargs: Any) -> None:
        started.set()
        release.wait(10)

    reset_password_token_created.connect(slow, dispatch_uid="slow")
    try:
        with caplog.at_level(logging.WARNING, logger="resetkit"):
            first = post(executor, "alice@example.com")
            assert started.wait(10)  # the only worker is busy
            queued = [post(executor, e) for e in ("alice@example.com", "nobody@example.com")]
            dropped = post(executor, "alice@example.com")
        release.set()
        assert executor.flush(timeout=10)
    finally:
        release.set()
        reset_password_token_created.disconnect(dispatch_uid="slow")
    answers = {(r.status_code, r.content) for r in [first, *queued, dropped]}
    assert answers == {(200, b'{"status":"OK"}')}
    assert executor.dropped == 1
    assert any("queue is full" in r.getMessage() for r in caplog.records)
    assert len(deliveries) == 2  # the first and the queued known account; not the dropped one


def test_a_raising_receiver_is_logged_and_the_pool_lives_on(
    user, executor, deliveries, caplog
) -> None:
    def explode(**kwargs: Any) -> None:
        raise RuntimeError("mail server said no")

    reset_password_token_created.connect(explode, dispatch_uid="explode")
    try:
        with caplog.at_level(logging.ERROR, logger="resetkit"):
            post(executor, "alice@example.com")
            assert executor.flush(timeout=10)
    finally:
        reset_password_token_created.disconnect(dispatch_uid="explode")
    post(executor, "alice@example.com")
    assert executor.flush(timeout=10)
    assert len(deliveries) == 2
    assert any("mail server said no" in (r.exc_text or "") for r in caplog.records)
    key = deliveries[0]["token"].key
    assert all(key not in r.getMessage() + (r.exc_text or "") for r in caplog.records)


def test_a_database_outage_in_the_worker_is_logged_and_issues_nothing(
    user, executor, deliveries, caplog, monkeypatch
) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(ORMTokenStore, "create_token", down)
    with caplog.at_level(logging.ERROR, logger="resetkit"):
        response = post(executor, "alice@example.com")
        assert executor.flush(timeout=10)
    assert response.status_code == 200
    assert deliveries == []
    assert any("failed to issue reset tokens" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    post(executor, "alice@example.com")
    assert executor.flush(timeout=10)
    assert len(deliveries) == 1


def test_shutdown_drains_what_is_queued(user, deliveries) -> None:
    pool = ThreadExecutor(workers=1, max_queue=10, delay=(30, 30))
    for _ in range(3):
        post(pool, "alice@example.com")
    pool.shutdown(timeout=10)
    assert len(deliveries) == 3


def test_shutdown_gives_up_after_its_timeout_and_says_so(user, caplog) -> None:
    pool = ThreadExecutor(workers=1, max_queue=10, delay=(0, 0))
    release = threading.Event()

    def stuck(**kwargs: Any) -> None:
        release.wait(10)

    reset_password_token_created.connect(stuck, dispatch_uid="stuck")
    try:
        post(pool, "alice@example.com")
        with caplog.at_level(logging.ERROR, logger="resetkit"):
            pool.shutdown(timeout=0.2)
    finally:
        release.set()
        reset_password_token_created.disconnect(dispatch_uid="stuck")
    assert any("still queued or running at shutdown" in r.getMessage() for r in caplog.records)


def test_each_job_waits_a_random_delay_so_its_load_does_not_follow_the_request(
    user, deliveries
) -> None:
    pool = ThreadExecutor(workers=2, max_queue=10, delay=(0.3, 0.6))
    try:
        submitted = time.monotonic()
        for _ in range(3):  # the account's budget
            post(pool, "alice@example.com")
        time.sleep(0.2)
        assert deliveries == []  # nothing has started yet
        deadline = time.monotonic() + 10
        while len(deliveries) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        started = [d["at"] - submitted for d in deliveries]
    finally:
        pool.shutdown(timeout=5)
    assert len(started) == 3
    assert all(0.3 <= offset < 1.5 for offset in started)
    assert max(started) - min(started) > 0.005  # spread, not one burst


def test_flush_runs_waiting_jobs_at_once(user, deliveries) -> None:
    pool = ThreadExecutor(workers=1, max_queue=10, delay=(30, 30))
    try:
        post(pool, "alice@example.com")
        began = time.monotonic()
        assert pool.flush(timeout=10)
        assert time.monotonic() - began < 5
        assert len(deliveries) == 1
    finally:
        pool.shutdown(timeout=5)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ThreadExecutor(workers=0)
    with pytest.raises(ValueError, match="delay"):
        ThreadExecutor(delay=(2, 1))
