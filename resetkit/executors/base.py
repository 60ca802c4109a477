"""The contract every issue executor keeps: take a job, run it somewhere, later.

An executor is what stands between the request endpoint and the account-dependent work. The
view builds an :class:`~resetkit.executors.jobs.IssueJob` (before any lookup), hands it to
``submit()`` and answers; the executor runs the job elsewhere, so nothing a client can time
depends on the account.
"""

from __future__ import annotations

from resetkit.executors.jobs import IssueJob


class BaseIssueExecutor:
    """Run :class:`IssueJob` objects. Subclasses implement :meth:`submit`.

    ``submit()`` must return without doing any account-dependent work on the calling thread,
    and must behave the same for every job (a full queue, an unreachable broker): the request
    endpoint's answer is built around it.
    """

    #: Whether jobs leave the process, so they must be JSON (a view importable by its dotted
    #: path, ``as_view()`` options that are plain values, classes or functions).
    serializes_jobs: bool = False

    def submit(self, job: IssueJob) -> None:
        """Arrange for ``job`` to run. Raise only for failures every account would see alike."""
        raise NotImplementedError("subclasses of BaseIssueExecutor must provide a submit() method")

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every job submitted in this process has finished; ``False`` on timeout.

        Executors whose jobs run elsewhere have nothing to wait for here and return ``True``.
        """
        return True
