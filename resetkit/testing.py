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

To get the tokens a test issued, with their raw keys, without mocking anything::

    from resetkit.testing import capture_issued_tokens

    def test_reset(client, user):
        with capture_issued_tokens() as tokens:
            client.post("/api/password_reset/", {"email": user.email})
        assert tokens.last.user == user
        client.post("/api/password_reset/confirm/", {"token": tokens.last.key, "password": "..."})

or the ``issued_tokens`` fixture of the pytest plugin
(``pytest_plugins = ["resetkit.pytest_plugin"]``).
Inside :func:`capture_issued_tokens` the request endpoint's work runs at once, whatever
``ISSUE_EXECUTOR`` says, so the tokens are there when the response is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from resetkit.backends import ResetTokenLike
from resetkit.executors import IssueJob, _captures, flush_issue_executors
from resetkit.executors.jobs import run_issue_job, run_issue_job_logged
from resetkit.signals import reset_password_token_created

__all__ = [
    "CapturedJobs",
    "IssuedTokens",
    "capture_issue_jobs",
    "capture_issued_tokens",
    "flush_issue_jobs",
]


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
def _intercepting(jobs: CapturedJobs) -> Iterator[CapturedJobs]:
    """Send the request endpoint's jobs to ``jobs`` instead of an executor, for the block."""
    _captures.append(jobs)
    try:
        yield jobs
    finally:
        _captures.remove(jobs)


def capture_issue_jobs() -> AbstractContextManager[CapturedJobs]:
    """Collect the jobs the request endpoint submits, instead of handing them to an executor."""
    return _intercepting(CapturedJobs())


def flush_issue_jobs(timeout: float | None = 10.0) -> None:
    """Wait until every in-process executor has run its jobs; ``AssertionError`` on timeout."""
    if not flush_issue_executors(timeout):
        raise AssertionError(f"resetkit's issue jobs did not finish within {timeout}s")


class _RunAtOnce(CapturedJobs):
    """A capture that runs each job as it is submitted, on the request's thread (errors are
    raised, so a test sees them)."""

    def append(self, job: IssueJob) -> None:
        run_issue_job(job)


class IssuedTokens(list[ResetTokenLike]):
    """The tokens delivered inside :func:`capture_issued_tokens`, in order; ``.key`` is raw."""

    @property
    def last(self) -> ResetTokenLike:
        """The most recent token; ``AssertionError`` if none was issued."""
        assert self, "no reset token was issued"
        return self[-1]

    @property
    def keys(self) -> list[str]:
        """The raw keys, in order."""
        return [str(token.key) for token in self]

    def for_user(self, user: Any) -> list[ResetTokenLike]:
        """The tokens issued to ``user``."""
        return [token for token in self if token.user.pk == user.pk]


@contextmanager
def capture_issued_tokens(*, run_jobs: bool = True) -> Iterator[IssuedTokens]:
    """Collect every token delivered (``reset_password_token_created``) inside the block.

    With ``run_jobs`` (default) the request endpoint's jobs run at once, whatever executor is
    configured; pass ``False`` to keep the configured executor (then flush it, or run a
    :func:`capture_issue_jobs` capture, before reading the tokens).
    """
    tokens = IssuedTokens()

    def receiver(sender: Any, reset_password_token: ResetTokenLike, **kwargs: Any) -> None:
        tokens.append(reset_password_token)

    reset_password_token_created.connect(receiver, weak=False, dispatch_uid=id(tokens))
    try:
        with _intercepting(_RunAtOnce()) if run_jobs else nullcontext():
            yield tokens
    finally:
        reset_password_token_created.disconnect(dispatch_uid=id(tokens))
