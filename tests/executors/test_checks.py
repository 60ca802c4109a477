"""``manage.py check`` names a request view whose jobs a task worker could not rebuild."""

from __future__ import annotations

from typing import Any

from django.test import override_settings
from django.urls import include, path

from resetkit.executors.checks import check_issue_executors
from resetkit.views import ResetPasswordRequestToken
from tests.conftest import resetkit_overrides

TASKS_EXECUTOR = {"CLASS": "resetkit.executors.TasksExecutor"}


class Nested:
    """A URLconf module stand-in: ``urlpatterns`` built per test."""

    urlpatterns: list[Any] = []


def check_with(patterns: list[Any], **resetkit: Any) -> list[str]:
    Nested.urlpatterns = [path("api/", include((patterns, "api")))]
    with override_settings(ROOT_URLCONF=Nested), resetkit_overrides(**resetkit):
        return [message.id for message in check_issue_executors()]


def test_the_shipped_urls_pass_with_every_executor() -> None:
    with (
        override_settings(ROOT_URLCONF="tests.urls"),
        resetkit_overrides(ISSUE_EXECUTOR=TASKS_EXECUTOR),
    ):
        assert check_issue_executors() == []


def test_a_view_defined_in_a_function_is_an_error_only_for_task_workers() -> None:
    class Local(ResetPasswordRequestToken):
        pass

    patterns = [path("reset/", Local.as_view())]
    assert check_with(patterns, ISSUE_EXECUTOR=TASKS_EXECUTOR) == ["resetkit.E013"]
    assert check_with(patterns, ISSUE_EXECUTOR="resetkit.executors.ThreadExecutor") == []


def test_an_option_a_worker_cannot_rebuild_is_an_error() -> None:
    patterns = [
        path("reset/", ResetPasswordRequestToken.as_view(token_store_kwargs={"x": object()}))
    ]
    assert check_with(patterns, ISSUE_EXECUTOR=TASKS_EXECUTOR) == ["resetkit.E013"]


def test_an_executor_that_cannot_be_built_is_an_error() -> None:
    assert check_with([], ISSUE_EXECUTOR="resetkit.executors.Nope") == ["resetkit.E012"]
