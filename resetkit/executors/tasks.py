"""Send the issuing work to the project's task workers through Django's Tasks framework.

For projects with many web machines: the web tier only enqueues (the same for every account),
and the lookup, issuing and delivery run on the workers of the task backend the project
already runs (``django-tasks-db`` on its database, RQ on Redis, ...). Django 6.0+ provides
``django.tasks``; on Django 5.2 install the ``django-tasks`` backport.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from resetkit.executors.base import BaseIssueExecutor
from resetkit.executors.jobs import IssueJob

# The task bound to each (backend, queue, priority), built once: binding validates the pair
# against the backend, which each enqueue does again anyway. Dropped when TASKS changes.
_bound: dict[tuple[str, str, int | None], Any] = {}
_bound_lock = threading.Lock()


@receiver(setting_changed)
def _forget_bound_tasks(*, setting: str, **kwargs: Any) -> None:
    if setting in ("TASKS", "INSTALLED_APPS"):
        with _bound_lock:
            _bound.clear()


class TasksExecutor(BaseIssueExecutor):
    """Enqueue each job as the ``resetkit.tasks.issue_reset_tokens`` task.

    ``backend`` is an alias of the ``TASKS`` setting and ``queue_name`` one of its queues. The
    job travels as JSON and holds no token. A failure inside the task is logged and re-raised,
    so the backend records it and applies its own retry policy. An enqueue that fails (broker
    or database down) fails the request alike for every account: a 503, like any outage.
    """

    serializes_jobs = True

    def __init__(
        self, backend: str = "default", queue_name: str = "default", priority: int | None = None
    ) -> None:
        self.backend = backend
        self.queue_name = queue_name
        self.priority = priority

    def get_task(self) -> Any:
        """Return the task, bound to this executor's backend and queue (built once per process
        and ``TASKS`` setting)."""
        key = (self.backend, self.queue_name, self.priority)
        task = _bound.get(key)
        if task is None:
            from resetkit.tasks import issue_reset_tokens

            options: dict[str, Any] = {"backend": self.backend, "queue_name": self.queue_name}
            if self.priority is not None:
                options["priority"] = self.priority
            task = issue_reset_tokens.using(**options)
            with _bound_lock:
                _bound[key] = task
        return task

    def submit(self, job: IssueJob) -> None:
        # One JSON string, not the nested dict: the Tasks framework walks and copies a task's
        # arguments several times per enqueue (``normalize_json``), a string in one step.
        self.get_task().enqueue(json.dumps(job.to_payload(), separators=(",", ":")))
