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
* a search page keeps its ids above the highest id the list chain below has claimed; an
  id at or below it, or a short page (the bottom), ends that stretch of the walk (a
  :class:`Run`). While list chains still have parts to read, the walk then goes on in the
  widest part left (:meth:`Frontier.next_run`): down from just below where the chain or
  walk above that part begins, keeping ids above the chain below's highest claim, so
  search keeps working until every end has met. A finished list ends the walk.

Each decision is taken under one lock when a page arrives, before its association reads
start. List pages are contiguous and ascending, search pages contiguous and descending, so
no id is read by both and none falls between them. Without that, the walk stopped once it
met the top chain while the chains below still had their parts to read: about a second of
a 23-s pull at 150 ms a call read with the window's calls alone.

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
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from crm_sync.hubspot import HubSpotError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from crm_sync.hubspot import HubSpotClient

LOGGER = logging.getLogger(__name__)
SEARCH_INDEX_LAG_MS = 60_000
"""How much earlier than the walk's start a pull that used it sets its bookmark: twice the
longest search-index lag reported (about 30 s, unverified as an upper bound)."""


class Run:
    """One stretch of the search walk: down from below ``top`` (``None``: from the highest
    id; else where the chain or stretch above its part begins) to ``high``, the lowest id
    it claimed (``None``: none yet)."""

    __slots__ = ("high", "top")

    def __init__(self, top: int | None, high: int | None = None) -> None:
        self.top = top
        self.high = high


class Segment:
    """One list chain's part of the ids: from ``floor`` (the first id it was served; chain 0
    has none) up to ``low`` (the highest id it claimed)."""

    __slots__ = ("closed", "done", "dropped", "floor", "low", "start")

    def __init__(self, start: int | None, floor: int | None = None, low: int = -1) -> None:
        self.start = start
        """The id a chain above the first was started at (a guessed cursor ``after=start``)."""
        self.floor = floor
        """The first id the chain was served (``None``: not yet, or chain 0)."""
        self.low = low
        self.done = False
        self.dropped = False
        """The guessed cursor did not hold (refused, or ids below it / out of order)."""
        self.closed = False
        """The walk met this chain: no id is left between its claims and the walk's."""

    @property
    def pending(self) -> bool:
        """A chain above the first whose first page has not arrived yet."""
        return self.start is not None and self.floor is None and not (self.done or self.dropped)

    @property
    def bounds(self) -> bool:
        """Whether the chain below stops at this chain's floor."""
        return self.floor is not None and not self.dropped


class Frontier:
    """The ids claimed so far by each list chain (ascending, chain 0 from the lowest id) and
    by each stretch of the search walk (:class:`Run`, the first from the highest id down).

    A chain ``i`` keeps ids below the first id the next chain above it was actually served
    (its floor; while that chain's first page is on the way, below the id it was started
    at, and it waits for that page before claiming past it), and below the lowest claim of
    every stretch of the walk above it. A chain above the first proves its guessed cursor
    with its first page: ids at or above the id asked for, ascending; otherwise it is
    dropped, claims nothing, and the chain below reads on through its part. A stretch of the
    walk keeps ids above the highest claim of every chain below its top.
    """

    def __init__(
        self,
        low: int | None = None,
        high: int | None = None,
        chains: list[Segment] | None = None,
        runs: list[Run] | None = None,
    ) -> None:
        """``low`` / ``high``: the ends a resumed pull had already emitted, ``chains``: its
        chains above the first, ``runs``: its walk's stretches in lower parts, each down to
        the lowest id it emitted (see :mod:`tap_hubspot_custom.first_pull`)."""
        self._cond = threading.Condition()
        self.segments = [Segment(None, low=-1 if low is None else low), *(chains or [])]
        self.runs = [*(runs or []), Run(None, high)]
        """The walk's stretches; the last is the one it reads now."""
        self.list_done = False
        self.listed = 0
        self.searched = 0
        self.guess_failed = False
        """A guessed cursor did not hold: no further chain is started."""
        self._logged = False

    @property
    def low(self) -> int:
        """Highest id the first chain has claimed."""
        return self.segments[0].low

    @property
    def high(self) -> int | None:
        """Lowest id the walk's first stretch (from the highest id) has claimed."""
        return next(run.high for run in self.runs if run.top is None)

    @property
    def run(self) -> Run:
        """The stretch the walk reads now."""
        return self.runs[-1]

    def add_chain(self, start: int) -> Segment | None:
        """A chain started at ``start``, inside the part of the ids a live chain has yet to
        claim, or ``None`` when no chain's part holds it (claimed already, or no guess
        is started after one failed)."""
        with self._cond:
            if self.guess_failed or self.list_done:
                return None
            for i, seg in enumerate(self.segments):
                if seg.done or seg.dropped:
                    continue
                bound, _ = self._ceiling(i)
                if self._claimed_to(seg) < start and (bound is None or start < bound):
                    segment = Segment(start)
                    self.segments.insert(i + 1, segment)
                    return segment
            return None

    @staticmethod
    def _claimed_to(seg: Segment) -> int:
        """The highest id a chain has claimed, or below which it will claim none."""
        floor = seg.floor if seg.floor is not None else seg.start
        return seg.low if floor is None else max(seg.low, floor - 1)

    @staticmethod
    def _position(seg: Segment) -> int:
        """Where a chain's part begins (chain 0: below every id)."""
        floor = seg.floor if seg.floor is not None else seg.start
        return -1 if floor is None else floor

    def _gaps(self) -> list[tuple[int, int, int]]:
        """``(width, chain, bound)`` of each live chain's unread part below a known bound
        (width: how many ids fit between its claims and the bound)."""
        gaps = []
        for i, seg in enumerate(self.segments):
            if seg.done or seg.dropped or seg.pending or seg.closed:
                continue
            bound, _ = self._ceiling(i)
            if bound is not None:
                gaps.append((bound - self._claimed_to(seg) - 1, i, bound))
        return gaps

    def widest_gap(self) -> tuple[int, int, int] | None:
        """The widest part of the ids a live chain has yet to claim, below the walk's lowest
        claim or a chain above: ``(after, before, live chains)``, or ``None``."""
        with self._cond:
            live = sum(not (seg.done or seg.dropped) for seg in self.segments)
            gaps = self._gaps()
            if not gaps:
                return None
            _, i, bound = max(gaps)
            return self._claimed_to(self.segments[i]), bound, live

    def next_run(self, min_width: int = 1) -> int | None:
        """The walk met the chain below its stretch: go on in the widest part a chain has
        yet to read (at least ``min_width`` ids wide, below a bound that holds: a chain's
        floor or a stretch's lowest claim, not a guess on the way). The id the new stretch
        reads below, or ``None`` (the walk ends)."""
        with self._cond:
            if self.list_done:
                return None
            gaps = [
                (width, i, bound)
                for width, i, bound in self._gaps()
                if width >= min_width and not self._ceiling(i)[1]
            ]
            if not gaps:
                return None
            _, _, bound = max(gaps)
            self.runs.append(Run(bound))
            return bound

    def holds(self, segment: Segment, ids: list[int], *, drop: bool = True) -> bool:
        """A guessed chain's first page: whether the guess holds (then ids below its first
        one go to the chain below); if not and ``drop``, the chain is dropped."""
        with self._cond:
            start = segment.start if segment.start is not None else 0
            held = all(a < b for a, b in pairwise(ids)) and (not ids or ids[0] >= start)
            if not held:
                if drop:
                    segment.dropped = True
                    self.guess_failed = True
            elif ids:
                segment.floor = ids[0] if segment.floor is None else segment.floor
            elif segment.floor is None:
                segment.done = True  # nothing from there up: it bounds nothing
            self._cond.notify_all()
            return held

    def drop(self, segment: Segment) -> bool:
        """A guessed chain that did not hold: the chain below reads its part. Whether it is
        the pull's first such chain (the one to log)."""
        with self._cond:
            first = not self._logged
            self._logged = True
            segment.dropped = True
            self.guess_failed = True
            self._cond.notify_all()
            return first

    def _ceiling(self, i: int) -> tuple[int | None, bool]:
        """Where chain ``i`` stops: the lowest floor of a chain above, guessed start of one
        whose first page is on the way (then ``True``), or lowest claim of a stretch of the
        walk above it."""
        position = self._position(self.segments[i])
        highs = [
            run.high
            for run in self.runs
            if run.high is not None and (run.top is None or run.top > position)
        ]
        bound, pending = min(highs, default=None), False
        for seg in self.segments[i + 1 :]:
            if seg.pending:
                here, guess = seg.start, True
            elif seg.bounds:
                here, guess = seg.floor, False
            else:
                continue
            if here is not None and (bound is None or here < bound):
                bound, pending = here, guess
        return bound, pending

    def _bottom(self, run: Run) -> Segment:
        """The chain right below a stretch of the walk: the highest claim of the chains
        whose parts begin below its top (a guess on the way counts once it proved itself)."""
        below = [
            seg
            for seg in self.segments
            if not seg.dropped and (run.top is None or self._position(seg) < run.top)
        ]
        return max(below, key=lambda seg: seg.low if seg.pending else self._claimed_to(seg))

    def blocked(self, ids: list[int], chain: Segment | None = None) -> bool:
        """Whether claiming ``ids`` would wait for a guessed chain above to prove itself."""
        with self._cond:
            return self._blocked(ids, chain or self.segments[0])

    def _blocked(self, ids: list[int], seg: Segment) -> bool:
        if seg.dropped:
            return False
        bound, pending = self._ceiling(self.segments.index(seg))
        return pending and bool(ids) and bound is not None and ids[-1] >= bound

    def claim_up(
        self, ids: list[int], last_page: bool, chain: Segment | None = None
    ) -> tuple[slice, bool]:
        """Which of a list page's ``ids`` (ascending) the chain keeps; whether it stops.

        Ids at or below its highest claim are dropped: a resumed pull reads again the page
        where it stopped (only then can a page hold them)."""
        with self._cond:
            seg = chain or self.segments[0]
            if seg.dropped:
                return slice(0, 0), True
            while self._blocked(ids, seg):
                self._cond.wait()  # the chain above proves (or drops) its guess first
            bound, _ = self._ceiling(self.segments.index(seg))
            floor = seg.low if seg.floor is None else max(seg.low, seg.floor - 1)
            start = bisect_right(ids, floor)
            end = len(ids) if bound is None else max(start, bisect_left(ids, bound))
            if end > start:
                seg.low = ids[end - 1]
            self.listed += end - start
            stop = last_page or end < len(ids)
            if stop:
                seg.done = True
                if last_page or all(s.done or s.dropped for s in self.segments):
                    self.list_done = True
            return slice(start, end), stop

    def claim_down(self, ids: list[int], last_page: bool) -> tuple[int, bool]:
        """How many of a search page's ``ids`` (descending) the walk's stretch keeps;
        whether the stretch ends (then :meth:`next_run` says where the walk goes on)."""
        with self._cond:
            if self.list_done:
                return 0, True
            run = self.run
            below = self._bottom(run)
            top = below.low if below.pending else self._claimed_to(below)
            keep = 0
            while keep < len(ids) and ids[keep] > top:
                keep += 1
            if keep:
                run.high = ids[keep - 1] if run.high is None else min(run.high, ids[keep - 1])
            self.searched += keep
            stop = last_page or keep < len(ids)
            if stop:
                below.closed = True  # nothing left between its claims and the walk's
            self._cond.notify_all()
            return keep, stop

    def finish_list(self) -> None:
        """The first chain ended: when no chain above it reads on, the walk stops at its
        next page."""
        with self._cond:
            self.segments[0].done = True
            if all(seg.done or seg.dropped for seg in self.segments):
                self.list_done = True

    def finish_chain(self, segment: Segment) -> None:
        """A chain above the first ended (or stopped early)."""
        with self._cond:
            segment.done = True
            if all(seg.done or seg.dropped for seg in self.segments):
                self.list_done = True
            self._cond.notify_all()

    def points(self) -> list[tuple[int, int | None]]:
        """(start, floor) of each live chain above the first, for the resume point."""
        with self._cond:
            return [
                (seg.start, seg.floor)
                for seg in self.segments[1:]
                if seg.start is not None and not seg.dropped
            ]


class Page:
    """Records one end claimed, and the association reads started for them
    (``[(reader, future)]``). ``chain``: the list chain above the first that read them
    (``None``: the search walk, then ``run`` is its stretch), ``after``: where that chain
    goes on after this page."""

    def __init__(
        self,
        results: list[dict[str, Any]],
        reads: list[tuple[Any, Any]],
        chain: Segment | None = None,
        after: str | None = None,
        run: Run | None = None,
    ) -> None:
        self.results = results
        self.reads = reads
        self.chain = chain
        self.after = after
        self.run = run

    def complete(self) -> bool:
        """Whether every association read of the page is done (taking it will not wait)."""
        return all(future.done() for _, future in self.reads)


_END = object()


class Feed:
    """Pages of the walk and of the chains above the first, read on their own threads, for
    the stream's thread to take. Each producer keeps at most ``depth`` pages waiting, so
    memory stays bounded."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[threading.Semaphore, Any]] = queue.Queue()
        self._held: tuple[threading.Semaphore, Any] | None = None
        self._open = 0
        self._lock = threading.Lock()
        self.stop = threading.Event()

    def producer(self, depth: int = 4) -> threading.Semaphore:
        """Register a producer (before its thread starts): its slots."""
        with self._lock:
            self._open += 1
        return threading.Semaphore(depth)

    def put(self, slots: threading.Semaphore, item: Any) -> None:
        while not self.stop.is_set():
            if slots.acquire(timeout=0.5):
                self._queue.put((slots, item))
                return

    def end(self, slots: threading.Semaphore) -> None:
        self._queue.put((slots, _END))

    def ready(self) -> Iterator[Page]:
        """Pages already read, their associations too, without waiting (the list chain
        goes on meanwhile)."""
        while True:
            if self._held is None:
                try:
                    self._held = self._queue.get_nowait()
                except queue.Empty:
                    return
            item = self._held[1]
            if isinstance(item, Page) and not item.complete():
                return
            held, self._held = self._held, None
            page = self._unwrap(held)
            if page is not None:
                yield page

    def rest(self) -> Iterator[Page]:
        """Every page left, waiting for every producer to end."""
        while True:
            with self._lock:
                if self._open <= 0 and self._held is None and self._queue.empty():
                    return
            held, self._held = (self._held, None) if self._held is not None else (None, None)
            page = self._unwrap(held if held is not None else self._queue.get())
            if page is not None:
                yield page

    def _unwrap(self, held: tuple[threading.Semaphore, Any]) -> Page | None:
        slots, item = held
        if item is _END:
            with self._lock:
                self._open -= 1
            return None
        slots.release()
        if isinstance(item, BaseException):
            raise item
        page: Page = item
        return page


class Descent:
    """The search walk down from the highest id, on its own thread; once it met the chain
    below, on down the widest part the chains have left (:meth:`Frontier.next_run`), until
    none is left a page wide.

    ``start_reads(ids)`` starts a page's association reads (returns what
    :meth:`HubSpotObjectStream._attach` takes) as soon as the page is claimed, so they run
    beside the walk's next page; pages wait in ``feed`` until the stream takes them.
    ``on_first(highest)``: called with the highest id of the walk's first page (the stream
    then starts more list chains below it).

    The walk keeps up to ``depth`` pages waiting (16 of 200 records: about 4 seconds of its
    searches). Its search calls are outside the portal's ten-second window, but its pages'
    association reads are inside it: once the list chains have spent the window, those
    reads wait for it to roll on (about 2 seconds in 10 at 150 ms a call), and the pages
    behind them wait too. With 4 pages the walk stopped there and idled its own allowance;
    with 16 it reads on through the pause. Memory stays bounded by ``depth``.
    """

    def __init__(
        self,
        client: HubSpotClient,
        object_type: str,
        properties: list[str],
        frontier: Frontier,
        start_reads: Callable[[list[str]], Any],
        limit: int = 200,
        depth: int = 16,
        below: int | None = None,
        feed: Feed | None = None,
        on_first: Callable[[int], None] | None = None,
    ) -> None:
        """``below``: the lowest id a resumed pull's walk had emitted (it goes on under it)."""
        self.client = client
        self.object_type = object_type
        self.properties = properties
        self.frontier = frontier
        self.start_reads = start_reads
        self.limit = limit
        self.feed = feed or Feed()
        self._slots = self.feed.producer(depth)
        self._on_first = on_first
        self.pages = 0
        """Search pages read (for tests and logs)."""
        self.runs = 1
        """Stretches walked: 1 + the parts the walk moved to (for tests and logs)."""
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
            while not self.feed.stop.is_set():
                results = self.client.search(self.object_type, self.body(below)).get("results")
                self.pages += 1
                page = list(results or [])
                ids = [int(r["id"]) for r in page]
                run = self.frontier.run
                keep, stop = self.frontier.claim_down(ids, len(page) < self.limit)
                if keep:
                    kept = page[:keep]
                    reads = self.start_reads([str(r["id"]) for r in kept])
                    self.feed.put(self._slots, Page(kept, reads, run=run))
                    below = ids[keep - 1]
                if self.pages == 1 and ids and self._on_first is not None and not stop:
                    self._on_first(ids[0])
                if stop:
                    # Met the chain below: go on in the widest part a chain has yet to
                    # read, if one is left that is worth a page.
                    below = self.frontier.next_run(self.limit)
                    if below is None:
                        break
                    self.runs += 1
        except HubSpotError as exc:
            if exc.status == 429 or exc.status >= 500:
                self.feed.put(self._slots, exc)
            else:
                # Search refused (a scope, a property): the list reads the rest, as it stops
                # only at ids the walk already claimed (a contiguous run from the top).
                LOGGER.warning(
                    "%s: search walk stopped, the list reads on: %s", self.object_type, exc
                )
        except BaseException as exc:  # raised in the stream's thread when it takes pages
            self.feed.put(self._slots, exc)
        self.feed.end(self._slots)

    def close(self) -> None:
        """Stop walking (a pull stopped early) and wait for the call under way."""
        self.feed.stop.set()
        self._thread.join()
