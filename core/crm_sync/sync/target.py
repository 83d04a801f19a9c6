"""What both targets share as Singer plugins: STATE after durability, and the end of a run.

:class:`SyncTarget` owns the run: STATE goes through a :class:`~crm_sync.sync.state.
StateGate` (held until the records before it are durable, then written at once, so a
killed run resumes from its last durable batch; none at all in a dry run), and at the
end of the input it drains, replays the ledger's dead letters, makes pending
associations, prints the run report (or the dry-run plan) and stores it in the ledger's
run log. :class:`SyncSink` is the part of a sink that is the same for both APIs; a
plugin's sink fills in :meth:`SyncSink.write_batch` and a few hooks. Only singer-sdk's
public hooks are used (``process_record``, ``process_batch``, ``process_endofpipe``,
``drain_all``, the ``message_reader`` argument), and two private methods for speed
(:meth:`SyncSink._parse_timestamps_in_record`, :meth:`SyncSink._add_sdc_metadata_to_record`;
``tests/core/test_sdk_hooks.py`` fails if singer-sdk stops calling them).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import click
from singer_sdk.helpers.conform import DatetimeErrorTreatmentEnum
from singer_sdk.sinks import BatchSink, Sink
from singer_sdk.sinks.core import BaseJSONSchemaValidator
from singer_sdk.target_base import Target

from crm_sync.collector import tune_for_streaming
from crm_sync.http import QuotaExhausted
from crm_sync.reconcile import RunReport
from crm_sync.stops import CleanStops, RefusedStop
from crm_sync.sync.accounts import LedgerAccountMismatch
from crm_sync.sync.annotations import ASSOCIATIONS, STREAM_KEYS
from crm_sync.sync.ledger import SyncLedger, open_ledger
from crm_sync.sync.leg import DELETED_AT, finish_report, refusal_text
from crm_sync.sync.pending import warn_stuck
from crm_sync.sync.publish import default_ledger_url, publish_reports
from crm_sync.sync.records import SchemaCheck, Timestamps
from crm_sync.sync.state import DurableStateWriter, GatedReader, StateGate
from crm_sync.vocabulary import Direction, Side

__all__ = ["RefusedRecordsError", "SyncSink", "SyncTarget"]


class RefusedRecordsError(RefusedStop):
    """Some records were refused by the destination and ``fail_on_refused`` is set."""


PERMANENT_AFTER = 3
"""Runs in a row refusing a record with the same error that make it a permanent error."""

IGNORED_BUILTIN_SETTINGS = ("load_method", "add_record_metadata")
"""singer-sdk settings these targets would only pretend to honour: every write is an
upsert on a stable key, and ``_sdc_deleted_at`` is always kept (deletes travel in it)."""


class SyncTarget(CleanStops, Target):
    """A target that reconciles against the ledger, can plan without writing, and reports.

    A plugin sets :attr:`destination_label`; a target whose writes outlive
    ``process_batch`` overrides :meth:`settle` and :meth:`close_writes`.
    """

    destination_label = "the destination"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.state_gate = StateGate()
        kwargs.setdefault("message_reader", GatedReader(self.state_gate))
        self.sync_sinks: list[SyncSink] = []
        super().__init__(*args, **kwargs)
        self.stop_hook()
        self.state_gate.withhold = self.dry_run
        self.state_writer = DurableStateWriter(int(self.config.get("state_interval_seconds") or 0))
        self.state_gate.on_release = self.state_writer
        self.max_parallelism = 1  # stream order: parents land before children look them up

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """The CLI's run: the garbage collector set for streaming first (:mod:`crm_sync.
        collector`), then singer-sdk's ``invoke``."""
        tune_for_streaming()
        super().invoke(*args, **kwargs)

    @classmethod
    def append_builtin_config(cls, config_jsonschema: dict) -> None:
        """singer-sdk's built-in settings, less those the targets ignore."""
        super().append_builtin_config(config_jsonschema)
        for name in IGNORED_BUILTIN_SETTINGS:
            config_jsonschema["properties"].pop(name, None)

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """singer-sdk's target command plus ``--test``, the connection check."""
        command = super().get_singer_command()
        command.params.append(
            click.Option(
                ["--test"],
                is_flag=True,
                expose_value=False,
                callback=cls.cb_connection_test,
                help="Check the connection (log in, open the sync ledger) and exit; "
                "what `meltano test` runs.",
            )
        )
        return command

    @classmethod
    def cb_connection_test(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """Run :meth:`connection_check` with the settings given before ``--test``."""
        if not value:
            return
        given = ctx.params.get("config")
        target = cls(
            config=getattr(given, "config", None),
            parse_env_config=bool(getattr(given, "parse_env", False)),
        )
        for line in target.connection_check():
            click.echo(line, err=True)
        ctx.exit()

    def connection_check(self) -> list[str]:
        """Log in to the destination and open the ledger; one line per thing checked.

        Raises on the first failure (bad credentials, unreachable ledger).
        """
        raise NotImplementedError

    @property
    def dry_run(self) -> bool:
        return bool(self.config.get("dry_run"))

    @property
    def log_values(self) -> bool:
        """Whether logs may show field values (``log_values``; off: ids, fields, codes)."""
        return bool(self.config.get("log_values"))

    @cached_property
    def ledger(self) -> SyncLedger:
        """The sync ledger of ``ledger_url`` (default a SQLite file in the project),
        checked to belong to the org and portal this target talks to; a ledger of
        another is an expected stop (:mod:`crm_sync.stops`: one line, exit 2)."""
        ledger = open_ledger(self.config.get("ledger_url") or default_ledger_url())
        try:
            for side, account_id in self.account_ids().items():
                ledger.accounts.bind(side, account_id)
        except LedgerAccountMismatch:
            ledger.close()
            raise
        return ledger

    def account_ids(self) -> dict[Side, str]:
        """The org / portal id of each side this target talks to (one call each)."""
        return {}

    @cached_property
    def run_id(self) -> str:
        """One id for every stream's run log row of this run."""
        return uuid.uuid4().hex

    def get_sink(
        self,
        stream_name: str,
        *,
        record: dict | None = None,
        schema: dict | None = None,
        key_properties: Sequence[str] | None = None,
    ) -> Sink:
        """singer-sdk's sink for the stream; this run then holds the sink's mapping (claim)
        and first writes the id write-backs an earlier run of it left queued.

        ``get_sink`` is the SDK's public hook on the way to every sink (``add_sink`` is
        final); it runs per record, so a mapping already claimed costs a set lookup.
        """
        sink = super().get_sink(
            stream_name, record=record, schema=schema, key_properties=key_properties
        )
        if isinstance(sink, SyncSink) and sink.mapping_name not in self.claimed:
            if not self.dry_run:
                self.claim(sink.mapping_name)
                sink.flush_earlier_write_backs()  # the mapping is this run's now
            self.claimed.add(sink.mapping_name)
        return sink

    @cached_property
    def claimed(self) -> set[str]:
        """The mappings this run has claimed (or, in a dry run, would have)."""
        return set()

    def claim(self, mapping: str) -> None:
        """Hold ``mapping``'s lock in the ledger for the rest of the run.

        A second run of the same mapping is refused here, before it writes anything;
        a dry run writes nothing and takes no lock, so it may run beside a real one.
        """
        self.ledger.claim(mapping)
        self.logger.info("holding the ledger lock of mapping %r", mapping)

    def settle(self) -> None:
        """Return once every batch handed over so far is written and committed."""

    def close_writes(self) -> None:
        """Stop what :meth:`settle` waits on (end of run)."""

    # ------------------------------------------------------------------ end of run
    def process_endofpipe(self) -> None:
        """Drain and settle (held STATE follows), then dead letters, associations, report.

        The run's mapping locks go at the very end, also when the end fails.
        """
        try:
            self._end_run()
        finally:
            if "ledger" in self.__dict__:  # opened (cached_property): release what it holds
                self.ledger.locks.release_all()

    def _end_run(self) -> None:
        self.state_gate.on_release = None  # from here on the SDK writes the STATE it holds
        self.drain_all()
        self.settle()
        self.state_gate.release()
        super().process_endofpipe()  # a last drain; the SDK writes the latest STATE
        self.settle()
        sinks = list(self.sync_sinks)
        if not self.dry_run:
            for sink in sinks:
                sink.retry_dead_letters()
            self.settle()
            for sink in sinks:
                sink.make_pending_associations()
            for sink in sinks:
                sink.flush_write_backs()
        self.close_writes()
        reports = [sink.finish_report() for sink in sinks]
        for sink in sinks:
            sink.close()
        publish_reports(
            reports,
            dry_run=self.dry_run,
            plan_path=self.config.get("plan_path"),
            logger=self.logger,
            log_values=bool(self.config.get("log_values")),
        )
        self._check_refused(reports)

    def on_expected_stop(self, exc: BaseException) -> None:
        """A quota stop still leaves the run report: what was written and committed.

        The batches in flight finish first (their records are durable, STATE before them
        was released); the report and the ledger's run log then count exactly that.
        """
        if not isinstance(exc, QuotaExhausted) or self.dry_run or not self.sync_sinks:
            return
        try:
            self.settle()
        except Exception as again:  # the stop itself, raised again by the writer
            self.logger.debug("writes ended with %s", again)
        reports = [sink.finish_report() for sink in self.sync_sinks]
        publish_reports(
            reports,
            dry_run=False,
            plan_path=self.config.get("plan_path"),
            logger=self.logger,
            log_values=bool(self.config.get("log_values")),
        )

    def _check_refused(self, reports: Sequence[RunReport]) -> None:
        refused = sum(r.counts.failed for r in reports)
        if not refused:
            return
        self.logger.warning(
            "%d record(s) refused in this run: %s; they are in the ledger's dead letters",
            refused,
            ", ".join(f"{r.mapping}={r.counts.failed}" for r in reports if r.counts.failed),
        )
        for report in reports:
            if report.counts.failed and report.direction is not None:
                self._warn_permanent(report)
        if self.config.get("fail_on_refused"):
            raise RefusedRecordsError(
                f"{refused} record(s) refused by {self.destination_label}; "
                "see the ledger's dead letters"
            )

    def _warn_permanent(self, report: RunReport) -> None:
        """Call out records refused the same way run after run: retrying will not help."""
        assert report.direction is not None
        repeated = self.ledger.store.repeated_refusals(
            report.mapping, report.direction, PERMANENT_AFTER, report.started_at
        )
        if not repeated:
            return
        codes = Counter(d.error.code for d in repeated)
        self.logger.warning(
            "%s: %d record(s) refused with the same error on %d or more runs in a row, a "
            "permanent error that retrying will not fix: %s; e.g. %s: %s; fix the records "
            "at the source (or the mapping), or dismiss them with `crm-sync dead-letters "
            "dismiss`",
            report.mapping,
            len(repeated),
            PERMANENT_AFTER,
            ", ".join(f"{code} {n}" for code, n in codes.most_common()),
            repeated[0].source_id,
            refusal_text(repeated[0].error, self.log_values),
        )


class SyncSink(BatchSink):
    """A batch sink of a :class:`SyncTarget`: keeps its target and ``_sdc_*``, tells STATE.

    A plugin's sink sets ``mapping_name``, ``direction``, ``report`` and (optionally)
    ``pool`` in ``setup``, writes a batch in :meth:`write_batch`, and may override
    :meth:`make_pending_associations`, :attr:`api_calls`, :attr:`quota_left`.
    """

    mapping_name: str
    direction: Direction
    report: RunReport
    pool: ThreadPoolExecutor | None = None
    pending_of: Any = None
    """The stream's :class:`~crm_sync.sync.annotations.StreamMapping` (pending count)."""
    draining: bool = False
    """Inside :meth:`process_batch`, before its records are handed over."""

    def __init__(
        self,
        target: SyncTarget,
        stream_name: str,
        schema: dict,
        key_properties: Sequence[str] | None,
    ) -> None:
        self.sync_target = target
        super().__init__(target, stream_name, schema, key_properties)
        target.sync_sinks.append(self)

    def get_validator(self) -> BaseJSONSchemaValidator | None:
        """singer-sdk's record check, stopping in one value-free line (:mod:`.records`).

        None for map-crm streams: map-crm emitted the schema and shaped every record to
        it (values it could not convert travel in ``_crm_errors`` and go to the dead
        letters), so checking each record again only costs CPU on the thread that feeds
        the writer (about half of target-salesforce-custom's CPU on 10,000 records).
        Plain streams keep it.
        """
        if not self.validate_schema or any(key in self.schema for key in STREAM_KEYS):
            return None
        return SchemaCheck(
            self.stream_name,
            self.key_properties or (),
            self.schema,
            validate_formats=self.validate_field_string_format,
        )

    @cached_property
    def timestamps(self) -> Timestamps:
        """The stream's date-like fields, found once (:class:`~crm_sync.sync.records.
        Timestamps`); built on the first record, once the ``_sdc_*`` columns are in."""
        return Timestamps(self.stream_name, self.key_properties or (), self.schema, self.logger)

    def _parse_timestamps_in_record(
        self, record: dict, schema: dict, treatment: DatetimeErrorTreatmentEnum
    ) -> None:
        """singer-sdk's per-record timestamp parsing, over the date-like fields only.

        One of the two private SDK methods overridden here (see the module doc): its own
        version looks every
        field of every record up in the schema (a third of the reading thread's CPU).
        Same result; a value that is not a timestamp stops in one line naming the
        stream, the record's key and the field.
        """
        if schema is not self.schema:  # not the call the SDK makes per record
            super()._parse_timestamps_in_record(record, schema, treatment)
            return
        self.timestamps.parse(record, treatment)

    @property
    def include_sdc_metadata_properties(self) -> bool:
        """Always keep ``_sdc_*``: ``_sdc_deleted_at`` is how taps send deletions."""
        return True

    def _add_sdc_metadata_to_record(self, record: dict, message: dict, context: dict) -> None:
        """Of singer-sdk's ``_sdc_*`` record columns, only ``_sdc_deleted_at``.

        The second private method of the SDK overridden here, for speed: its own version
        stamps six more columns on every record (two clock reads formatted as ISO text,
        which the timestamp parsing then parses back) that are for loaders into tables;
        these targets read only ``_sdc_deleted_at`` (a delete) and never store the rest.
        The schema's ``_sdc_*`` properties stay (``include_sdc_metadata_properties``),
        and the SDK's other choice, dropping them, would drop ``_sdc_deleted_at`` too.
        ``tests/core/test_sdk_hooks.py`` fails if the SDK stops calling it.
        """
        if DELETED_AT not in record:
            record[DELETED_AT] = None

    # ------------------------------------------------------------------ batches
    def process_record(self, record: dict, context: dict) -> None:
        """Buffer the record; until it is durable no STATE after it goes out."""
        self.sync_target.state_gate.buffered(self)
        super().process_record(record, context)

    def process_batch(self, context: dict) -> None:
        """Write the drained batch; its ticket closes once the batch is durable."""
        records: list[dict[str, Any]] = context.get("records", [])
        self.draining = True  # a related sink draining first must not drain this one again
        try:
            self.drain_related(records)
        finally:
            self.draining = False
        ticket = self.sync_target.state_gate.drained(self)
        if not records:
            ticket.close()
            return
        self.write_batch(records, ticket.close)

    def drain_related(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Drain first the other sinks holding records this batch's associations name.

        singer-sdk drains a sink when it is full or at the end of the input, so a small
        parent stream (2,000 accounts) would still sit in its buffer when its children's
        batches are written, and every association to it would be parked as pending
        and made at the end of the run. Drained first, the parents' batch is written
        before this one (the targets write batches in order), so the children's
        associations are made with their own batch.

        Only another sink holding records can need it: once the parents' last batch is
        out (every batch after the first of a stream that follows them), the batch's
        references are not even looked at.
        """
        holding = [
            sink
            for sink in self.sync_target.sync_sinks
            if sink is not self and sink.current_size and not sink.draining
        ]
        if not holding:
            return
        wanted = {
            str(item.get("to_mapping"))
            for record in records
            for item in record.get(ASSOCIATIONS) or ()
            if isinstance(item, Mapping)
        }
        wanted.discard(self.mapping_name)
        if not wanted:
            return
        for sink in holding:
            name = getattr(sink, "mapping_name", None)
            if name in wanted and sink.current_size and not sink.draining:
                self.sync_target.drain_one(sink)

    def write_batch(
        self, records: Sequence[Mapping[str, Any]], durable: Callable[[], None]
    ) -> None:
        """Reconcile and write ``records``; call ``durable()`` once they are committed.

        A sink that writes before returning calls it last; one that hands the batch to
        a writer thread calls it there. On failure it is never called (no STATE).
        """
        raise NotImplementedError

    def write_records(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Write records outside the input (dead-letter replays), durable on return."""
        self.write_batch(records, lambda: None)
        self.sync_target.settle()

    @contextmanager
    def counting(self) -> Iterator[None]:
        """Charge the API calls made inside to this stream (see :attr:`api_calls`)."""
        yield

    @property
    def api_calls(self) -> int:
        return 0

    @property
    def quota_left(self) -> int | None:
        return None

    # ------------------------------------------------------------------ end of run
    def stamps_seen(self) -> bool:
        """Whether batches must stamp the leg's dead letters they read (see
        :attr:`~crm_sync.sync.leg.MappedLeg.stamp_seen`): only when some are open at the
        start of a real run. Call it in ``setup``, before the first batch."""
        target = self.sync_target
        return not target.dry_run and target.ledger.has_open_dead_letters(
            self.mapping_name, self.direction
        )

    def retry_dead_letters(self) -> None:
        """Replay records refused by an earlier run and not read by this one.

        What this run read is stamped on the ledger's dead letters (``seen_run``), and the
        letters come a batch at a time: memory holds one batch however many there are.
        """
        pages = self.sync_target.ledger.dead_letters_to_replay(
            self.mapping_name, self.direction, self.sync_target.run_id, self.max_size
        )
        replayed = 0
        with self.counting():
            for page in pages:
                replayed += len(page)
                self.write_records([dict(d.payload) for d in page])
        if replayed:
            self.logger.info("retried %d dead letter(s) of %s", replayed, self.mapping_name)

    def flush_earlier_write_backs(self) -> None:
        """Start of the mapping's run, its lock held, before its first batch: write the
        id write-backs earlier runs left queued (a target that queues)."""

    def flush_write_backs(self) -> None:
        """Write the id write-backs still queued in the ledger (a target that queues)."""

    def make_pending_associations(self) -> None:
        """Make associations parked earlier whose records are now both synced."""

    def finish_report(self) -> RunReport:
        """Close the stream's report; say which associations keep waiting, and why."""
        ledger = self.sync_target.ledger
        report = finish_report(
            self.report,
            ledger,
            dry_run=self.sync_target.dry_run,
            api_calls=self.api_calls,
            pending_of=self.pending_of,
            quota_left=self.quota_left,
        )
        mapping = self.pending_of
        if mapping is not None and not self.sync_target.dry_run:
            warn_stuck(
                self.logger, ledger, mapping.policy.name, mapping.direction, report.started_at
            )
        return report

    def close(self) -> None:
        """Release the worker threads (after the end-of-run work, not at drain time)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True)
