"""The task a worker runs to issue reset tokens (used by ``resetkit.executors.TasksExecutor``).

The task object is built on first access, not at import: building a task asks the Tasks
framework to validate it against a configured backend, and nothing in resetkit reads settings
at import time. Workers find it by its path, ``resetkit.tasks.issue_reset_tokens``.
"""

from __future__ import annotations

from typing import Any

TASK_NAME = "issue_reset_tokens"


def _issue_reset_tokens(payload: str | dict[str, Any]) -> None:
    """Rebuild the job's view and issue and deliver its tokens, on the worker's database
    connections (kept from job to job; a broken one is replaced). ``payload`` is the job as
    a JSON string (or, as enqueued by earlier versions, its decoded dict)."""
    import json

    from resetkit.executors.jobs import (
        IssueJob,
        close_broken_connections,
        log_job_failure,
        run_issue_job,
    )

    close_broken_connections()
    job = IssueJob.from_payload(json.loads(payload) if isinstance(payload, str) else payload)
    try:
        run_issue_job(job)
    except Exception:
        log_job_failure(job)
        raise  # for the backend to record and retry


# Workers import the task as ``resetkit.tasks.issue_reset_tokens``: name the function so.
_issue_reset_tokens.__name__ = _issue_reset_tokens.__qualname__ = TASK_NAME


def tasks_framework() -> Any:
    """Django's Tasks framework: ``django.tasks`` (Django 6.0+) or the ``django_tasks``
    backport; ``ImproperlyConfigured`` saying what to install when neither is there."""
    try:
        import django.tasks as framework
    except ImportError:
        try:
            import django_tasks as framework  # type: ignore[no-redef]
        except ImportError as exc:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                "resetkit.executors.TasksExecutor needs Django's Tasks framework: Django 6.0 or "
                "later, or `pip install django-resetkit[tasks]` (the django-tasks backport)."
            ) from exc
    return framework


def task_decorator() -> Any:
    """Django's ``task`` decorator, from :func:`tasks_framework`."""
    return tasks_framework().task


def base_task_options() -> dict[str, Any]:
    """The backend and queue the module-level task is built with: the configured
    ``TasksExecutor``'s, else any valid pair. Building validates them, and each enqueue picks
    its own with ``.using()``, so this only has to be a valid pair."""
    from resetkit.executors import TasksExecutor, get_issue_executor

    executor = get_issue_executor()
    if isinstance(executor, TasksExecutor):
        return {"backend": executor.backend, "queue_name": executor.queue_name}
    framework = tasks_framework()
    default_alias, default_queue = (
        framework.DEFAULT_TASK_BACKEND_ALIAS,
        framework.DEFAULT_TASK_QUEUE_NAME,
    )
    aliases = list(framework.task_backends.settings)
    alias = default_alias if default_alias in aliases else aliases[0]
    queues = framework.task_backends[alias].queues
    queue = default_queue if not queues or default_queue in queues else min(queues)
    return {"backend": alias, "queue_name": queue}


def __getattr__(name: str) -> Any:
    if name != TASK_NAME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    built = task_decorator()(**base_task_options())(_issue_reset_tokens)
    globals()[TASK_NAME] = built
    return built
