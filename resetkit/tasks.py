"""The task a worker runs to issue reset tokens (used by ``resetkit.executors.TasksExecutor``).

The task object is built on first access, not at import: building a task asks the Tasks
framework to validate it against a configured backend, and nothing in resetkit reads settings
at import time. Workers find it by its path, ``resetkit.tasks.issue_reset_tokens``.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("resetkit")

TASK_NAME = "issue_reset_tokens"


def _issue_reset_tokens(payload: dict[str, Any]) -> None:
    """Rebuild the job's view and issue and deliver its tokens."""
    from resetkit.executors.jobs import IssueJob, run_issue_job

    job = IssueJob.from_payload(payload)
    try:
        run_issue_job(job)
    except Exception:
        logger.exception(
            "resetkit: %s failed to issue reset tokens for a request to %s",
            job.view_name,
            job.request.get("path", ""),
        )
        raise


# Workers import the task as ``resetkit.tasks.issue_reset_tokens``: name the function so.
_issue_reset_tokens.__name__ = _issue_reset_tokens.__qualname__ = TASK_NAME


def task_decorator() -> Any:
    """Django's ``task`` decorator: ``django.tasks`` (Django 6.0+) or the backport."""
    try:
        from django.tasks import task
    except ImportError:
        try:
            from django_tasks import task  # type: ignore[no-redef]
        except ImportError as exc:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                "resetkit.executors.TasksExecutor needs Django's Tasks framework: Django 6.0 or "
                "later, or `pip install django-resetkit[tasks]` (the django-tasks backport)."
            ) from exc
    return task


def __getattr__(name: str) -> Any:
    if name != TASK_NAME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from resetkit.executors import get_issue_executor

    executor = get_issue_executor()
    backend = getattr(executor, "backend", "default")
    built = task_decorator()(backend=backend)(_issue_reset_tokens)
    globals()[TASK_NAME] = built
    return built
