"""Association reads of several pages in one call: group commit.

A v4 association batch read takes up to 1,000 ids, but a list page holds 100 and a search
page 200: one read per page spends a window call per 100 records, half of what a full
pull with associations sends. So pages (from every list chain and the walk) hand their
ids to a :class:`GroupedReader`: while one read of that type is under way, the ids of the
pages arriving meanwhile wait and go together in the next read, started the moment the
one under way ends (or at once, when they fill a whole read). With nothing under way a
page's read starts at once, so a lone page waits no longer than before. Each page gets a
future of the read that holds its ids; the stream takes from it only its own records'.

With ``hold_s`` (a full pull under the portal's ten-second window, where every read is a
call the list chains could have used), a read also waits until its ids have waited that
long, or fill a whole read, or ``hurry()`` says no more pages are coming: at 150 ms a
call about 1,000 ids arrive in a third of a second, so reads carry near 1,000 ids instead
of the ~500 that arrive while one read is under way -- half the window calls for
associations. A timer starts a read whose time is up (a page never waits longer).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING

from tap_hubspot_custom.associations import BATCH_MAX, AssociationReader, Found

if TYPE_CHECKING:
    from collections.abc import Callable

HOLD_S = 0.4
"""How long a full pull's association read waits for more ids (see above)."""


class GroupedReader:
    """One associated type's reads, grouped; ``submit(call)`` runs ``call`` on a worker."""

    def __init__(
        self,
        reader: AssociationReader,
        submit: Callable[[Callable[[], None]], object],
        hold_s: float = 0.0,
        hurry: Callable[[], bool] | None = None,
    ) -> None:
        self.reader = reader
        self._submit = submit
        self._hold_s = hold_s
        self._hurry = hurry
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._waiting: Future[Found] | None = None
        self._since = 0.0
        self._under_way = 0
        self.reads = 0
        """Grouped reads started (for tests and logs)."""

    def add(self, ids: list[str]) -> Future[Found]:
        """The read that will hold ``ids`` (started now, or after the one under way, or
        once its ids have waited ``hold_s``)."""
        batches = []
        with self._lock:
            if self._waiting is not None and len(self._ids) + len(ids) > BATCH_MAX:
                batches.append(self._take())  # full: it goes, these ids begin the next
            if self._waiting is None:
                self._waiting, self._since = Future(), time.monotonic()
                if self._hold_s > 0:
                    timer = threading.Timer(self._hold_s, self._due)
                    timer.daemon = True
                    timer.start()
            future = self._waiting
            self._ids.extend(ids)
            if len(self._ids) >= BATCH_MAX or (self._under_way == 0 and self._ready()):
                batches.append(self._take())
        for batch in batches:
            if batch is not None:
                self._start(*batch)
        return future

    def _ready(self) -> bool:
        """Whether the ids waiting may go now (call with the lock held)."""
        return (
            self._hold_s <= 0
            or time.monotonic() - self._since >= self._hold_s
            or (self._hurry is not None and self._hurry())
        )

    def _due(self) -> None:
        """A held read's time is up: it goes unless one is under way (it goes after)."""
        with self._lock:
            batch = self._take() if self._under_way == 0 and self._ready() else None
        if batch is not None:
            self._start(*batch)

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
                batch = self._take() if self._under_way == 0 and self._ready() else None
            if batch is not None:
                self._start(*batch)
