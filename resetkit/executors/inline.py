"""Run the job at once, on the request's own thread, before the answer (tests, the legacy 400)."""

from __future__ import annotations

from resetkit.exceptions import is_outage
from resetkit.executors.base import BaseIssueExecutor
from resetkit.executors.jobs import IssueJob, log_job_failure, run_issue_job


class InlineExecutor(BaseIssueExecutor):
    """Do the work before answering, like the Tasks framework's ``ImmediateBackend``.

    Deterministic, so it suits a project's tests. The answer's timing then depends on the
    account: do not use it in production.

    An outage met by the work (the token store, the budget's cache, the database) is logged
    and leaves the answer as it is, as with the other executors: an unknown address never
    reaches the store or the budget, so a ``503`` for existing accounts only would name them.
    Any other error is raised, so that a project's tests see it.
    """

    def submit(self, job: IssueJob) -> None:
        try:
            run_issue_job(job)
        except Exception as exc:
            if not is_outage(exc):
                raise
            log_job_failure(job)
