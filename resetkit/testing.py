"""Helpers for tests of projects that use resetkit (and for resetkit's own).

The request endpoint hands its work to an executor and answers. In a test, either run that
work inline (``RESETKIT = {"ISSUE_EXECUTOR": "resetkit.executors.InlineExecutor"}``), or
capture the jobs and run them when the test says so::

    from resetkit.testing import capture_issue_jobs

    def test_reset_mail(client, user, mailoutbox):
        with capture_issue_jobs() as jobs:
            response = client.post("/api/password_reset/", {"email": user.email})
        assert response.status_code == 200 and mailoutbox == []   # nothing done yet
        jobs.run()                                                 # now, in this thread
        assert len(mailoutbox) == 1

For a live server with the default ``ThreadExecutor``, :func:`flush_issue_jobs` waits until
the process's background threads have finished.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from resetkit.executors import IssueJob, _captures, flush_issue_executors
from resetkit.executors.jobs import run_issue_job_logged

__all__ = ["CapturedJobs", "capture_issue_jobs", "flush_issue_jobs"]


class CapturedJobs(list[IssueJob]):
    """The jobs submitted inside :func:`capture_issue_jobs`, in order."""

    def run(self) -> int:
        """Run and remove every pending job on this thread, as an executor would (a failure
        is logged, not raised); return how many ran. Jobs run inside the test's transaction."""
        count = 0
        while self:
            run_issue_job_logged(self.pop(0), manage_connections=False)
            count += 1
        return count


@contextmanager
def capture_issue_jobs() -> Iterator[CapturedJobs]:
    """Collect the jobs the request endpoint submits, instead of handing them to an executor."""
    jobs = CapturedJobs()
    _captures.append(jobs)
    try:
        yield jobs
    finally:
        _captures.remove(jobs)


def flush_issue_jobs(timeout: float | None = 10.0) -> None:
    """Wait until every in-process executor has run its jobs; ``AssertionError`` on timeout."""
    if not flush_issue_executors(timeout):
        raise AssertionError(f"resetkit's issue jobs did not finish within {timeout}s")
