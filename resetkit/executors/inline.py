"""Run the job at once, on the request's own thread, before the answer (tests, the legacy 400)."""

from __future__ import annotations

from resetkit.executors.base import BaseIssueExecutor
from resetkit.executors.jobs import IssueJob, run_issue_job


class InlineExecutor(BaseIssueExecutor):
    """Do the work before answering, like the Tasks framework's ``ImmediateBackend``.

    Deterministic, so it suits a project's tests. The answer's timing then depends on the
    account: do not use it in production.
    """

    def submit(self, job: IssueJob) -> None:
        run_issue_job(job)
