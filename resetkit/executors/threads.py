"""The default executor: a small pool of background threads in each web process.

Nothing new to run: the request's thread puts the job on a bounded queue and answers; a pool
thread does the lookup, issuing and delivery. Semantics are at most once: a job still queued
or running when the process is killed is lost (the requester asks again). A graceful shutdown
drains the queue for up to ``shutdown_timeout`` seconds.

The work of a job for a real account costs the process CPU (and the GIL) that a job for an
unknown address does not. Run at once, it would slow the answers the process gives next, which
a client can time. So each job waits a random delay (``delay``, seconds) before it runs: the
extra load no longer follows the request that caused it, and a probe sent at any moment after
an answer overlaps a job's work only by chance.
"""

from __future__ import annotations

import atexit
import heapq
import itertools
import logging
import os
import random
import threading
import time
from collections.abc import Sequence

from django.db import connections

from resetkit.executors.base import BaseIssueExecutor
from resetkit.executors.jobs import IssueJob, run_issue_job_logged

logger = logging.getLogger("resetkit")

_jitter = random.SystemRandom()


class ThreadExecutor(BaseIssueExecutor):
    """Run jobs on ``workers`` daemon threads, each after a random ``delay`` (min, max seconds),
    from a queue of at most ``max_queue`` jobs.

    A full queue drops the new job and logs a warning: every account is answered alike, and a
    burst that big is an attack or an outage, not a user waiting for mail. Threads start on the
    first job in each process, so a server that forks after importing the project (gunicorn's
    ``--preload``) gets a pool per worker.
    """

    def __init__(
        self,
        workers: int = 2,
        max_queue: int = 1000,
        shutdown_timeout: float = 10.0,
        delay: Sequence[float] = (0.05, 2.0),
    ) -> None:
        if int(workers) < 1 or int(max_queue) < 1:
            raise ValueError("workers and max_queue must be at least 1")
        low, high = (float(value) for value in delay)
        if not 0 <= low <= high:
            raise ValueError("delay must be (min, max) seconds with 0 <= min <= max")
        self.workers = int(workers)
        self.max_queue = int(max_queue)
        self.shutdown_timeout = float(shutdown_timeout)
        self.delay = (low, high)
        self.dropped = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._pending: list[tuple[float, int, IssueJob]] = []  # a heap by due time
        self._sequence = itertools.count()
        self._running = 0
        self._hurry = 0  # while > 0 (a flush, a shutdown), every pending job is due
        self._stopping = False
        self._pid: int | None = None
        self._threads: list[threading.Thread] = []

    def submit(self, job: IssueJob) -> None:
        self._start()
        due = time.monotonic() + _jitter.uniform(*self.delay)
        with self._changed:
            if len(self._pending) >= self.max_queue:
                self.dropped += 1
                full = True
            else:
                heapq.heappush(self._pending, (due, next(self._sequence), job))
                self._changed.notify()
                full = False
        if full:
            logger.warning(
                "resetkit: the issue queue is full (%d jobs waiting); a reset request was "
                "dropped. Raise ThreadExecutor's max_queue or workers, or move the work to "
                "task workers (resetkit.executors.TasksExecutor).",
                self.max_queue,
            )

    @property
    def unfinished(self) -> int:
        """Jobs waiting or running in this process."""
        with self._lock:
            return len(self._pending) + self._running

    def flush(self, timeout: float | None = None) -> bool:
        """Run every waiting job now and wait until none is left; ``False`` on timeout."""
        if self._pid != os.getpid():
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            self._hurry += 1
            self._changed.notify_all()
            try:
                while self._pending or self._running:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._changed.wait(remaining)
            finally:
                self._hurry -= 1
        return True

    def shutdown(self, timeout: float | None = None) -> None:
        """Drain the queue (for at most ``timeout`` seconds), then stop the threads."""
        if self._pid != os.getpid():
            return
        timeout = self.shutdown_timeout if timeout is None else timeout
        if not self.flush(timeout):
            logger.error(
                "resetkit: %d reset request(s) were still queued or running at shutdown "
                "after %.0fs; they are lost.",
                self.unfinished,
                timeout,
            )
        with self._changed:
            self._stopping = True
            self._pending.clear()
            self._changed.notify_all()
            self._threads = []
            self._pid = None

    def _start(self) -> None:
        pid = os.getpid()
        if self._pid == pid:
            return
        with self._lock:
            if self._pid == pid:
                return
            # A forked child inherits the parent's waiting jobs but none of its threads.
            self._pending.clear()
            self._running = 0
            self._stopping = False
            self._threads = [
                threading.Thread(target=self._work, name=f"resetkit-issue-{index}", daemon=True)
                for index in range(self.workers)
            ]
            for thread in self._threads:
                thread.start()
            self._pid = pid
            atexit.register(self.shutdown)

    def _next_job(self) -> IssueJob | None:
        """Wait for the earliest job to fall due and take it; ``None`` when stopping."""
        with self._changed:
            while True:
                if self._stopping:
                    return None
                if self._pending:
                    wait = self._pending[0][0] - time.monotonic()
                    if wait <= 0 or self._hurry:
                        job = heapq.heappop(self._pending)[2]
                        self._running += 1
                        return job
                    self._changed.wait(wait)
                else:
                    self._changed.wait()

    def _work(self) -> None:
        try:
            while (job := self._next_job()) is not None:
                try:
                    run_issue_job_logged(job)
                except Exception:  # the pool must outlive any job, even a broken connection
                    logger.exception("resetkit: an issue thread recovered from an error")
                finally:
                    with self._changed:
                        self._running -= 1
                        self._changed.notify_all()
        finally:
            connections.close_all()
