"""One stream per HubSpot object type: full pulls, incremental pulls, deletes, associations.

* **Full pull** (no bookmark and no ``start_date``, or FULL_TABLE): the list API,
  100 per page. Its order is by id, so the bookmark is set once the pull is done:
  the earlier of the latest ``updatedAt`` read and the server's time (``Date``
  header, less a second) when the first page was served -- a record edited while
  the pull was running is read again next run, never skipped. Until then STATE
  carries where both ends of the pull stand (``first_pull``, updated as each page's last
  record goes out: :mod:`tap_hubspot_custom.first_pull`), so a killed first pull resumes
  there.
* **Incremental pull**: the search API from the bookmark, re-anchored page by page
  (:mod:`tap_hubspot_custom.search_plan`); STATE after every page: ``updatedAt``
  bookmark, ``boundary_ids`` (ids already emitted at that millisecond, at most about a
  page), ``boundary_last_id`` (a tie drain's cursor: every record at that millisecond
  up to this id went out) and ``boundary_complete`` (every record at it went out) --
  bounded however many records share one millisecond.
* **Deletes**: search never returns archived records, so after the live records the
  stream lists ``archived=true`` records and emits those archived since the last run
  (``archivedAt`` at or after the previous bookmark; ``archived_value`` /
  ``archived_ids`` in STATE afterwards) with ``_sdc_deleted_at`` = ``archivedAt``. A
  first full pull emits every archived record HubSpot still holds (90 days).
* **Associations**: per page, one v4 batch read per associated type
  (:mod:`tap_hubspot_custom.associations`); none for deletions.
* **Overlap**: in the list modes the next page is requested as soon as a page arrives,
  and that page's associations are read beside it, while the loop writes earlier
  records (:mod:`tap_hubspot_custom.prefetch`): several calls in flight, the same calls.

Each pull is singer-sdk's own ``request_records`` loop in one of three modes: the mode
picks the method, URL, parameters or body, the paginator (:mod:`tap_hubspot_custom.paging`)
and how ``parse_response`` digests a page.
"""

from __future__ import annotations

import threading
from concurrent.futures import wait
from datetime import timedelta
from email.utils import parsedate_to_datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlsplit

from singer_sdk import metrics
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel

from crm_sync.backfill import backfill_if_widened
from crm_sync.bookmark import check_bookmark
from crm_sync.hubspot import HubSpotError
from crm_sync.hubspot.outcomes import body_of
from tap_hubspot_custom.associations import AssociationReader, Found
from tap_hubspot_custom.client import HubSpotStream
from tap_hubspot_custom.climb import (
    MIN_SPLIT_PAGES,
    Climb,
    ResumeRefused,
    extra_chains,
    split_points,
    walk_share,
)
from tap_hubspot_custom.descent import Descent, Feed, Frontier, Page, Run, Segment
from tap_hubspot_custom.first_pull import (
    NEWEST_IDS_MAX,
    BadPoint,
    ChainPoint,
    GapPoint,
    PullPoint,
)
from tap_hubspot_custom.grouped_reads import GroupedReader
from tap_hubspot_custom.hs_types import REPLICATION_KEY, RecordShaper
from tap_hubspot_custom.paging import ListPaginator, SearchPaginator
from tap_hubspot_custom.prefetch import ListPrefetch, request_key
from tap_hubspot_custom.search_plan import Anchor, SearchPlan, epoch_ms, iso

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from concurrent.futures import Future

    import requests
    from singer_sdk.helpers.types import Context
    from singer_sdk.pagination import BaseAPIPaginator

    from tap_hubspot_custom.client import RequestFunc
    from tap_hubspot_custom.discovery import ObjectType
    from tap_hubspot_custom.tap import TapHubSpotCustom

LIST_PAGE_MAX = 100
FEED_POLL_S = 0.02
"""How often the stream looks for pages of the walk and the other chains while it waits
for a page's association reads."""
BOUNDARY_IDS = "boundary_ids"
BOUNDARY_LAST_ID = "boundary_last_id"
BOUNDARY_COMPLETE = "boundary_complete"
ARCHIVED_VALUE = "archived_value"
ARCHIVED_IDS = "archived_ids"
ARCHIVED_COMPLETE = "archived_complete"
REPLICATION_INCREMENTAL = "INCREMENTAL"
Mode = Literal["list", "search", "archived"]
LIST_ROUTE = "GET /crm/v3/objects/{objectType}"
SEARCH_ROUTE = "POST /crm/v3/objects/{objectType}/search"


class _Newest:
    """The newest time read so far and the ids read at it."""

    def __init__(self, ms: int | None = None, ids: set[str] | None = None) -> None:
        self.ms = ms
        self.ids = set(ids or ())

    def see(self, ms: int, record_id: str) -> None:
        if self.ms is None or ms > self.ms:
            self.ms, self.ids = ms, set()
        if ms == self.ms:
            self.ids.add(record_id)


class _Arrival:
    """A list page as it arrived: its JSON and its association reads under way."""

    def __init__(
        self, payload: dict[str, Any], reads: list[tuple[AssociationReader, Future[Found]]]
    ) -> None:
        self.payload = payload
        self.reads = reads


class HubSpotObjectStream(HubSpotStream):
    """Records of one object type, flat, typed, with associations and deletions."""

    primary_keys = ("id",)
    replication_key = REPLICATION_KEY
    is_sorted = True
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    """:class:`~tap_hubspot_custom.hs_types.RecordShaper` already emits only schema fields,
    typed as the schema says; singer-sdk's per-value pass would cost a third of the CPU."""

    def __init__(
        self,
        tap: TapHubSpotCustom,
        obj: ObjectType,
        schema: dict[str, Any],
        associated: list[ObjectType],
    ) -> None:
        super().__init__(tap, name=obj.name, schema=schema, path=f"/crm/v3/objects/{obj.type_id}")
        self.obj = obj
        self.tap_ref = tap
        self.shaper = RecordShaper(schema, obj.name)
        self.readers = [
            AssociationReader(self.hubspot, obj.name, obj.type_id, other.name, other.type_id)
            for other in associated
        ]
        self.search_limit = int(self.config.get("search_page_size") or 200)
        self.list_limit = min(LIST_PAGE_MAX, int(self.config.get("page_size") or LIST_PAGE_MAX))
        self.STATE_MSG_FREQUENCY = max(1, min(self.search_limit, self.list_limit))
        self.pull: str | None = None  # "full" or "incremental", for tests and logs
        self.plan: SearchPlan | None = None
        self.mode: Mode = "list"
        self.http_method = "GET"
        self._state: dict[str, Any] = {}
        self._served_at: int | None = None
        self._newest = _Newest()
        self._archived_since: tuple[int | None, set[str], bool] = (None, set(), False)
        self._archived_served: int | None = None
        self._context: Context | None = None
        self._send: RequestFunc | None = None
        self.prefetch = ListPrefetch(self.name)
        self._grouped: dict[AssociationReader, GroupedReader] = {}
        self._arrivals: dict[Any, _Arrival] = {}
        self.descent: Descent | None = None
        self.feed: Feed | None = None
        """Pages of the walk and of the list chains above the first (their threads)."""
        self.climbs: list[Climb] = []
        self._chain_points: dict[Segment, ChainPoint] = {}
        self._gap_points: dict[Run, GapPoint] = {}
        """How far each stretch of the walk in a lower part was emitted."""
        self._wanted = 1
        """List chains this pull keeps reading (a chain that ended is replaced)."""
        self._chains_lock = threading.Lock()
        self._first_list: tuple[int, float] | None = None
        """The first live list page's lowest id and its call's round trip."""
        self.frontier: Frontier | None = None
        """The ids each end claimed: set when the walk starts, or from a resumed pull."""
        self._list_ends: set[Any] = set()
        self._resumed: PullPoint | None = None
        self._point = PullPoint()
        """How far both ends' records were emitted (what ``first_pull`` saves)."""
        self.list_pages = 0  # live list pages this run's full pull read, for tests and logs
        self.index_lag_ms = int(float(self.config.get("search_index_lag_seconds", 60)) * 1000)

    # --- SDK hooks: what to read ------------------------------------------------------

    def get_replication_key_signpost(self, context: Context | None = None) -> None:
        """No signpost: bookmarks are HubSpot's own times, not this host's clock."""
        return None

    def _increment_stream_state(
        self, latest_record: dict[str, Any], *, context: Context | None = None
    ) -> None:
        """Bookmarks move per page in :meth:`parse_response`, not per record.

        Per-record bookmarking cannot express what a correct resume needs (the ids
        already emitted at the bookmark's millisecond), and deletions arrive after
        the live records with older times.
        """

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        state = self.get_context_state(context)
        check_bookmark(self.name, state)
        backfill_if_widened(self.tap_ref.mapping_scopes, self.name, state, self.logger)
        self._state = state
        self._context = context
        self.prefetch = ListPrefetch(self.name)  # fresh workers per sync (closed below)
        self._grouped = {r: GroupedReader(r, self.prefetch.read) for r in self.readers}
        try:
            yield from self._pulls(context, state)
        finally:
            self.prefetch.close()
        counter = self.hubspot.counter
        self.logger.info(
            "%s: done; HubSpot API calls of this run so far: %d (%d retried)",
            self.name, counter.total, counter.retries,
        )  # fmt: skip

    def _pulls(self, context: Context | None, state: dict[str, Any]) -> Iterator[dict[str, Any]]:
        incremental = self.replication_method == REPLICATION_INCREMENTAL
        start = self.get_starting_replication_key_value(context) if incremental else None
        if start is None:
            self.pull = "full"
            yield from self._full_pull(context, state, incremental)
        else:
            self.pull = "incremental"
            yield from self._search_pull(context, state, str(start))
        if self.config.get("include_archived", True):
            yield from self._archived_pull(context, state, None if start is None else str(start))

    # --- SDK hooks: how each mode asks ------------------------------------------------

    @property
    def route(self) -> str:  # type: ignore[override]
        return SEARCH_ROUTE if self.mode == "search" else LIST_ROUTE

    def get_url(self, context: Context | None) -> str:
        suffix = "/search" if self.mode == "search" else ""
        return f"{self.url_base}{self.path}{suffix}"

    def get_url_params(self, context: Context | None, next_page_token: Any) -> dict[str, Any]:
        if self.mode == "search":
            return {}
        params: dict[str, Any] = {
            "limit": self.list_limit,
            "properties": ",".join(self.hubspot_properties),
            "archived": "true" if self.mode == "archived" else "false",
        }
        if next_page_token:
            params["after"] = next_page_token
        return params

    def prepare_request_payload(
        self, context: Context | None, next_page_token: Any
    ) -> dict[str, Any] | None:
        return dict(next_page_token) if self.mode == "search" else None

    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        """singer-sdk's decorated request, answered from the page sent ahead when it was."""
        send: RequestFunc = super().request_decorator(func)
        self._send = send

        def send_or_collect(
            prepared: requests.PreparedRequest, context: Context | None
        ) -> requests.Response:
            ahead = self.prefetch.take(prepared)
            return ahead.result() if ahead is not None else send(prepared, context)

        return send_or_collect

    def get_new_paginator(self) -> BaseAPIPaginator[Any]:
        if self.mode == "search":
            assert self.plan is not None
            return SearchPaginator(self.plan)
        start = self._point.after if self.mode == "list" and self._resumed is not None else None
        return ListPaginator(
            ends=lambda response: request_key(response.request) in self._list_ends, start=start
        )

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        if self.mode == "search":
            yield from self._parse_search(response)
        elif self.mode == "archived":
            yield from self._parse_archived(response)
        else:
            yield from self._parse_list(response)

    # --- pulls ----------------------------------------------------------------------

    @property
    def hubspot_properties(self) -> list[str]:
        """Selected HubSpot properties (always the modified property and hs_object_id)."""
        props = self.schema["properties"]
        mask = self.mask
        chosen = [
            n
            for n, p in props.items()
            if "x-hubspot-type" in p and mask.get(("properties", n), True)
        ]
        for needed in (self.obj.modified_property, "hs_object_id"):
            if needed in props and needed not in chosen:
                chosen.append(needed)
        return chosen

    def _full_pull(
        self, context: Context | None, state: dict[str, Any], incremental: bool
    ) -> Iterator[dict[str, Any]]:
        self._switch("list")
        self._start_full(self._saved_point(state) if incremental else None)
        try:
            try:
                yield from self._both_ends(context)
            except (FatalAPIError, ResumeRefused) as exc:
                if self._resumed is None or (isinstance(exc, FatalAPIError) and self.list_pages):
                    raise
                self.logger.warning(
                    "%s: HubSpot refused a saved list cursor of a first pull that did "
                    "not finish (%s); reading the first pull again from the start",
                    self.name, exc,
                )  # fmt: skip
                self._close_ends()
                self._start_full(None)
                yield from self._both_ends(context)
        finally:
            self._close_ends()
        if not incremental:
            return
        PullPoint.clear(state)
        newest, served_at = self._newest, self._served_at
        if served_at is not None and (self.descent is not None or self._point.walked):
            served_at -= self.index_lag_ms  # what the search index may not have had yet
        if newest.ms is not None and served_at is not None and newest.ms <= served_at:
            # Every record had that time before the pull began and the pull read every
            # record: all at ``newest`` went out, however many (a bulk import's thousands).
            self._save(state, iso(newest.ms), [], complete=True)
        elif newest.ms is not None and served_at is None:
            self._save(state, iso(newest.ms), sorted(newest.ids), complete=False)
        elif served_at is not None:
            self._save(state, iso(served_at), [], complete=False)

    def _both_ends(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """The first list chain (singer-sdk's loop), then what the walk and the other
        chains read that was not written yet."""
        yield from self.request_records(context)
        if self.frontier is not None:
            self.frontier.finish_list()
        if self.feed is not None:
            yield from self._walked(self.feed.rest())

    def _close_ends(self) -> None:
        """Stop the walk and the chains (a pull ended or stopped early)."""
        if self.feed is not None:
            with self._chains_lock:  # no chain is started from here on
                self.feed.stop.set()
        if self.descent is not None:
            self.descent.close()
        for climb in list(self.climbs):
            climb.close()

    def _saved_point(self, state: dict[str, Any]) -> PullPoint | None:
        """The resume point of a first pull that did not finish, if STATE has a good one."""
        try:
            return PullPoint.saved(state)
        except BadPoint as exc:
            self.logger.warning(
                "%s: the saved point of a first pull that did not finish is not one this "
                "tap writes (%s); reading the first pull again from the start",
                self.name, exc,
            )  # fmt: skip
            return None

    def _start_full(self, resume: PullPoint | None) -> None:
        """Begin a full pull: from the start, or where ``resume`` stood at both ends."""
        point = resume or PullPoint()
        self._resumed, self._point = resume, point
        self._served_at = point.served_at
        self._newest = _Newest(point.newest, set(point.newest_ids))
        self.descent, self._list_ends, self.list_pages = None, set(), 0
        self.frontier, self.feed, self.climbs = None, Feed(), []
        self._chain_points, self._first_list = {}, None
        self._gap_points = {}
        if resume is not None:
            segments = [
                Segment(c.start, c.floor, -1 if c.listed_to is None else c.listed_to)
                for c in resume.chains
            ]
            runs = [Run(g.below, g.walked_to) for g in resume.gaps]
            self._gap_points = {run: g for run, g in zip(runs, resume.gaps, strict=True)}
            self.frontier = Frontier(resume.listed_to, resume.walked_to, segments, runs)
            self.logger.info(
                "%s: resuming a first pull that did not finish: list from cursor %r (ids "
                "above %s), %d more list chains, search walk below id %s (%d lower parts "
                "walked)",
                self.name, resume.after, resume.listed_to, len(segments), resume.walked_to,
                len(runs),
            )  # fmt: skip
            for chain, segment in zip(resume.chains, segments, strict=True):
                self._chain_points[segment] = chain
                self._climb(segment, chain.after)

    def _list_params(self) -> dict[str, Any]:
        return {
            "limit": self.list_limit,
            "properties": ",".join(self.hubspot_properties),
            "archived": "false",
        }

    def _climb(self, segment: Segment, after: str | None) -> None:
        assert self.frontier is not None and self.feed is not None
        self.climbs.append(
            Climb(
                self.hubspot, self.obj.type_id, self._list_params(), self.frontier, segment,
                self._start_reads, self.feed, after=after, on_end=self._rebalance,
            )
        )  # fmt: skip

    def _start_chains(self, highest: int) -> None:
        """The walk's first page is in (its thread): start as many more list chains
        between the first chain and the walk as the limiter has room for."""
        if self._resumed is not None or self._first_list is None or self.frontier is None:
            return
        lowest, call_s = self._first_list
        limiter, search = self.hubspot.limiter, self.hubspot.search_limiter
        window = None if limiter is None else limiter.max_calls / limiter.window_s
        readers = len(self.readers)
        count = extra_chains(call_s, window, readers)
        share = walk_share(
            call_s, window, None if search is None else search.per_second,
            readers, count + 1, self.list_limit, self.search_limit,
        )  # fmt: skip
        started = []
        with self._chains_lock:
            if self.feed is None or self.feed.stop.is_set():
                return
            self._wanted = 1 + count
            for start in split_points(lowest, highest, count, share):
                segment = self.frontier.add_chain(start)
                if segment is not None:
                    self._chain_points[segment] = ChainPoint(start)
                    self._climb(segment, None)
                    started.append(start)
        if started:
            self.logger.info(
                "%s: %d more list chains from ids %s (a list call took %.0f ms)",
                self.name, len(started), started, call_s * 1000,
            )  # fmt: skip

    def _rebalance(self) -> None:
        """A list chain ended: while fewer chains than wanted read, start one in the middle
        of the widest part of the ids a chain has yet to read (chains end unevenly)."""
        if self._resumed is not None or self.frontier is None or self.feed is None:
            return
        with self._chains_lock:
            while not self.feed.stop.is_set():
                gap = self.frontier.widest_gap()
                if gap is None:
                    return
                after, before, live = gap
                if live >= self._wanted or before - after < MIN_SPLIT_PAGES * self.list_limit:
                    return
                start = after + (before - after) // 2
                segment = self.frontier.add_chain(start)
                if segment is None:
                    return
                self._chain_points[segment] = ChainPoint(start)
                self._climb(segment, None)

    def _start_descent(self, payload: dict[str, Any], response: requests.Response) -> None:
        """On the first live list page, when more follow: walk down from the top (or from
        where a resumed pull's walk stopped) too."""
        if (
            self.descent is not None
            or self.mode != "list"
            or not self.config.get("search_walk", True)
            or not ((payload.get("paging") or {}).get("next") or {}).get("after")
            or not _numeric(payload.get("results") or [])
        ):
            return
        if self.frontier is None:
            self.frontier = Frontier()
        results = payload.get("results") or []
        self._first_list = (
            min(int(r["id"]) for r in results),
            response.elapsed.total_seconds(),
        )
        self.descent = Descent(
            self.tap_ref.search_client,
            self.obj.type_id,
            self.hubspot_properties,
            self.frontier,
            self._start_reads,
            self.search_limit,
            below=self._point.walked_to,
            feed=self.feed,
            on_first=self._start_chains,
        )

    def _start_reads(self, ids: list[str]) -> list[tuple[AssociationReader, Future[Found]]]:
        """A page's association reads, grouped with other pages' while one is under way
        (:mod:`tap_hubspot_custom.grouped_reads`)."""
        return [(r, self._grouped[r].add(ids)) for r in list(self.readers) if r in self._grouped]

    def _walked(self, pages: Iterator[Page]) -> Iterator[dict[str, Any]]:
        """Records of the search walk's and the other chains' pages (their associations
        read beside)."""
        for page in pages:
            records = [self.shaper.shape(r) for r in page.results]
            self._attach(records, page.reads)
            for record in records:
                self._see(record)
                yield record
            if not records:
                continue
            if page.chain is None and (page.run is None or page.run.top is None):
                self._reached(walked_to=int(records[-1]["id"]))
            elif page.chain is None:
                assert page.run is not None and page.run.top is not None
                self._gap_points[page.run] = GapPoint(page.run.top, int(records[-1]["id"]))
                self._reached()
            else:
                chain = self._chain_points[page.chain]
                self._chain_points[page.chain] = ChainPoint(
                    chain.start, chain.floor, page.after, int(records[-1]["id"])
                )
                self._reached()

    def _reached(
        self,
        *,
        after: str | None = None,
        listed_to: int | None = None,
        walked_to: int | None = None,
    ) -> None:
        """A page's last record went out (singer-sdk wrote it before asking for the next
        one): STATE now says where both ends stand, so a kill after it resumes there."""
        old, newest = self._point, self._newest
        floors = dict(self.frontier.points()) if self.frontier is not None else {}
        chains = tuple(
            ChainPoint(c.start, floors.get(c.start), c.after, c.listed_to)
            for c in sorted(self._chain_points_now(), key=lambda c: c.start)
            if c.start in floors  # a chain whose guess did not hold has none
        )
        point = PullPoint(
            after if listed_to is not None else old.after,
            listed_to if listed_to is not None else old.listed_to,
            walked_to if walked_to is not None else old.walked_to,
            old.walked or self.descent is not None,
            self._served_at,
            newest.ms,
            # Not copied past the bound: a bulk import's million ids at one millisecond
            # would be copied at every page.
            frozenset(newest.ids) if len(newest.ids) <= NEWEST_IDS_MAX else frozenset(),
            chains,
            tuple(sorted(self._gap_points.values(), key=lambda g: g.below)),
        )
        self._point = point
        if self.replication_method == REPLICATION_INCREMENTAL:
            point.save(self._state)
            self.state_manager.is_flushed = False
            self._write_state_message()  # at every page, not every STATE_MSG_FREQUENCY

    def _chain_points_now(self) -> list[ChainPoint]:
        with self._chains_lock:  # chains are started on other threads
            return list(self._chain_points.values())

    def _see(self, record: dict[str, Any]) -> None:
        ms = epoch_ms(record.get(REPLICATION_KEY))
        if ms is not None and (self._newest.ms is None or ms >= self._newest.ms):
            self._newest.see(ms, record["id"])

    def _send_next_page(self, payload: dict[str, Any]) -> None:
        """Request the list page after ``payload`` now, before its records are written."""
        after = ((payload.get("paging") or {}).get("next") or {}).get("after")
        if not after or self._send is None:
            return
        prepared = self.prepare_request(self._context, after)
        self.prefetch.send_ahead(prepared, partial(self._fetch_ahead, prepared))

    def _fetch_ahead(self, prepared: requests.PreparedRequest) -> requests.Response:
        """A page requested ahead (worker thread): on arrival, follow it at once."""
        assert self._send is not None
        response = self._send(prepared, self._context)
        self._arrivals[request_key(response.request)] = self._arrive(response)
        return response

    def _arrive(self, response: requests.Response) -> _Arrival:
        """Claim the page's ids (when walking from both ends), request the next page and
        start this page's association reads."""
        payload = body_of(response)
        if self.mode == "list":
            self._start_descent(payload, response)
        results = payload.get("results") or []
        if self.mode == "list" and self.frontier is not None and _numeric(results):
            more = bool(((payload.get("paging") or {}).get("next") or {}).get("after"))
            kept, stop = self.frontier.claim_up([int(r["id"]) for r in results], not more)
            payload["results"] = results[kept]
            if stop:
                self._list_ends.add(request_key(response.request))
                payload.pop("paging", None)
                self._rebalance()
        self._send_next_page(payload)
        reads: list[tuple[AssociationReader, Future[Found]]] = []
        if self.mode == "list":
            ids = [str(r["id"]) for r in payload.get("results") or []]
            if ids:
                reads = self._start_reads(ids)
        return _Arrival(payload, reads)

    def _arrival(self, response: requests.Response) -> _Arrival:
        """The page's arrival (made on a worker if it was requested ahead)."""
        arrival = self._arrivals.pop(request_key(response.request), None)
        return arrival if arrival is not None else self._arrive(response)

    def _parse_list(self, response: requests.Response) -> Iterator[dict[str, Any]]:
        if self._served_at is None:
            self._served_at = _server_ms(response)
        arrival = self._arrival(response)
        self.list_pages += 1
        results = arrival.payload.get("results") or []
        records = [self.shaper.shape(r) for r in results]
        yield from self._meanwhile(arrival.reads)
        self._attach(records, arrival.reads)
        # Where the list goes on after this page: the next page's cursor, or this page's
        # own when the list stopped on it (read again, cut above its last id).
        after = ((arrival.payload.get("paging") or {}).get("next") or {}).get("after")
        resume_at = str(after) if after else _cursor_of(response)
        for record in records:
            self._see(record)
            yield record
        if records and _numeric(results):
            self._reached(after=resume_at, listed_to=int(records[-1]["id"]))
        if self.feed is not None:
            yield from self._walked(self.feed.ready())

    def _meanwhile(
        self, reads: list[tuple[AssociationReader, Future[Found]]]
    ) -> Iterator[dict[str, Any]]:
        """While this page's association reads are under way, write the pages of the walk
        and of the other chains that are ready (their threads then read on)."""
        if self.feed is None:
            return
        futures = [future for _, future in reads]
        while True:
            yield from self._walked(self.feed.ready())
            if wait(futures, timeout=FEED_POLL_S).not_done == set():
                return

    def _search_pull(
        self, context: Context | None, state: dict[str, Any], start: str
    ) -> Iterator[dict[str, Any]]:
        start_ms = epoch_ms(start)
        assert start_ms is not None
        anchor = Anchor(start_ms, True, set())
        if epoch_ms(state.get("replication_key_value")) == start_ms:
            anchor.inclusive = not state.get(BOUNDARY_COMPLETE, False)
            if anchor.inclusive:
                # Older versions kept every id at the millisecond here; still read.
                anchor.seen = {str(i) for i in state.get(BOUNDARY_IDS) or []}
                cursor = state.get(BOUNDARY_LAST_ID)
                anchor.drain_after = int(cursor) if cursor is not None else None
        self.plan = SearchPlan(
            self.obj.modified_property, self.hubspot_properties, anchor, self.search_limit
        )
        self._switch("search")
        # STATE goes out at page ends only (:meth:`_parse_search`), never amid a page's
        # records: such a line would say less than the records before it, and a run killed
        # just after it would read them again.
        every = self.STATE_MSG_FREQUENCY
        self.STATE_MSG_FREQUENCY = 1 << 62
        try:
            yield from self.request_records(context)
        finally:
            self.STATE_MSG_FREQUENCY = every

    def _parse_search(self, response: requests.Response) -> Iterator[dict[str, Any]]:
        plan = self.plan
        assert plan is not None
        records = [self.shaper.shape(r) for r in plan.take(body_of(response).get("results") or [])]
        self._attach(records)
        yield from records
        # Runs once the SDK has written every record of the page: the bookmark follows.
        value, ids, complete, cursor = plan.bookmark()
        self._save(self._state, value, ids, complete=complete, drained_to=cursor)
        if self.replication_method == REPLICATION_INCREMENTAL:
            self._write_state_message()  # at every page's end, not amid the next page

    def _archived_pull(
        self, context: Context | None, state: dict[str, Any], start: str | None
    ) -> Iterator[dict[str, Any]]:
        complete = False
        if ARCHIVED_VALUE in state:
            since, seen = epoch_ms(state[ARCHIVED_VALUE]), set(state.get(ARCHIVED_IDS) or [])
            complete = bool(state.get(ARCHIVED_COMPLETE))
        else:
            since, seen = epoch_ms(start) if start else None, set()
        self._archived_since = (since, seen, complete)
        self._archived_served = None
        self._newest = _Newest(since, set() if complete else seen)
        self._switch("archived")
        yield from self.request_records(context)
        newest, served = self._newest, self._archived_served
        if newest.ms is not None and self.replication_method == REPLICATION_INCREMENTAL:
            state[ARCHIVED_VALUE] = iso(newest.ms)
            # Archived before the listing began and the listing holds every archived
            # record: all archived at that time went out, however many (a mass delete).
            done = served is not None and newest.ms <= served
            state[ARCHIVED_IDS] = [] if done else sorted(newest.ids)
            state[ARCHIVED_COMPLETE] = done
            self.state_manager.is_flushed = False

    def _parse_archived(self, response: requests.Response) -> Iterator[dict[str, Any]]:
        since, seen, complete = self._archived_since
        if self._archived_served is None:
            self._archived_served = _server_ms(response)
        for raw in self._arrival(response).payload.get("results") or []:
            record = self.shaper.shape(raw)
            ms = epoch_ms(record.get("_sdc_deleted_at"))
            if ms is None:
                continue
            if since is not None and (
                ms < since or (ms == since and (complete or record["id"] in seen))
            ):
                continue  # archived before the last run looked
            self._newest.see(ms, record["id"])
            yield record

    # --- helpers --------------------------------------------------------------------

    def _switch(self, mode: Mode) -> None:
        """Point the SDK's request loop at one pull: method, URL, paging, parsing."""
        self.mode = mode
        self.http_method = "POST" if mode == "search" else "GET"

    def _attach(
        self,
        records: list[dict[str, Any]],
        reads: list[tuple[AssociationReader, Future[Found]]] | None = None,
    ) -> None:
        """Put each associated type's results on ``records`` (reads already under way, or
        made now)."""
        if not records:
            return
        under_way = dict(reads or [])
        ids = [r["id"] for r in records]
        for reader in list(self.readers):
            try:
                future = under_way.get(reader)
                found = future.result() if future is not None else reader.read(ids)
            except HubSpotError as exc:
                if exc.status not in (400, 404):
                    raise
                self.logger.warning(
                    "%s: not reading associations to %s: %s", self.name, reader.to_name, exc
                )
                self.readers.remove(reader)
                continue
            reader.apply(records, found)
            # The v4 batch reads go to singer-sdk's request metric like the pages do.
            with metrics.http_request_counter(self.name, reader.endpoint) as counter:
                counter.increment(found.calls)
            found.calls = 0  # a grouped read serves several pages: counted once

    def _save(
        self,
        state: dict[str, Any],
        value: str,
        ids: list[str],
        *,
        complete: bool,
        drained_to: int | None = None,
    ) -> None:
        if self.replication_method != REPLICATION_INCREMENTAL:
            return
        state["replication_key"] = REPLICATION_KEY
        state["replication_key_value"] = value
        state[BOUNDARY_IDS] = ids
        # Written even when null: meltano merges STATE, so a key left out would survive.
        state[BOUNDARY_LAST_ID] = None if drained_to is None else str(drained_to)
        state[BOUNDARY_COMPLETE] = complete
        self.state_manager.is_flushed = False


def _numeric(results: list[dict[str, Any]]) -> bool:
    """Whether a page's ids are all numbers (HubSpot's are): the ends compare them."""
    return all(str(r.get("id", "")).isdigit() for r in results)


def _cursor_of(response: requests.Response) -> str | None:
    """The list cursor a page was asked for with (``None``: the first page)."""
    found = parse_qs(urlsplit(str(response.request.url)).query).get("after")
    return found[0] if found else None


def _server_ms(response: requests.Response) -> int | None:
    """The server's clock when it served ``response``, less a second (``Date`` is whole seconds)."""
    header = response.headers.get("Date")
    if not header:
        return None
    try:
        served = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return int((served - timedelta(seconds=1)).timestamp() * 1000)
