"""The default executor: a small pool of background threads in each web process.

Nothing new to run: the request's thread puts the job on a bounded queue and answers; a pool
thread does the lookup, issuing and delivery. Semantics are at most once: a job still queued
or running when the process is killed is lost (the requester asks again). A graceful shutdown
drains the queue for up to ``shutdown_timeout`` seconds.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time

from django.db import connections

from resetkit.executors.base import BaseIssueExecutor
from resetkit.executors.jobs import IssueJob, run_issue_job_logged

logger = logging.getLogger("resetkit")

_STOP = object()


class ThreadExecutor(BaseIssueExecutor):
    """Run jobs on ``workers`` daemon threads fed by a queue of at most ``max_queue`` jobs.

    A full queue drops the new job and logs a warning: every account is answered alike, and a
    burst that big is an attack or an outage, not a user waiting for mail. Threads start on the
    first job in each process, so a server that forks after importing the project (gunicorn's
    ``--preload``) gets a pool per worker.
    """

    def __init__(
        self, workers: int = 2, max_queue: int = 1000, shutdown_timeout: float = 10.0
    ) -> None:
        if int(workers) < 1 or int(max_queue) < 1:
            raise ValueError("workers and max_queue must be at least 1")
        self.workers = int(workers)
        self.max_queue = int(max_queue)
        self.shutdown_timeout = float(shutdown_timeout)
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.Queue[object] = queue.Queue(self.max_queue)
        self._threads: list[threading.Thread] = []
        self.dropped = 0

    def submit(self, job: IssueJob) -> None:
        self._start()
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            self.dropped += 1
            logger.warning(
                "resetkit: the issue queue is full (%d jobs waiting); a reset request was "
                "dropped. Raise ThreadExecutor's max_queue or workers, or move the work to "
                "task workers (resetkit.executors.TasksExecutor).",
                self.max_queue,
            )

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the queue is empty and no job is running; ``False`` on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
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
                self._queue.unfinished_tasks,
                timeout,
            )
        with self._lock:
            for _thread in self._threads:
                try:
                    self._queue.put_nowait(_STOP)
                except queue.Full:
                    break
            self._threads = []
            self._pid = None

    def _start(self) -> None:
        pid = os.getpid()
        if self._pid == pid:
            return
        with self._lock:
            if self._pid == pid:
                return
            if self._pid is not None:
                # A forked child inherits the parent's queue but none of its threads.
                self._queue = queue.Queue(self.max_queue)
            self._threads = [
                threading.Thread(target=self._work, name=f"resetkit-issue-{index}", daemon=True)
                for index in range(self.workers)
            ]
            for thread in self._threads:
                thread.start()
            self._pid = pid
            atexit.register(self.shutdown)

    def _work(self) -> None:
        work_queue = self._queue
        try:
            while True:
                job = work_queue.get()
                try:
                    if job is _STOP:
                        return
                    run_issue_job_logged(job)  # type: ignore[arg-type]
                except Exception:  # the pool must outlive any job, even a broken connection
                    logger.exception("resetkit: an issue thread recovered from an error")
                finally:
                    work_queue.task_done()
        finally:
            connections.close_all()
