"""The task a worker imports, under ``TASKS`` settings a project may well have.

A worker finds the task by its path, ``resetkit.tasks.issue_reset_tokens``, then moves it to
the backend and queue stored with the job; the web process does the same before enqueueing.
Neither needs services: each case runs in a fresh interpreter with its own settings.

Both cases failed when the task was built on the ``default`` queue of the global executor's
backend (or of the ``default`` alias) before being moved: the framework refused the pair.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, sys

    import django
    from django.conf import settings

    try:
        import django.tasks  # noqa: F401
        package = "django.tasks"
    except ImportError:
        package = "django_tasks"
    config = json.loads(sys.argv[1])
    options = config.pop("EXECUTOR")
    for alias in config["TASKS"].values():
        alias["BACKEND"] = f"{package}.backends.dummy.DummyBackend"
    settings.configure(
        SECRET_KEY="not-secret",
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "resetkit"]
        + (["django_tasks"] if package == "django_tasks" else []),
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        **config,
    )
    django.setup()
    from django.utils.module_loading import import_string

    from resetkit.executors import TasksExecutor

    # The web process: the task its executor enqueues.
    task = TasksExecutor(**options).get_task()
    assert (task.backend, task.queue_name) == (options["backend"], options["queue_name"])
    # A worker: the task by its path, moved to the job's backend and queue.
    found = import_string("resetkit.tasks.issue_reset_tokens")
    found.using(backend=options["backend"], queue_name=options["queue_name"])
    print("ok")
    """
)

CASES = {
    # The executor configured globally, on a backend whose only queue is resetkit's.
    "a backend without a 'default' queue": {
        "TASKS": {"default": {"QUEUES": ["resets"]}},
        "RESETKIT": {
            "ISSUE_EXECUTOR": {
                "CLASS": "resetkit.executors.TasksExecutor",
                "OPTIONS": {"backend": "default", "queue_name": "resets"},
            }
        },
        "EXECUTOR": {"backend": "default", "queue_name": "resets"},
    },
    # One view's executor (issue_executor_class), the global one left at ThreadExecutor, and
    # no TASKS alias named "default".
    "a view's executor and no 'default' alias": {
        "TASKS": {"workers": {}},
        "RESETKIT": {},
        "EXECUTOR": {"backend": "workers", "queue_name": "default"},
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_task_builds_on_any_valid_backend_and_queue(case: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(CASES[case])],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr[-2000:]
