"""The run's write stage: batch writes and ledger commits on one long-lived thread.

A sink's ``process_batch`` reconciles its batch on the SDK's thread and hands the
planned writes to :class:`WritePipeline` as one job (write, associate, commit the
ledger); the next batch is read and reconciled while that job's calls are in flight, so
the rate limit, not the parsing, bounds a first import. Jobs run one at a time in the
order they came (a parent stream's batches are committed before a later child's
associations look them up), and the ledger is written from this thread only. The queue
is bounded: a sink handing over more than ``depth`` batches ahead waits (back-pressure
keeps memory flat).

STATE must not cover a batch that is not written and committed: a job closes its batch's
STATE ticket (:mod:`crm_sync.sync.state`) only once it is, and the end of the run waits
for the pipeline (:meth:`WritePipeline.wait`). A failed job stops the pipeline (later
jobs are skipped, nothing after it is committed; a job's ``skipped`` callable, if it has
one, runs instead) and its error is raised on the SDK's
thread by the next :meth:`submit` or :meth:`wait`, so the run fails without that STATE.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

Job = Callable[[], None]
SKIPPED = "skipped"
"""A job's optional attribute: called instead of the job when an earlier one failed."""


class WritePipeline:
    """A bounded FIFO of batch jobs run by one writer thread."""

    def __init__(self, depth: int = 2) -> None:
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=max(1, depth))
        self._done = threading.Condition()
        self._in_flight = 0
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def submit(self, job: Job) -> None:
        """Queue a batch job; blocks while ``depth`` jobs are already waiting."""
        self._raise_failure()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hubspot-writer", daemon=True)
            self._thread.start()
        with self._done:
            self._in_flight += 1
        self._queue.put(job)

    def wait(self) -> None:
        """Return once every job submitted so far has finished; raise the first failure."""
        with self._done:
            self._done.wait_for(lambda: self._in_flight == 0)
        self._raise_failure()

    @property
    def idle(self) -> bool:
        with self._done:
            return self._in_flight == 0

    def close(self) -> None:
        """Finish the queued jobs and stop the writer thread."""
        if self._thread is None:
            return
        with self._done:
            self._done.wait_for(lambda: self._in_flight == 0)
        self._queue.put(None)
        self._thread.join()
        self._thread = None
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                if self._error is None:  # after a failure nothing more is written
                    job()
                elif (skipped := getattr(job, SKIPPED, None)) is not None:
                    skipped()
            except BaseException as exc:  # re-raised on the SDK thread by submit/wait
                self._error = exc
            finally:
                with self._done:
                    self._in_flight -= 1
                    self._done.notify_all()
