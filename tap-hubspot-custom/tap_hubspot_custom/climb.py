"""More list chains in flight: the ids between the first list chain and the search walk
split among chains started at guessed cursors.

A list chain is one call after another (each waits for the cursor in the reply before
it): at 150 ms a call it reads about six pages a second, far below what the portal's
ten-second window allows. So once the walk's first page is in, :func:`split_points`
picks where more chains start, evenly between the first list page's lowest id and the
walk's highest, and only as many as the limiter has room for (:func:`extra_chains`).
Each :class:`Climb` starts at ``after=<id>``, a cursor the tap made itself: the sandbox
serves it as "ids from there", HubSpot documents ``after`` as an opaque token. So the
guess has to prove itself (:meth:`~tap_hubspot_custom.descent.Frontier.prove`): a refusal
(4xx) or ids below the asked id or out of order drop the chain, and the chain below it
reads on through its part, as the single chain did. From its second page a chain follows
the cursors the API gave.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import TYPE_CHECKING, Any

from crm_sync.hubspot import HubSpotError
from crm_sync.hubspot.outcomes import body_of
from tap_hubspot_custom.descent import Feed, Frontier, Page, Segment

if TYPE_CHECKING:
    from collections.abc import Callable

    from crm_sync.hubspot import HubSpotClient

LOGGER = logging.getLogger(__name__)
MAX_EXTRA_CHAINS = 3
MIN_SPLIT_PAGES = 4
"""A chain that ended is replaced by one in the middle of the widest part left only when
that part spans this many list pages of ids or more."""
CHAIN_PACE = 0.75
"""A chain's pages per list call's round trip: each waits for the one before, and for
its parsing (measured at 150 ms a call)."""
MIN_CALL_SECONDS = 0.05
"""Below this a list call is cheap next to writing its page's records: the pull is bound
by this process's CPU, and more chains would only cost more of it."""


def extra_chains(
    call_s: float, window_per_s: float | None, readers: int, hold_s: float = 0.0
) -> int:
    """How many chains to add beside the first, given one list call's round trip
    ``call_s``: as many as the portal's window (``window_per_s``, ``None`` = no limit) has
    room for once the first chain's pages and the association reads are counted. Reads
    of every chain and of the walk are grouped (:mod:`tap_hubspot_custom.grouped_reads`):
    about one per associated type (``readers``) under way at a time, however many chains,
    and each waits ``hold_s`` for more ids."""
    if call_s < MIN_CALL_SECONDS:
        return 0
    if window_per_s is None:
        return MAX_EXTRA_CHAINS
    pages = CHAIN_PACE / call_s  # one chain's pages per second
    room = window_per_s - pages - readers / max(call_s / CHAIN_PACE, hold_s)
    return 0 if room <= 0 else min(MAX_EXTRA_CHAINS, math.ceil(room / pages))


def walk_share(
    call_s: float,
    window_per_s: float | None,
    search_per_s: float | None,
    readers: int,
    chains: int,
    list_page: int,
    search_page: int,
) -> float:
    """The part of the ids between the first chain and the walk that the walk should
    read for every end to finish together: its records per second (search calls, outside
    the window) against the ``chains`` list chains' (sharing the window with the reads)."""
    call_s = max(call_s, 0.001)
    per_chain = 1 / call_s
    if window_per_s is not None:
        per_chain = min(per_chain, max(0.0, window_per_s - readers / call_s) / chains)
    walk = min(search_per_s or 1 / call_s, 1 / call_s) * search_page
    listed = chains * per_chain * list_page
    return walk / (walk + listed) if walk + listed > 0 else 0.5


def split_points(lowest: int, highest: int, chains: int, walk: float = 0.0) -> list[int]:
    """Where ``chains`` more chains start: evenly over the ids from the first chain's
    ``lowest`` up to the part the walk reads down from ``highest`` (a ``walk`` share of
    the span; with none, the walk counts as one more chain)."""
    span = highest - lowest
    if not walk:
        walk = 1 / (chains + 2)
    top = lowest + int(span * (1 - walk))
    points = [lowest + (top - lowest) * j // (chains + 1) for j in range(1, chains + 1)]
    return sorted({p for p in points if lowest < p < highest})


class ResumeRefused(Exception):
    """A resumed pull's chain cursor did not hold (refused, or ids out of place)."""


class Climb:
    """A list chain above the first, on its own thread: from ``after`` (the guessed
    ``str(start)``, or a resumed pull's saved cursor) up to where the chain above it (or the
    walk) begins. Pages go to ``feed`` with their association reads under way."""

    def __init__(
        self,
        client: HubSpotClient,
        object_type: str,
        params: dict[str, Any],
        frontier: Frontier,
        segment: Segment,
        start_reads: Callable[[list[str]], Any],
        feed: Feed,
        *,
        after: str | None = None,
        depth: int = 3,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        """``after``: a resumed pull's cursor for this chain (``None``: its guessed start);
        ``on_end()``: called on the chain's thread once it ended."""
        self.client = client
        self.object_type = object_type
        self.params = params
        self.frontier = frontier
        self.segment = segment
        self.start_reads = start_reads
        self.feed = feed
        self.after = after or str(segment.start)
        self.guessed = segment.floor is None
        """Nothing was claimed on this chain's word yet: if its guess fails, drop it."""
        self.pages = 0
        self._on_end = on_end
        self._slots = feed.producer(depth)
        self._thread = threading.Thread(target=self._climb, name=f"climb-{object_type}")
        self._thread.start()

    def _page(self, after: str) -> dict[str, Any]:
        return body_of(self.client.list_page(self.object_type, {**self.params, "after": after}))

    def _climb(self) -> None:
        after = self.after
        first = True
        try:
            while not self.feed.stop.is_set():
                guess = first and after == str(self.segment.start)
                try:
                    payload = self._page(after)
                except HubSpotError as exc:
                    if not (guess and 400 <= exc.status < 500 and exc.status != 429):
                        raise
                    self._refused(f"HubSpot refused it ({exc})")
                    return
                self.pages += 1
                results = payload.get("results") or []
                ids = [int(r["id"]) for r in results]
                if guess and not self.frontier.holds(self.segment, ids, drop=self.guessed):
                    self._refused("it answered with ids below the one asked for or out of order")
                    return
                following = ((payload.get("paging") or {}).get("next") or {}).get("after")
                kept, stop = self.frontier.claim_up(ids, not following, self.segment)
                if kept.stop > kept.start:
                    chosen = results[kept]
                    # Where this chain goes on: the next cursor, or this page's own when it
                    # stopped on it (read again and cut at its highest claim).
                    resume = after if stop or not following else str(following)
                    reads = self.start_reads([str(r["id"]) for r in chosen])
                    self.feed.put(self._slots, Page(chosen, reads, self.segment, resume))
                if stop:
                    return
                after, first = str(following), False
        except BaseException as exc:  # raised in the stream's thread when it takes pages
            self.feed.put(self._slots, exc)
        finally:
            self.frontier.finish_chain(self.segment)
            try:
                if self._on_end is not None:
                    # Before this chain's end goes to the feed: a chain started here must be
                    # a producer already when the stream counts the last end.
                    self._on_end()
            finally:
                self.feed.end(self._slots)

    def _refused(self, why: str) -> None:
        if not self.guessed:
            # A resumed chain the chain below already stopped for: only a whole new pull
            # is sure to read its part.
            self.feed.put(self._slots, ResumeRefused(f"list cursor after={self.after}: {why}"))
            return
        if self.frontier.drop(self.segment):
            LOGGER.warning(
                "%s: the list cursor after=%s the tap guessed did not hold (%s); the chain "
                "below reads on through its part, and no further chain is started",
                self.object_type, self.segment.start, why,
            )  # fmt: skip

    def close(self) -> None:
        """Stop climbing (a pull stopped early) and wait for the call under way."""
        self.feed.stop.set()
        self._thread.join()
