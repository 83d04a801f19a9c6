"""A full pull from both ends: the list cursor climbs from the lowest id while a search walk
descends from the highest, and they meet in the middle.

The list API's cursor is opaque (HubSpot documents ``after`` as a paging token, not an
id), so a list pull is one chain of calls, each waiting for the reply before it: under
latency it cannot use the portal's allowance however many calls could be in flight. The
search API can be anchored on ``hs_object_id`` instead (a keyset: ``hs_object_id <`` the
lowest id it read, sorted descending, 200 a page, no ``after``, so its 10,000-result cap
never applies), and it has its own limit (5 calls a second per portal). So while the list
chain climbs, :class:`Descent` walks down with search calls on its own thread, and
:class:`Frontier` gives every id to exactly one of the two:

* a list page keeps its ids below the lowest id the search has claimed; an id at or above
  it means they met, and the list asks for no further page;
* a search page keeps its ids above the highest id the list has claimed; an id at or below
  it, a short page (the bottom) or a finished list ends the walk.

Each decision is taken under one lock when a page arrives, before its association reads
start. List pages are contiguous and ascending, search pages contiguous and descending, so
no id is read by both and none falls between them.

Search is served from an index that lags writes (seconds; up to about 30 s reported), so a
record written just before the walk may be missing from it or stale: a pull that used the
walk sets its bookmark :data:`SEARCH_INDEX_LAG_MS` earlier, and the next incremental run
reads those records again (the targets write nothing for a record already in place).
"""

from __future__ import annotations

import logging
import queue
import threading
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING, Any

from crm_sync.hubspot import HubSpotError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from crm_sync.hubspot import HubSpotClient

LOGGER = logging.getLogger(__name__)
SEARCH_INDEX_LAG_MS = 60_000
"""How much earlier than the walk's start a pull that used it sets its bookmark: twice the
longest search-index lag reported (about 30 s, unverified as an upper bound)."""


class Frontier:
    """The ids claimed so far: the list's up to ``low``, the search's from ``high`` up."""

    def __init__(self, low: int | None = None, high: int | None = None) -> None:
        """``low`` / ``high``: the ends a resumed pull had already emitted (see
        :mod:`tap_hubspot_custom.first_pull`)."""
        self._lock = threading.Lock()
        self.low = -1 if low is None else low
        """Highest id the list has claimed."""
        self.high: int | None = high
        """Lowest id the search has claimed (``None``: none yet)."""
        self.list_done = False
        self.listed = 0
        self.searched = 0

    def claim_up(self, ids: list[int], last_page: bool) -> tuple[slice, bool]:
        """Which of a list page's ``ids`` (ascending) the list keeps; whether it stops.

        Ids at or below ``low`` are dropped: a resumed pull reads again the page where
        it stopped (only then can a page hold them)."""
        with self._lock:
            start = bisect_right(ids, self.low)
            end = len(ids) if self.high is None else max(start, bisect_left(ids, self.high))
            if end > start:
                self.low = ids[end - 1]
            self.listed += end - start
            stop = last_page or end < len(ids)
            if stop:
                self.list_done = True
            return slice(start, end), stop

    def claim_down(self, ids: list[int], last_page: bool) -> tuple[int, bool]:
        """How many of a search page's ``ids`` (descending) the walk keeps; whether it stops."""
        with self._lock:
            if self.list_done:
                return 0, True
            keep = 0
            while keep < len(ids) and ids[keep] > self.low:
                keep += 1
            if keep:
                self.high = ids[keep - 1] if self.high is None else min(self.high, ids[keep - 1])
            self.searched += keep
            return keep, last_page or keep < len(ids)

    def finish_list(self) -> None:
        """The list ended (last page, or stopped): the walk stops at its next page."""
        with self._lock:
            self.list_done = True


class Page:
    """Records the walk claimed, and the association reads started for them
    (``[(reader, future)]``)."""

    def __init__(self, results: list[dict[str, Any]], reads: list[tuple[Any, Any]]) -> None:
        self.results = results
        self.reads = reads

    def complete(self) -> bool:
        """Whether every association read of the page is done (taking it will not wait)."""
        return all(future.done() for _, future in self.reads)


_END = object()


class Descent:
    """The search walk down from the highest id, on its own thread.

    ``start_reads(ids)`` starts a page's association reads (returns what
    :meth:`HubSpotObjectStream._attach` takes); pages wait in a queue of ``depth`` until
    the stream takes them, so memory stays bounded.
    """

    def __init__(
        self,
        client: HubSpotClient,
        object_type: str,
        properties: list[str],
        frontier: Frontier,
        start_reads: Callable[[list[str]], Any],
        limit: int = 200,
        depth: int = 4,
        below: int | None = None,
    ) -> None:
        """``below``: the lowest id a resumed pull's walk had emitted (it goes on under it)."""
        self.client = client
        self.object_type = object_type
        self.properties = properties
        self.frontier = frontier
        self.start_reads = start_reads
        self.limit = limit
        self._pages: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._held: Any = None  # a page taken from the queue whose reads are not done
        self._stop = threading.Event()
        self.pages = 0
        """Search pages read (for tests and logs)."""
        self._thread = threading.Thread(
            target=self._walk, args=(below,), name=f"descent-{object_type}"
        )
        self._thread.start()

    def body(self, below: int | None) -> dict[str, Any]:
        filters = (
            [{"propertyName": "hs_object_id", "operator": "LT", "value": str(below)}]
            if below is not None
            else []
        )
        return {
            "filterGroups": [{"filters": filters}] if filters else [],
            "sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING"}],
            "properties": self.properties,
            "limit": self.limit,
        }

    def _walk(self, below: int | None) -> None:
        try:
            while not self._stop.is_set():
                results = self.client.search(self.object_type, self.body(below)).get("results")
                self.pages += 1
                page = list(results or [])
                ids = [int(r["id"]) for r in page]
                keep, stop = self.frontier.claim_down(ids, len(page) < self.limit)
                if keep:
                    kept = page[:keep]
                    self._put(Page(kept, self.start_reads([str(r["id"]) for r in kept])))
                    below = ids[keep - 1]
                if stop:
                    break
        except HubSpotError as exc:
            if exc.status == 429 or exc.status >= 500:
                self._put(exc)
            else:
                # Search refused (a scope, a property): the list reads the rest, as it stops
                # only at ids the walk already claimed (a contiguous run from the top).
                LOGGER.warning(
                    "%s: search walk stopped, the list reads on: %s", self.object_type, exc
                )
        except BaseException as exc:  # raised in the stream's thread when it takes pages
            self._put(exc)
        self._put(_END)

    def _put(self, item: Any) -> None:
        while not self._stop.is_set():
            try:
                self._pages.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def ready(self) -> Iterator[Page]:
        """Pages already read, their associations too, without waiting (the list chain
        goes on meanwhile)."""
        while True:
            if self._held is None:
                try:
                    self._held = self._pages.get_nowait()
                except queue.Empty:
                    return
            if isinstance(self._held, Page) and not self._held.complete():
                return
            item, self._held = self._held, None
            page = self._unwrap(item)
            if page is None:
                return
            yield page

    def rest(self) -> Iterator[Page]:
        """Every page left, waiting for the walk to end."""
        while True:
            item, self._held = (self._held, None) if self._held is not None else (None, None)
            page = self._unwrap(item if item is not None else self._pages.get())
            if page is None:
                return
            yield page

    def _unwrap(self, item: Any) -> Page | None:
        if item is _END:
            self._pages.put(_END)  # later calls of ready()/rest() see the end too
            return None
        if isinstance(item, BaseException):
            raise item
        page: Page = item
        return page

    def close(self) -> None:
        """Stop walking (a pull stopped early) and wait for the call under way."""
        self._stop.set()
        self._thread.join()
