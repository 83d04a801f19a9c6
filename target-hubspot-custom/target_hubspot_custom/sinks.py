"""The batch sink: one Singer stream into one HubSpot object.

A mapped stream (annotated by map-crm) is reconciled against the ledger and HubSpot
(:func:`crm_sync.sync.batch.reconcile_batch`) in ``write_batch``, on the SDK's thread;
the planned writes go to the run's :class:`~target_hubspot_custom.pipeline.WritePipeline`,
whose thread writes them, makes the associations (:mod:`crm_sync.sync.associations`
decides which) and commits the ledger in one transaction while the next batch is read
and reconciled. Only then does the job close the batch's STATE ticket
(:mod:`crm_sync.sync.state`), so STATE never covers an unwritten or uncommitted record.
A batch naming a record still in flight waits for it first (its ledger state must be
current). A plain stream (any tap) is upserted by key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from crm_sync.http import QuotaExhausted, own_thread
from crm_sync.hubspot.properties import CREATE_SETTING, creates_object
from crm_sync.reconcile import Action, Base, LedgerState, RecordPlan, RunReport
from crm_sync.sync.annotations import StreamMapping, read_stream_mapping
from crm_sync.sync.associations import AssociationDiff, make_pending
from crm_sync.sync.batch import BatchWrite, RefusedRecord, jsonable
from crm_sync.sync.ledger import AssociationRef
from crm_sync.sync.leg import (
    NOTHING_LINKED,
    HookStopped,
    Linked,
    MappedLeg,
    PlannedBatch,
    warn_refused,
)
from crm_sync.sync.target import SyncSink
from crm_sync.vocabulary import Direction, Rule
from target_hubspot_custom.associations import ObjectAssociations
from target_hubspot_custom.schema import DestinationSchemaError, ObjectInfo, ensure_object
from target_hubspot_custom.writeback import DEFAULT_BULK_THRESHOLD, SalesforceWriteBack
from target_hubspot_custom.writer import HubSpotDestination, wire_value

if TYPE_CHECKING:
    from target_hubspot_custom.target import TargetHubSpotCustom

DIRECTION = Direction.SF_TO_HS


class HubSpotSink(SyncSink):
    """Writes one stream to one HubSpot object with batch upserts."""

    MAX_SIZE_DEFAULT = 1000
    """Records per batch unless ``batch_size_rows`` says otherwise. Up to four batches
    are alive at once (one buffering, two queued for the writer, one being written), so
    this bounds the run's memory: 1,000 keeps a run of any size near the empty run's
    footprint (5,000 added ≈ 80 MiB); a multiple of 100 keeps the upserts at the minimum."""

    @property
    def hs_target(self) -> TargetHubSpotCustom:
        return self.sync_target  # type: ignore[return-value]

    # ------------------------------------------------------------------ setup
    def setup(self) -> None:
        """Resolve the mapping (or plain settings) and check the HubSpot object."""
        target = self.hs_target
        self.mapping: StreamMapping | None = read_stream_mapping(self.stream_name, self.schema)
        self.dry_run = target.dry_run
        self.pool = ThreadPoolExecutor(
            max_workers=int(target.config.get("max_workers") or 8),
            initializer=own_thread,  # calls made by this pool are this sink's
            initargs=(self,),
        )
        self._report_lock = threading.Lock()
        """The report is updated by the SDK's thread (plans) and the writer (outcomes)."""
        self._in_flight: set[str] = set()
        self._in_flight_lock = threading.Lock()
        self._associations: ObjectAssociations | None = None
        self._write_back_jobs: ThreadPoolExecutor | None = None
        if self.mapping is not None:
            self.mapping_name = self.mapping.policy.name
            self.object_name = self.mapping.object_name
            self.id_property = self.mapping.id_property
            fields = {
                f.hubspot: self.schema.get("properties", {}).get(f.hubspot, {"type": "string"})
                for f in self.mapping.policy.fields
                if f.rule is not Rule.NONE
            }
        else:
            self.mapping_name = self.stream_name
            object_map = target.config.get("object_map") or {}
            self.object_name = object_map.get(self.stream_name, self.stream_name)
            overrides = target.config.get("id_properties") or {}
            key = list(self.key_properties)
            id_property = (
                overrides.get(self.stream_name)
                or target.config.get("id_property")
                or (key[0] if len(key) == 1 else None)
            )
            if not id_property:
                raise DestinationSchemaError(
                    f"stream {self.stream_name!r}: set id_property (the unique HubSpot property"
                    " holding the stream's key); the stream has key "
                    f"{key or 'none'}"
                )
            self.id_property = str(id_property)
            fields = {
                name: prop
                for name, prop in self.schema.get("properties", {}).items()
                if not name.startswith("_sdc_")
            }
        self.report = RunReport(
            self.mapping_name, DIRECTION, dry_run=self.dry_run, run_id=target.run_id
        )
        self.direction = DIRECTION
        self.pending_of = self.mapping
        self.stamp_seen = self.stamps_seen()
        if self.mapping is not None:
            self.leg = MappedLeg(
                self.stream_name,
                self.mapping,
                target.ledger,
                self.report,
                dry_run=self.dry_run,
                stamp_seen=self.stamp_seen,
                check_keys=True,  # upserts go by the key: a record lacking it would twin
                use_destination_hints=True,  # a Salesforce record naming its company
                report_lock=self._report_lock,
            )
        with self.counting():
            self.object = self._ensure_object(fields)
        if self.object is not None:
            target.associations.register(
                self.mapping_name, self.object_name, self.object.object_type_id
            )
        self.destination = HubSpotDestination(
            target.client,
            self.object.object_type_id if self.object else "",
            self.id_property,
            list(fields),
            self.pool,
        )
        self.writeback = self._write_back()

    def _write_back(self) -> SalesforceWriteBack | None:
        """The write-back of new HubSpot ids to the mapping's Salesforce id field, unless
        the spec opts out, the field is ``Id`` itself, it is a dry run or no login is set."""
        mapping, target = self.mapping, self.hs_target
        if mapping is None or not mapping.write_back or self.dry_run:
            return None
        key = mapping.source_key
        if key.casefold() in ("", "id") or self.pool is None:
            return None
        if target.salesforce is None:
            if target.config.get("write_back_ids", True):
                target.warn_no_salesforce()
            return None
        self._write_back_jobs = ThreadPoolExecutor(
            max_workers=1,  # one Bulk job at a time, beside the HubSpot writes
            thread_name_prefix=f"write-back-{self.mapping_name}",
            initializer=own_thread,  # its calls are this sink's too
            initargs=(self,),
        )
        return SalesforceWriteBack(
            target.salesforce,
            mapping.source_object,
            key,
            self.pool,
            ledger=target.ledger,
            mapping=self.mapping_name,
            run_id=self.report.run_id,
            bulk_threshold=int(target.config.get("sf_bulk_threshold") or DEFAULT_BULK_THRESHOLD),
            source_id_field=mapping.source_id_field,
            background=self._write_back_jobs,
        )

    def _ensure_object(self, fields: Mapping[str, Mapping[str, Any]]) -> ObjectInfo | None:
        target = self.hs_target
        setting = target.config.get(CREATE_SETTING)  # plain streams: the switch
        declared = None
        if self.mapping is not None:  # mapped: the spec's hubspot.create_object decides
            declared = self.mapping.create_object
            if declared is None and setting:
                target.warn_create_setting()
        create_schema = creates_object(declared, setting)
        create_props = bool(target.config.get("create_missing_properties"))
        try:
            return ensure_object(
                target.client,
                self.object_name,
                self.id_property,
                fields,
                create_object_schema=create_schema and not self.dry_run,
                create_missing_properties=create_props and not self.dry_run,
                associated_objects=self.schema.get("x-crm-mapping", {}).get(
                    "associated_objects", ()
                ),
            )
        except DestinationSchemaError as exc:
            if self.dry_run and (create_schema or create_props):
                self.logger.warning("dry run: would create what is missing: %s", exc)
                return None
            raise

    # ------------------------------------------------------------------ batches
    @property
    def api_calls(self) -> int:
        """API calls made for this stream so far (by any thread)."""
        return self.hs_target.call_counter.of(self)

    @contextmanager
    def counting(self) -> Iterator[None]:
        """Charge the API calls the current thread makes inside to this stream."""
        with self.hs_target.call_counter.charging(self):
            yield

    def _settle_in_flight(self, source_ids: Collection[str]) -> None:
        """Wait for the pipeline if one of these records is still being written."""
        with self._in_flight_lock:
            busy = not self._in_flight.isdisjoint(source_ids)
        if busy:
            self.hs_target.pipeline.wait()

    def _submit(
        self,
        source_ids: Collection[str],
        job: Callable[[], None],
        durable: Callable[[], None],
        skipped: Callable[[], None] | None = None,
    ) -> None:
        """Hand a batch's write-and-commit to the pipeline (blocks when it is full).

        ``skipped`` runs instead when an earlier job failed (the run stops unwritten).
        """
        ids = set(source_ids)
        with self._in_flight_lock:
            self._in_flight |= ids

        def run() -> None:
            try:
                with self.counting():
                    job()
                durable()
            finally:
                with self._in_flight_lock:
                    self._in_flight -= ids

        if skipped is not None:
            run.skipped = skipped  # type: ignore[attr-defined]
        self.hs_target.pipeline.submit(run)

    def write_batch(
        self, records: Sequence[Mapping[str, Any]], durable: Callable[[], None]
    ) -> None:
        """Plan on this thread; the pipeline writes, commits, then calls ``durable``."""
        with self.counting():
            if self.mapping is None:
                self._process_plain(records, durable)
            else:
                self._process_mapped(records, durable)

    def _process_mapped(
        self, raw: Sequence[Mapping[str, Any]], durable: Callable[[], None]
    ) -> None:
        assert self.mapping is not None
        # A record of this batch still being written: its ledger state must be current.
        id_field = self.mapping.source_id_field
        self._settle_in_flight({str(r.get(id_field)) for r in raw})
        destination = self.destination if self.object is not None else _Nothing()
        planned = self.leg.plan(raw, destination)
        if self.dry_run:
            self.leg.plan_associations(planned)  # the preview counts what it would associate
            durable()
            return
        diff = self._planned_diff(planned)
        self._submit(
            planned.payloads,
            lambda: self._write_mapped(planned, diff),
            durable,
            skipped=lambda: self.leg.unplan(planned),
        )

    def _planned_diff(self, planned: PlannedBatch) -> AssociationDiff | None:
        """The batch's association diff, worked out on the planning thread.

        It reads the write only for the records HubSpot refused, so while the previous
        batch is written it can be made as if none will be; the writer's thread (the
        pipeline's critical path) uses it unless a record was refused (then it makes the
        diff again from the write, as it always did).
        """
        assert self.mapping is not None
        if not self.mapping.has_associations:
            return None
        return AssociationDiff.of(
            self.mapping_name, planned.plans, BatchWrite(), planned.payloads, planned.states
        )

    def _write_mapped(self, planned: PlannedBatch, diff: AssociationDiff | None = None) -> None:
        """The pipeline's half of a mapped batch: write, associate, commit the ledger."""

        def after_write(
            plans: Sequence[RecordPlan],
            write: BatchWrite,
            payloads: Mapping[str, Mapping[str, Any]],
            states: Mapping[str, LedgerState],
        ) -> Linked:
            ready = diff if plans is planned.plans and not write.refused else None
            return self._after_write(plans, write, payloads, states, ready)

        write = self.leg.write(planned, self.destination, after_write=after_write)
        attempted = sum(1 for p in planned.plans if p.writes)
        warn_refused(
            self.logger,
            self.mapping_name,
            "HubSpot",
            write,
            attempted,
            log_values=self.sync_target.log_values,
        )
        with self._report_lock:
            self.tally_record_written(len(write.written))
        if self.writeback is not None:  # the batch is committed: its ids are queued
            self.writeback.flush_due()

    def flush_earlier_write_backs(self) -> None:
        """Start of the mapping's run: write the ids an earlier run left queued."""
        if self.writeback is not None:
            with self.counting():
                self.writeback.flush_earlier()

    def flush_write_backs(self) -> None:
        """End of run: write the ids still queued (this run's and a killed run's)."""
        if self.writeback is not None:
            with self.counting():
                self.writeback.flush()

    def _after_write(
        self,
        plans: Sequence[RecordPlan],
        write: BatchWrite,
        payloads: Mapping[str, Mapping[str, Any]],
        states: Mapping[str, LedgerState],
        diff: AssociationDiff | None = None,
    ) -> Linked:
        """Associations, then the write-back of new HubSpot ids to Salesforce; a quota
        stop of the write-back keeps the associations made (:class:`HookStopped`).
        ``diff``: the associations' diff made while planning, if it still holds."""
        linked = self._associate(plans, write, payloads, states, diff)
        if self.writeback is not None:
            try:
                self.writeback.after_write(plans, write, payloads, states)
            except QuotaExhausted as stop:
                raise HookStopped(stop, linked) from stop
        return linked

    # ------------------------------------------------------------------ associations
    def _associate(
        self,
        plans: Sequence[RecordPlan],
        write: BatchWrite,
        payloads: Mapping[str, Mapping[str, Any]],
        states: Mapping[str, LedgerState],
        diff: AssociationDiff | None = None,
    ) -> Linked:
        """Make associations whose lookup changed vs the base; park the unresolvable ones."""
        assert self.mapping is not None
        if not self.mapping.has_associations:
            return NOTHING_LINKED
        if diff is None:
            diff = AssociationDiff.of(self.mapping_name, plans, write, payloads, states)
        linked, made = diff.apply(self._association_writer(), write, states)
        with self._report_lock:
            self.report.counts.associations_made += made
        return linked

    def _association_writer(self) -> ObjectAssociations:
        """The stream's association writer (one per sink: it carries a partial batch)."""
        if self._associations is None:
            assert self.object is not None and self.pool is not None
            self._associations = ObjectAssociations(
                self.hs_target.associations, self.object.object_type_id, self.pool
            )
        return self._associations

    def make_pending_associations(self) -> None:
        """End of run: make parked associations whose both records are now synced,
        those held to fill a batch among them."""
        if self.mapping is None or not self.mapping.has_associations or self.object is None:
            return
        writer = self._association_writer()
        writer.drop_carried()  # parked with their batch: made with the rest below

        def make(
            refs: Sequence[AssociationRef], mine: Mapping[str, str]
        ) -> tuple[list[AssociationRef], dict[str, Base]]:
            return writer.make_now(refs, mine).made, {}

        with self.counting():
            made = make_pending(self.hs_target.ledger, self.mapping_name, DIRECTION, make)
        self.report.counts.associations_made += made

    def close(self) -> None:
        """Release the worker threads, the write-back's too (its last job was recorded
        by :meth:`flush_write_backs`)."""
        super().close()
        if self._write_back_jobs is not None:
            self._write_back_jobs.shutdown(wait=True)

    # ------------------------------------------------------------------ plain streams
    def _process_plain(
        self, records: Sequence[Mapping[str, Any]], durable: Callable[[], None]
    ) -> None:
        ledger = self.hs_target.ledger
        key_field = self.key_properties[0] if self.key_properties else self.id_property
        inputs: dict[str, dict[str, Any]] = {}
        payloads: dict[str, Mapping[str, Any]] = {}
        for record in records:
            key = record.get(key_field)
            if key in (None, ""):
                raise ValueError(f"stream {self.stream_name!r}: record without {key_field!r}")
            props = {
                k: wire_value(v)
                for k, v in record.items()
                if not k.startswith("_sdc_") and k != key_field
            }
            inputs[str(key)] = props
            payloads[str(key)] = record
        plans = {
            key: RecordPlan(self.mapping_name, DIRECTION, key, None, Action.CREATE, changes=props)
            for key, props in inputs.items()
        }
        with self._report_lock:
            for plan in plans.values():
                self.report.observe(plan)
        if self.dry_run:
            durable()
            return
        self._settle_in_flight(inputs)

        def write_plain() -> None:
            ok, bad = self.destination.upsert_plain(list(inputs.items()))
            write = BatchWrite()
            for key, hs_id in ok.items():
                write.written.append((plans[key], hs_id))
            with self._report_lock:
                for key, error in bad.items():
                    self.report.failed(plans[key])
                    write.refused.append(RefusedRecord(plans[key], jsonable(payloads[key]), error))
            warn_refused(
                self.logger,
                self.mapping_name,
                "HubSpot",
                write,
                len(inputs),
                log_values=self.sync_target.log_values,
            )
            ledger.commit(
                self.mapping_name,
                DIRECTION,
                write,
                run_id=self.report.run_id,
                seen=inputs.keys() if self.stamp_seen else (),
            )
            with self._report_lock:
                self.tally_record_written(len(ok))

        self._submit(inputs, write_plain, durable)

    # ------------------------------------------------------------------ report
    @property
    def quota_left(self) -> int | None:
        return self.hs_target.limiter.daily_remaining


class _Nothing:
    """The destination of a dry run whose object does not exist yet: nothing to read."""

    def read_current(self, destination_ids: Sequence[str]) -> dict:
        return {}

    def write(self, plans: Sequence[RecordPlan], payloads: Mapping[str, Any]) -> BatchWrite:
        raise RuntimeError("a dry run writes nothing")
