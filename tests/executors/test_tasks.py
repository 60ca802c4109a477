"""The Tasks-framework executor, in process: the backend that runs at enqueue, and the one that
only records (to read what a broker would hold). tests/e2e/ runs real workers."""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError
from django.test import override_settings
from rest_framework.test import APIClient

from resetkit.executors import TasksExecutor
from resetkit.tasks import task_decorator, tasks_framework
from tests.conftest import resetkit_overrides
from tests.executors.views import StaffOnlyRequest

pytestmark = pytest.mark.django_db

IMMEDIATE = {"CLASS": "resetkit.executors.TasksExecutor"}
RECORDED = {
    "CLASS": "resetkit.executors.TasksExecutor",
    "OPTIONS": {"backend": "recorded", "queue_name": "resets"},
}


def task_backends() -> Any:
    return tasks_framework().task_backends


@pytest.fixture
def recorded() -> Iterator[list[Any]]:
    """The results the recording backend keeps, emptied around each test."""
    backend = task_backends()["recorded"]
    backend.clear()
    yield backend.results
    backend.clear()


def request_reset(email: str) -> Any:
    return APIClient().post("/api/password_reset/", {"email": email}, format="json")


def test_the_task_runs_the_issuing_work(user, signals) -> None:
    with resetkit_overrides(ISSUE_EXECUTOR=IMMEDIATE):
        assert request_reset("alice@example.com").status_code == 200
    assert [t.user for t in signals.tokens] == [user]


def test_what_the_broker_holds_is_json_without_a_token(user, signals, recorded) -> None:
    with resetkit_overrides(ISSUE_EXECUTOR=RECORDED):
        known, unknown = request_reset("alice@example.com"), request_reset("nobody@example.com")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert signals.created == []  # nothing ran on the web side
    assert [r.task.queue_name for r in recorded] == ["resets", "resets"]
    assert {r.task.module_path for r in recorded} == {"resetkit.tasks.issue_reset_tokens"}
    stored = json.dumps([r.args for r in recorded])

    # A worker runs what was enqueued.
    from resetkit.tasks import issue_reset_tokens

    for result in recorded:
        issue_reset_tokens.call(*result.args, **result.kwargs)
    [token] = signals.tokens
    assert token.user == user
    assert token.key not in stored


def test_the_job_travels_as_one_json_string_and_old_dict_payloads_still_run(
    user, signals, recorded
) -> None:
    """A string is what the Tasks framework checks and copies in one step; jobs queued by an
    earlier version (the decoded dict) still run after an upgrade."""
    with resetkit_overrides(ISSUE_EXECUTOR=RECORDED):
        request_reset("alice@example.com")
        request_reset("alice@example.com")
    first, second = recorded
    assert [type(arg) for arg in first.args] == [str]
    assert json.loads(first.args[0])["lookup_value"] == "alice@example.com"

    from resetkit.tasks import issue_reset_tokens

    issue_reset_tokens.call(*first.args)
    issue_reset_tokens.call(json.loads(second.args[0]))
    assert [t.user for t in signals.tokens] == [user, user]


def test_overridden_hooks_run_in_the_task(make_user, seen, recorded) -> None:
    make_user(email="alice@example.com", username="alice")
    staff = make_user(email="staff@example.com", username="staff", is_staff=True)
    from rest_framework.test import APIRequestFactory

    view = StaffOnlyRequest.as_view(
        issue_executor_class=TasksExecutor, issue_executor_kwargs=RECORDED["OPTIONS"]
    )
    factory = APIRequestFactory()
    for email in ("alice@example.com", "staff@example.com"):
        view(factory.post("/api/password_reset/", {"email": email}, format="json")).render()
    from resetkit.tasks import issue_reset_tokens

    for result in recorded:
        issue_reset_tokens.call(*json.loads(json.dumps(result.args)))
    assert [s["user"] for s in seen] == [staff]


def test_a_failure_in_the_task_is_logged_and_raised_for_the_backend(
    user, recorded, caplog, monkeypatch
) -> None:
    from resetkit.tasks import issue_reset_tokens
    from resetkit.views import ResetPasswordRequestToken

    with resetkit_overrides(ISSUE_EXECUTOR=RECORDED):
        request_reset("alice@example.com")

    def broken(self: Any, value: str) -> list[Any]:
        raise KeyError("boom")

    monkeypatch.setattr(ResetPasswordRequestToken, "get_users_for_reset", broken)
    with caplog.at_level(logging.ERROR, logger="resetkit"), pytest.raises(KeyError):
        issue_reset_tokens.call(*recorded[0].args)
    assert any("failed to issue reset tokens" in r.getMessage() for r in caplog.records)


def test_an_unreachable_broker_is_the_same_503_for_every_account(user, monkeypatch) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(TasksExecutor, "get_task", down)
    with resetkit_overrides(ISSUE_EXECUTOR=RECORDED):
        known, unknown = request_reset("alice@example.com"), request_reset("nobody@example.com")
    assert known.status_code == unknown.status_code == 503
    assert known.content == unknown.content


def test_a_view_a_worker_cannot_import_fails_the_request_with_a_clear_error(user) -> None:
    from rest_framework.test import APIRequestFactory

    from resetkit.views import ResetPasswordRequestToken

    class Nested(ResetPasswordRequestToken):
        issue_executor_class = TasksExecutor

    request = APIRequestFactory().post("/", {"email": "alice@example.com"}, format="json")
    with pytest.raises(ImproperlyConfigured, match="Nested is defined inside a function"):
        Nested.as_view()(request)


def test_the_task_decorator_comes_from_the_tasks_framework() -> None:
    assert task_decorator().__module__.split(".")[0] in {"django", "django_tasks"}


def task_exceptions() -> Any:
    return importlib.import_module(f"{tasks_framework().__name__}.exceptions")


def test_the_bound_task_follows_the_tasks_setting(user, recorded) -> None:
    """The task bound to a backend and queue is built once, and again when ``TASKS`` changes:
    a queue the backend no longer has is refused at once, not at some later enqueue."""
    executor = TasksExecutor(**RECORDED["OPTIONS"])
    assert executor.get_task() is TasksExecutor(**RECORDED["OPTIONS"]).get_task()
    assert executor.get_task().queue_name == "resets"
    recorded_backend = dict(settings.TASKS["recorded"], QUEUES=["other"])
    with (
        override_settings(TASKS={**settings.TASKS, "recorded": recorded_backend}),
        pytest.raises(task_exceptions().TaskException, match="resets"),
    ):
        executor.get_task()
    assert executor.get_task().queue_name == "resets"


def test_a_changed_issue_executor_setting_is_followed(user, recorded) -> None:
    """The configured executor is resolved once, and again whenever ``RESETKIT`` changes."""
    with resetkit_overrides(ISSUE_EXECUTOR=RECORDED):
        assert request_reset("alice@example.com").status_code == 200
    with resetkit_overrides(ISSUE_EXECUTOR="resetkit.executors.InlineExecutor"):
        assert request_reset("alice@example.com").status_code == 200
    with resetkit_overrides(ISSUE_EXECUTOR=RECORDED):
        assert request_reset("alice@example.com").status_code == 200
    assert len(recorded) == 2


class FakeConnection:
    """A database connection as ``close_broken_connections()`` sees it."""

    def __init__(self, *, usable: bool, errors: bool = True, atomic: bool = False) -> None:
        self.connection = object()
        self.errors_occurred = errors
        self.in_atomic_block = atomic
        self.usable = usable
        self.closed = False

    def is_usable(self) -> bool:
        return self.usable

    def close(self) -> None:
        self.closed = True


def test_a_worker_replaces_a_broken_database_connection_before_the_next_job(
    user, signals, recorded, monkeypatch
) -> None:
    """A worker that keeps its connections from job to job (RQ's SimpleWorker) and never
    checks them: after a database restart one job fails, and the next one reconnects. A
    working connection is kept, and so is one inside a transaction."""
    from resetkit.executors import jobs

    broken, working = FakeConnection(usable=False), FakeConnection(usable=True)
    in_transaction = FakeConnection(usable=False, atomic=True)
    no_error = FakeConnection(usable=False, errors=False)
    everyone = [broken, working, in_transaction, no_error]
    monkeypatch.setattr(
        jobs, "connections", SimpleNamespace(all=lambda initialized_only=False: everyone)
    )
    with resetkit_overrides(ISSUE_EXECUTOR=RECORDED):
        assert request_reset("alice@example.com").status_code == 200
    from resetkit.tasks import issue_reset_tokens

    [result] = recorded
    issue_reset_tokens.call(*result.args, **result.kwargs)
    assert [connection.closed for connection in everyone] == [True, False, False, False]
    [token] = signals.tokens
    assert token.user == user
