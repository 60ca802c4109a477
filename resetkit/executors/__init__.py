"""Issue executors: where the request endpoint's account-dependent work runs.

``RESETKIT["ISSUE_EXECUTOR"]`` picks one globally (a dotted path, or ``{"CLASS": ...,
"OPTIONS": {...}}``); a view picks its own with ``issue_executor_class``:

* :class:`ThreadExecutor` (default): a small pool of threads in each web process;
* :class:`TasksExecutor`: the project's task workers, through Django's Tasks framework;
* :class:`InlineExecutor`: at once, before answering (tests; it reveals accounts by timing).
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from resetkit.executors.base import BaseIssueExecutor
from resetkit.executors.inline import InlineExecutor
from resetkit.executors.jobs import DetachedRequest, IssueJob, run_issue_job
from resetkit.executors.tasks import TasksExecutor
from resetkit.executors.threads import ThreadExecutor

__all__ = [
    "BaseIssueExecutor",
    "DetachedRequest",
    "InlineExecutor",
    "IssueJob",
    "TasksExecutor",
    "ThreadExecutor",
    "build_issue_executor",
    "flush_issue_executors",
    "get_issue_executor",
    "run_issue_job",
    "submit_issue_job",
]

# Executors hold threads and queues, so one instance per configuration serves the process.
# Entries are never dropped: an executor replaced by a settings change still drains its queue.
_built: dict[tuple[type, str], BaseIssueExecutor] = {}
_built_lock = threading.Lock()
# The executor ISSUE_EXECUTOR names, once resolved: every request asks for it. Forgotten when
# the settings change (resetkit's, or the flat alias).
_configured: list[BaseIssueExecutor] = []


@receiver(setting_changed)
def _forget_configured_executor(*, setting: str, **kwargs: Any) -> None:
    from resetkit.conf import LEGACY_ALIASES, SETTING_NAME

    if setting == SETTING_NAME or setting in LEGACY_ALIASES.values():
        _configured.clear()


def build_issue_executor(cls: Any, options: dict[str, Any], where: str) -> BaseIssueExecutor:
    """Return the process's executor of class ``cls`` with ``options`` (built once)."""
    if not (isinstance(cls, type) and issubclass(cls, BaseIssueExecutor)):
        raise ImproperlyConfigured(f"{where}: {cls!r} is not a BaseIssueExecutor subclass.")
    key = (cls, repr(sorted(options.items())))
    with _built_lock:
        executor = _built.get(key)
        if executor is None:
            try:
                executor = cls(**options)
            except (TypeError, ValueError) as exc:
                raise ImproperlyConfigured(
                    f"{where}: cannot build {cls.__name__} with {options!r} ({exc})."
                ) from exc
            _built[key] = executor
    return executor


def in_test_environment() -> bool:
    """Whether Django's test environment is set up (its test runner, pytest-django): that is
    when Django swaps in the ``mail.outbox`` that tests read."""
    from django.core import mail

    return hasattr(mail, "outbox")


def get_issue_executor() -> BaseIssueExecutor:
    """The executor named by ``RESETKIT["ISSUE_EXECUTOR"]``; inline when
    ``ISSUE_AFTER_RESPONSE`` is off, and, while the setting is left at its default, under
    Django's test environment (tests then see tokens issued when the request returns, as with
    django-rest-passwordreset and the Tasks framework's ``ImmediateBackend``)."""
    from resetkit.conf import resetkit_settings
    from resetkit.loading import resolve_setting

    if not resetkit_settings.ISSUE_AFTER_RESPONSE:
        return build_issue_executor(InlineExecutor, {}, "ISSUE_AFTER_RESPONSE")
    setting = resetkit_settings.source_of("ISSUE_EXECUTOR")
    if setting.endswith("(default)") and in_test_environment():
        return build_issue_executor(InlineExecutor, {}, "the test environment")
    if _configured:
        return _configured[0]
    cls, options, setting = resolve_setting("ISSUE_EXECUTOR")
    executor = build_issue_executor(cls, options, setting)
    _configured[:] = [executor]
    return executor


# Job lists of resetkit.testing.capture_issue_jobs(), innermost last.
_captures: list[list[IssueJob]] = []


def submit_issue_job(executor: BaseIssueExecutor, job: IssueJob) -> None:
    """Hand ``job`` to ``executor``, or to the innermost ``capture_issue_jobs()`` of a test."""
    if _captures:
        _captures[-1].append(job)
    else:
        executor.submit(job)


def flush_issue_executors(timeout: float | None = None) -> bool:
    """Wait until every executor of this process has run its jobs; ``False`` on timeout."""
    with _built_lock:
        executors = list(_built.values())
    return all(executor.flush(timeout) for executor in executors)
