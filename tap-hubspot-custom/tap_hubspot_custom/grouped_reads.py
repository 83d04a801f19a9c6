"""Association reads of several pages in one call: group commit.

A v4 association batch read takes up to 1,000 ids, but a list page holds 100 and a search
page 200: one read per page spends a window call per 100 records, half of what a full
pull with associations sends. So pages (from every list chain and the walk) hand their
ids to a :class:`GroupedReader`: while one read of that type is under way, the ids of the
pages arriving meanwhile wait and go together in the next read, started the moment the
one under way ends (or at once, when they fill a whole read). With nothing under way a
page's read starts at once, so a lone page waits no longer than before. Each page gets a
future of the read that holds its ids; the stream takes from it only its own records'.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING

from tap_hubspot_custom.associations import BATCH_MAX, AssociationReader, Found

if TYPE_CHECKING:
    from collections.abc import Callable


class GroupedReader:
    """One associated type's reads, grouped; ``submit(call)`` runs ``call`` on a worker."""

    def __init__(
        self, reader: AssociationReader, submit: Callable[[Callable[[], None]], object]
    ) -> None:
        self.reader = reader
        self._submit = submit
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._waiting: Future[Found] | None = None
        self._under_way = 0
        self.reads = 0
        """Grouped reads started (for tests and logs)."""

    def add(self, ids: list[str]) -> Future[Found]:
        """The read that will hold ``ids`` (started now, or after the one under way)."""
        with self._lock:
            if self._waiting is None:
                self._waiting = Future()
            future = self._waiting
            self._ids.extend(ids)
            start = self._under_way == 0 or len(self._ids) >= BATCH_MAX
            batch = self._take() if start else None
        if batch is not None:
            self._start(*batch)
        return future

    def _take(self) -> tuple[list[str], Future[Found]] | None:
        """The ids waiting and their future, now under way (call with the lock held)."""
        if self._waiting is None:
            return None
        batch = (self._ids, self._waiting)
        self._ids, self._waiting = [], None
        self._under_way += 1
        self.reads += 1
        return batch

    def _start(self, ids: list[str], future: Future[Found]) -> None:
        try:
            self._submit(lambda: self._read(ids, future))
        except RuntimeError as exc:  # the workers were shut down: the pull stopped
            future.set_exception(exc)

    def _read(self, ids: list[str], future: Future[Found]) -> None:
        try:
            future.set_result(self.reader.read(ids))
        except BaseException as exc:  # raised where a page takes its associations
            future.set_exception(exc)
        finally:
            with self._lock:
                self._under_way -= 1
                batch = self._take() if self._under_way == 0 else None
            if batch is not None:
                self._start(*batch)
