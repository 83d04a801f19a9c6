"""One stream per Salesforce object, read incrementally by replication key.

Correctness rules (the reason this module exists):

* rows come ``ORDER BY <key> ASC, Id ASC`` from ``queryAll``, so deleted rows come
  too and are emitted with ``_sdc_deleted_at``;
* the bookmark is the pair (``replication_key_value``, ``boundary_last_id``): the last
  row emitted, since rows sharing a timestamp may straddle a page or a run; the next
  query resumes strictly after it (``<key> > t OR (<key> = t AND Id > last)``), so the
  state stays a few dozen bytes at any number of ties
  (:mod:`tap_salesforce_custom.boundary`, which also reads older states' ``boundary_ids``);
* the SDK writes STATE every ``page_size`` records (``is_sorted``), so an interrupted
  run re-reads at most one page;
* when the API quota share or the daily limit is reached the stream stops between
  pages with :class:`~crm_sync.http.QuotaExhausted`: the bookmark written so far is
  resumable, and the stream is reported as failed, never as a finished sync;
* a refresh pass (a mapping's ``refresh:``, :mod:`tap_salesforce_custom.refresh`) runs
  after the incremental pass when due: partial records (``Id``, the refreshed fields,
  the replication key) of the rows the incremental pass did not read
  (``<key> <= bookmark``), through Bulk 2.0 for many rows; the stream counts as
  FULL_TABLE meanwhile, so these older rows never move the bookmark.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream, metrics
from singer_sdk.helpers.conform import TypeConformanceLevel

from crm_sync.backfill import backfill_if_widened
from crm_sync.bookmark import check_bookmark
from crm_sync.http import QuotaExhausted
from tap_salesforce_custom.boundary import Boundary, BoundaryTracker
from tap_salesforce_custom.refresh import REFRESHED_AT, RefreshPlan
from tap_salesforce_custom.sf_types import (
    DELETED_AT,
    json_record,
    normalize_datetime,
    replication_key,
    row_converter,
)
from tap_salesforce_custom.soql import QuerySpec

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context

    from crm_sync.salesforce import SalesforceClient
    from tap_salesforce_custom.tap import TapSalesforceCustom

FULL_TABLE = "FULL_TABLE"


class SalesforceObjectStream(Stream):
    """Records of one sObject, from REST query/queryMore or a Bulk 2.0 job."""

    primary_keys = ["Id"]
    is_sorted = True
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    """Records leave ``json_record`` (REST) or ``converter`` (Bulk CSV) already in their JSON
    types, with exactly the queried fields; the SDK's per-value conformance pass would
    only cost a third of the tap's CPU (profiled at 100,000 records) for no change."""

    def __init__(self, tap: TapSalesforceCustom, schema: dict[str, Any], name: str) -> None:
        super().__init__(tap=tap, schema=schema, name=name)
        self.sobject = str(schema.get("x-sf-object") or name)
        self.replication_key = replication_key(schema)
        self.client: SalesforceClient = tap.client
        self._tap_ref = tap
        page_size = int(self.config.get("page_size") or 2000)
        # Checkpoint once per page: a crash re-reads at most one page.
        self.STATE_MSG_FREQUENCY = max(1, page_size)
        self.path_used: str | None = None
        self.refresh: RefreshPlan | None = None
        """Set by the tap when a mapping asks for this object's calculated fields."""
        self._refreshing = False
        self._had_bookmark = False

    @property
    def replication_method(self) -> str:
        """FULL_TABLE while the refresh pass emits: its rows are older than the bookmark
        and must neither move it nor trip the SDK's sort check."""
        return FULL_TABLE if self._refreshing else super().replication_method

    # --- SDK hooks ------------------------------------------------------------------

    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[Context | None]:
        """No child contexts: these streams have no child streams, and the SDK's default
        makes one per record (a copy of the record, a stream-map filter call) only to
        sync no children with it."""
        if self.child_streams:
            return super().generate_child_contexts(record, context)
        return ()

    def get_replication_key_signpost(self, context: Context | None = None) -> None:
        """No signpost: bookmarks are the server's own timestamps, not this host's clock."""
        return None

    @property
    def sf_types(self) -> dict[str, str]:
        return {
            name: str(prop.get("x-sf-type", "string"))
            for name, prop in self.schema["properties"].items()
            if name != DELETED_AT
        }

    @cached_property
    def query_fields(self) -> tuple[str, ...]:
        """Selected fields (always Id, the replication key and IsDeleted)."""
        props = [n for n in self.schema["properties"] if n != DELETED_AT]
        mask = self.mask
        chosen = [n for n in props if mask.get(("properties", n), True)]
        for needed in ("Id", self.replication_key, "IsDeleted"):
            if needed and needed in props and needed not in chosen:
                chosen.append(needed)
        return tuple(chosen)

    def query_spec(self, start: str | None, after_id: str | None = None) -> QuerySpec:
        filters = self.config.get("filters") or {}
        where = next((w for k, w in filters.items() if k.lower() == self.sobject.lower()), None)
        return QuerySpec(
            sobject=self.sobject,
            fields=self.query_fields,
            replication_key=self.replication_key,
            start=start,
            filter=where,
            after_id=after_id,
        )

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """Records of this object; the API calls it took go to singer-sdk's
        ``http_request_count`` metric (endpoint ``rest`` or ``bulk``)."""
        before = self.client.counter.total
        try:
            yield from self._records(context)
        finally:
            endpoint = self.path_used or "rest"
            with metrics.http_request_counter(self.name, endpoint) as counter:
                counter.with_context(context)
                counter.increment(self.client.counter.total - before)

    def _records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        self._tap_ref.preflight()
        state = self.get_context_state(context)
        check_bookmark(self.name, state)
        backfill_if_widened(self._tap_ref.mapping_scopes, self.name, state, self.logger)
        self._had_bookmark = state.get("replication_key_value") is not None
        start = self._start_value(context)
        saved = Boundary.saved(state, start)
        tracker = BoundaryTracker(self.name, state, saved, self._closed_before())
        spec = self.query_spec(start, saved.keyset_id)
        rk = self.replication_key
        try:
            for record in self._read(spec):
                if rk:
                    value = record.get(rk)
                    if start and value is not None and value < start:
                        continue  # strictly before the bookmark: emitted by an earlier run
                    if saved.emitted(value, record["Id"]):
                        continue  # emitted by an earlier run at the bookmark's timestamp
                    # Kept next to replication_key_value; the SDK writes both together.
                    tracker.emit(value, record["Id"])
                yield record
            yield from self._refresh_pass(state, start, saved)
        except QuotaExhausted as exc:
            # Not finished: the SDK reports the stream as failed and the tap exits non-zero;
            # the STATE written per page lets the next run resume here.
            self.logger.error("%s stopped before its end: %s", self.name, exc)
            self._tap_ref.quota_stop = str(exc)
            raise

    def _closed_before(self) -> str | None:
        """The org's time as of its last reply, before this stream's query: no row can
        still get a timestamp earlier than it (see :mod:`tap_salesforce_custom.boundary`)."""
        now = self.client.server_time
        return None if now is None else normalize_datetime(now.isoformat())

    # --- refresh ----------------------------------------------------------------------

    def _refresh_pass(
        self, state: dict[str, Any], start: str | None, saved: Boundary
    ) -> Iterator[dict[str, Any]]:
        """The refreshed fields of every row the incremental pass did not read, if due.

        ``refreshed_at`` (server time before the refresh query) is set once the pass
        has emitted its last row, so the SDK's final STATE carries it; an interrupted
        pass is redone next run. A first read (no saved bookmark) read everything since
        ``start_date``: it counts as a refresh. Rows older than ``start_date`` were never
        synced, so they are not refreshed either.
        """
        plan, rk = self.refresh, self.replication_key
        if plan is None or not rk:
            return
        now = self.client.server_time
        if now is None:  # no reply yet: ask the org what time it is (one cheap call)
            self.client.limits()
            now = self.client.server_time
        if now is None:
            self.logger.warning("%s: the org sent no Date header; refresh skipped", self.name)
            return
        if start is None or not self._had_bookmark:
            state[REFRESHED_AT] = now.isoformat()
            return
        due = plan.due_at(state)
        if due is not None and now < due:
            self.logger.info(
                "%s: refresh of %s not due until %s", self.name, ", ".join(plan.fields),
                due.isoformat(),
            )  # fmt: skip
            return
        fields = tuple(dict.fromkeys(("Id", *plan.fields, *plan.context, rk)))
        start_date = self.config.get("start_date")
        since = normalize_datetime(str(start_date)) if start_date else None
        spec = replace(self.query_spec(since), fields=fields, until=start)
        api = self.choose_api(spec)
        self.logger.info(
            "%s: refreshing %s of mapping %r (%s)", self.name, ", ".join(plan.fields),
            plan.mapping, api.upper(),
        )  # fmt: skip
        rows = self._read_bulk(spec, False) if api == "bulk" else self._read_rest(spec, False)
        self._refreshing = True
        emitted = 0
        try:
            for record in rows:
                if record.get(rk) == start and not saved.emitted(start, record["Id"]):
                    continue  # read by this run's incremental pass
                record.pop(DELETED_AT, None)
                emitted += 1
                yield record
        finally:
            self._refreshing = False
        state[REFRESHED_AT] = now.isoformat()
        self.logger.info(
            "%s: refreshed %d row(s); next refresh due after %s", self.name, emitted,
            (now + plan.every).isoformat(),
        )  # fmt: skip

    # --- reading ----------------------------------------------------------------------

    def _start_value(self, context: Context | None) -> str | None:
        if not self.replication_key:
            return None
        value = self.get_starting_replication_key_value(context)
        start_date = self.config.get("start_date")
        if value is None and start_date:
            value = start_date
        return normalize_datetime(str(value)) if value else None

    def choose_api(self, spec: QuerySpec) -> str:
        """``rest`` or ``bulk``: forced by api_type, else by a COUNT() against the threshold."""
        api_type = str(self.config.get("api_type") or "auto").lower()
        if api_type in ("rest", "bulk"):
            return api_type
        threshold = int(self.config.get("bulk_threshold") or 100_000)
        total = self.client.count(spec.count(), include_deleted=True)
        chosen = "bulk" if total >= threshold else "rest"
        self.logger.info(
            "%s: %d rows to read; using the %s API (bulk_threshold=%d)",
            self.name, total, chosen.upper(), threshold,
        )  # fmt: skip
        return chosen

    def _read(self, spec: QuerySpec) -> Iterator[dict[str, Any]]:
        self.client.check_quota()
        self.path_used = self.choose_api(spec)
        if self.path_used == "bulk":
            yield from self._read_bulk(spec)
        else:
            yield from self._read_rest(spec)

    def _finish(self, record: dict[str, Any]) -> dict[str, Any]:
        record[DELETED_AT] = (
            record.get("SystemModstamp") or record.get("LastModifiedDate")
            if record.get("IsDeleted")
            else None
        )
        return record

    def _include_deleted(self, asked: bool | None) -> bool:
        return bool(self.config.get("include_deleted", True)) if asked is None else asked

    def _read_rest(
        self, spec: QuerySpec, include_deleted: bool | None = None
    ) -> Iterator[dict[str, Any]]:
        include_deleted = self._include_deleted(include_deleted)
        page_size = int(self.config.get("page_size") or 2000)
        types = self.sf_types
        dt_fields = tuple(n for n in spec.fields if types.get(n) == "datetime")
        for raw in self.client.query(
            spec.select(), include_deleted=include_deleted, page_size=page_size
        ):
            yield self._finish(json_record(raw, dt_fields))

    def _read_bulk(
        self, spec: QuerySpec, include_deleted: bool | None = None
    ) -> Iterator[dict[str, Any]]:
        typed = row_converter(self.sf_types)

        def convert(row: dict[str, str]) -> dict[str, Any]:
            return self._finish(typed(row))

        job = self.client.bulk_query(
            spec.select(),
            include_deleted=self._include_deleted(include_deleted),
            page_size=int(self.config.get("bulk_page_size") or 50_000),
            poll_seconds=float(self.config.get("bulk_poll_seconds") or 1.0),
        )
        yield from job.rows(convert)
