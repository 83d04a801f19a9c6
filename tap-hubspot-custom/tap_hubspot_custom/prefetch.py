"""The next list page, sent while the current one is still being emitted.

The list API's cursor (``paging.next.after``) is in each reply, so the request for page
N+1 can go out as soon as page N has arrived: :class:`PagePrefetch` sends it on a
worker thread while the stream reads page N's associations and writes its records, and
hands the reply to singer-sdk's request loop when the loop asks for that very request.
Under latency the tap then waits for one round trip per page instead of two (the page,
then its associations), and the portal's rate limiter, not the latency, bounds the pull.

Nothing else changes: the loop still parses pages in order, each request goes through
the same decorated function (limiter, call counter, retries, error sorting), a failure
of the prefetched call is raised where the loop asks for it, and at most one request is
ahead, so a run makes exactly the calls it made without prefetch.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests


def request_key(prepared: requests.PreparedRequest) -> tuple[str, str, bytes | str | None]:
    """What identifies a request: method, full URL (query included) and body."""
    return (str(prepared.method), str(prepared.url), prepared.body)


class PagePrefetch:
    """At most one request sent ahead of singer-sdk's request loop, on one worker thread."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"prefetch-{name}")
        self._lock = threading.Lock()
        self._ahead: tuple[tuple[str, str, bytes | str | None], Future[requests.Response]] | None
        self._ahead = None

    def send_ahead(
        self,
        prepared: requests.PreparedRequest,
        send: Callable[[], requests.Response],
    ) -> None:
        """Start ``send`` (the request ``prepared``) now; :meth:`take` collects its reply."""
        with self._lock:
            if self._ahead is not None:
                return  # one ahead at most: the loop has not asked for the last one yet
            self._ahead = (request_key(prepared), self._pool.submit(send))

    def take(self, prepared: requests.PreparedRequest) -> Future[requests.Response] | None:
        """The reply already under way for ``prepared``, if it was sent ahead."""
        with self._lock:
            ahead, self._ahead = self._ahead, None
        if ahead is None:
            return None
        key, future = ahead
        if key == request_key(prepared):
            return future
        # The loop asked for another request (cannot happen with the list cursor):
        # wait for the stray one so no call is left running, and send the asked one.
        future.exception()
        return None

    def close(self) -> None:
        """Wait for a request still ahead (a pull stopped early) and stop the worker."""
        with self._lock:
            ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead[1].exception()
        self._pool.shutdown(wait=True)
