"""List pages fetched ahead along the cursor, their associations read as each arrives.

The list API's cursor (``paging.next.after``) is in each reply, so page N+1 can be
requested the moment page N arrives, and page N's association reads can start then too.
:class:`ListPrefetch` runs that chain on worker threads while singer-sdk's request loop
is still writing the records of earlier pages, and hands each reply to the loop when the
loop asks for that very request. Under latency the list chain then never waits for the
association reads nor for the records to be written, so two or more calls are in flight
and the portal's rate limiter, not the latency, bounds the pull.

Nothing else changes: the loop still parses pages in order; each request goes through
the same decorated function (limiter, call counter, retries, error sorting); a failure
of a call made ahead is raised where the loop asks for it; a page is only requested
ahead with the cursor the previous reply gave, so a run makes exactly the calls a
serial one makes. At most ``depth`` pages wait unread (memory stays bounded).
"""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

T = TypeVar("T")
Key = tuple[str, str, "bytes | str | None"]


def request_key(prepared: requests.PreparedRequest) -> Key:
    """What identifies a request: method, full URL (query included) and body."""
    return (str(prepared.method), str(prepared.url), prepared.body)


class ListPrefetch:
    """Pages requested ahead of singer-sdk's loop (one at a time, in cursor order) and
    side reads (association batches) running beside them."""

    def __init__(self, name: str, depth: int = 3, readers: int = 4) -> None:
        self._pages = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"pages-{name}")
        self._reads = ThreadPoolExecutor(max_workers=readers, thread_name_prefix=f"reads-{name}")
        self._slots = threading.Semaphore(depth)
        self._lock = threading.Lock()
        self._ahead: dict[Key, Future[requests.Response]] = {}
        self._closed = False

    def send_ahead(
        self, prepared: requests.PreparedRequest, send: Callable[[], requests.Response]
    ) -> None:
        """Queue ``send`` (the request ``prepared``); :meth:`take` collects its reply."""
        key = request_key(prepared)
        with self._lock:
            if self._closed or key in self._ahead:
                return
            self._ahead[key] = self._pages.submit(self._fetch, send)

    def _fetch(self, send: Callable[[], requests.Response]) -> requests.Response:
        self._slots.acquire()  # released when the loop takes a page: bounded read-ahead
        if self._closed:
            raise CancelledError
        return send()

    def take(self, prepared: requests.PreparedRequest) -> Future[requests.Response] | None:
        """The reply under way for ``prepared``, if it was requested ahead."""
        with self._lock:
            future = self._ahead.pop(request_key(prepared), None)
        if future is not None:
            self._slots.release()
        return future

    def read(self, call: Callable[[], T]) -> Future[T]:
        """Run a side read (e.g. a page's associations) beside the page chain."""
        return self._reads.submit(call)

    def close(self) -> None:
        """Stop requesting ahead; wait for calls already under way (a pull stopped early)."""
        with self._lock:
            self._closed = True
            left = list(self._ahead.values())
            self._ahead.clear()
        for _ in left:
            self._slots.release()  # wake a fetch waiting for a slot: it sees closed
        self._pages.shutdown(wait=True, cancel_futures=True)
        self._reads.shutdown(wait=True, cancel_futures=True)
