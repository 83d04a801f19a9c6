"""The batch sink: one Singer stream into one HubSpot object.

A mapped stream (annotated by map-crm) is reconciled against the ledger and HubSpot
(:func:`crm_sync.sync.batch.reconcile_batch`) in ``process_batch``, on the SDK's thread;
the planned writes go to the run's :class:`~target_hubspot_custom.pipeline.WritePipeline`,
whose thread writes them, makes the associations and commits the ledger in one
transaction while the next batch is read and reconciled. The target waits for the
pipeline before it emits STATE, so STATE never covers an unwritten or uncommitted record.
A batch naming a record still in flight waits for it first (its ledger state must be
current). A plain stream (any tap) is upserted by key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from crm_sync.http import own_thread
from crm_sync.hubspot import chunks
from crm_sync.reconcile import Action, Direction, RecordPlan, RunReport
from crm_sync.sync.annotations import StreamMapping, read_stream_mapping, record_associations
from crm_sync.sync.batch import BatchWrite, RefusedRecord
from crm_sync.sync.ledger import AssociationRef
from crm_sync.sync.leg import ASSOC_KEY, MappedLeg, PlannedBatch, finish_report, warn_refused
from crm_sync.sync.target import SyncSink
from target_hubspot_custom.schema import DestinationSchemaError, ObjectInfo, ensure_object
from target_hubspot_custom.writer import HubSpotDestination, jsonable, wire_value

if TYPE_CHECKING:
    from singer_sdk.sinks.core import BaseJSONSchemaValidator

    from target_hubspot_custom.target import TargetHubSpotCustom

DIRECTION = Direction.SF_TO_HS


class HubSpotSink(SyncSink):
    """Writes one stream to one HubSpot object with batch upserts."""

    MAX_SIZE_DEFAULT = 5000

    def get_validator(self) -> BaseJSONSchemaValidator | None:
        """No per-record JSON Schema check for map-crm streams; plain streams keep it.

        map-crm emitted the schema and shaped every record to it (values it could not
        convert travel in ``_crm_errors`` and go to the dead letters), so checking each
        record again only costs CPU on the thread that feeds the writer.
        """
        if "x-crm-mapping" in self.schema:
            return None
        return super().get_validator()

    @property
    def hs_target(self) -> TargetHubSpotCustom:
        return self._target  # type: ignore[return-value]

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
        if self.mapping is not None:
            self.mapping_name = self.mapping.policy.name
            self.object_name = self.mapping.object_name
            self.id_property = self.mapping.id_property
            fields = {
                f.hubspot: self.schema.get("properties", {}).get(f.hubspot, {"type": "string"})
                for f in self.mapping.policy.fields
                if f.rule.value != "none"
            }
        else:
            self.mapping_name = self.stream_name
            object_map = target.config.get("object_map") or {}
            self.object_name = object_map.get(self.stream_name, self.stream_name)
            overrides = target.config.get("id_properties") or {}
            key = list(self.key_properties)
            self.id_property = (
                overrides.get(self.stream_name)
                or target.config.get("id_property")
                or (key[0] if len(key) == 1 else None)
            )
            if not self.id_property:
                raise DestinationSchemaError(
                    f"stream {self.stream_name!r}: set id_property (the unique HubSpot property"
                    " holding the stream's key); the stream has key "
                    f"{key or 'none'}"
                )
            fields = {
                name: prop
                for name, prop in self.schema.get("properties", {}).items()
                if not name.startswith("_sdc_")
            }
        self.report = RunReport(
            self.mapping_name, DIRECTION, dry_run=self.dry_run, run_id=target.run_id
        )
        self.seen_ids: set[str] = set()
        if self.mapping is not None:
            self.leg = MappedLeg(
                self.stream_name,
                self.mapping,
                target.ledger,
                self.report,
                dry_run=self.dry_run,
                seen_ids=self.seen_ids,
                report_lock=self._report_lock,
            )
        with self._counting():
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

    def _ensure_object(self, fields: Mapping[str, Mapping[str, Any]]) -> ObjectInfo | None:
        target = self.hs_target
        create_schema = bool(target.config.get("create_object_schema"))
        create_props = bool(target.config.get("create_missing_properties"))
        try:
            return ensure_object(
                target.client,
                self.object_name,
                self.id_property,
                fields,
                create_object_schema=create_schema and not self.dry_run,
                create_missing_properties=create_props and not self.dry_run,
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
    def _counting(self) -> Iterator[None]:
        """Charge the API calls the current thread makes inside to this stream."""
        with self.hs_target.call_counter.charging(self):
            yield

    def _settle_in_flight(self, source_ids: Collection[str]) -> None:
        """Wait for the pipeline if one of these records is still being written."""
        with self._in_flight_lock:
            busy = not self._in_flight.isdisjoint(source_ids)
        if busy:
            self.hs_target.pipeline.wait()

    def _submit(self, source_ids: Collection[str], job: Callable[[], None]) -> None:
        """Hand a batch's write-and-commit to the pipeline (blocks when it is full)."""
        ids = set(source_ids)
        with self._in_flight_lock:
            self._in_flight |= ids

        def run() -> None:
            try:
                with self._counting():
                    job()
            finally:
                with self._in_flight_lock:
                    self._in_flight -= ids

        self.hs_target.pipeline.submit(run)

    def process_batch(self, context: dict) -> None:
        records: list[dict[str, Any]] = context.get("records", [])
        if not records:
            return
        with self._counting():
            self._process(records)

    def _process(self, records: Sequence[Mapping[str, Any]]) -> None:
        if self.mapping is None:
            self._process_plain(records)
        else:
            self._process_mapped(records)

    def _process_mapped(self, raw: Sequence[Mapping[str, Any]]) -> None:
        assert self.mapping is not None
        # A record of this batch still being written: its ledger state must be current.
        self._settle_in_flight({str(r.get(self.mapping.source_id_field)) for r in raw})
        destination = self.destination if self.object is not None else _Nothing()
        planned = self.leg.plan(raw, destination)
        if self.dry_run:
            return
        self._submit(planned.payloads, lambda: self._write_mapped(planned))

    def _write_mapped(self, planned: PlannedBatch) -> None:
        """The pipeline's half of a mapped batch: write, associate, commit the ledger."""
        write = self.leg.write(planned, self.destination, after_write=self._associate)
        attempted = sum(1 for p in planned.plans if p.writes)
        warn_refused(self.logger, self.mapping_name, "HubSpot", write, attempted)
        with self._report_lock:
            self.tally_record_written(len(write.written))

    # ------------------------------------------------------------------ associations
    def _associate(
        self,
        plans: Sequence[RecordPlan],
        write: BatchWrite,
        payloads: Mapping[str, Mapping[str, Any]],
        states: Mapping[str, Any],
    ) -> tuple[list[AssociationRef], list[AssociationRef], dict[str, dict]]:
        """Make associations whose lookup changed vs the base; park the unresolvable ones.

        The lookup value an association was made from is kept in the record's base (under
        ``@assoc:<lookup>``), so an unchanged lookup costs nothing on the next run, and a
        changed or cleared lookup removes the association made from its old value.
        """
        assert self.mapping is not None
        if not self.mapping.has_associations:
            return [], [], {}
        refused = {r.plan.source_id for r in write.refused}
        wanted: list[AssociationRef] = []
        stale: list[AssociationRef] = []
        new_bases: dict[str, dict] = {}
        for plan in plans:
            if plan.source_id in refused or plan.action in (Action.ARCHIVE, Action.SKIP):
                continue
            state = states.get(plan.source_id)
            old_base = (state.base if state is not None else None) or {}
            base = plan.base_after or old_base
            hub = dict(base.get("hubspot") or {})
            kept = {
                k: v for k, v in (old_base.get("hubspot") or {}).items() if k.startswith(ASSOC_KEY)
            }
            changed = bool(plan.base_after) and any(k not in hub for k in kept)
            hub = {**kept, **hub}  # a new base keeps what the associations were made from
            for spec in record_associations(payloads[plan.source_id]):
                key = ASSOC_KEY + spec.lookup
                old = hub.get(key)
                if old == spec.source_id:
                    continue
                if old is not None:
                    stale.append(
                        AssociationRef(
                            self.mapping_name, plan.source_id, spec.to_mapping, old, spec.rule_key()
                        )
                    )
                changed = True
                if spec.source_id is None:
                    hub.pop(key, None)
                    continue
                wanted.append(
                    AssociationRef(
                        self.mapping_name,
                        plan.source_id,
                        spec.to_mapping,
                        spec.source_id,
                        spec.rule_key(),
                    )
                )
                hub[key] = spec.source_id
            if changed:
                new_bases[plan.source_id] = {**base, "hubspot": hub}
        if not wanted and not stale:
            return [], [], new_bases
        mine = {s: st.destination_id for s, st in states.items() if st and st.destination_id}
        mine |= {p.source_id: i for p, i in write.written}
        if stale:
            self.hs_target.associations.unmake(self, stale, mine)
        made, pending = self.hs_target.associations.make(self, wanted, mine)
        with self._report_lock:
            self.report.counts.associations_made += len(made)
        cleared = [r for r in stale if r.source_id not in {w.source_id for w in wanted}]
        return pending, made + cleared, new_bases

    def make_pending_associations(self) -> None:
        """End of run: make parked associations whose both records are now synced."""
        if self.mapping is None or not self.mapping.has_associations or self.object is None:
            return
        ledger = self.hs_target.ledger
        pending = ledger.pending_associations(self.mapping_name, DIRECTION)
        if not pending:
            return
        mine = ledger.destination_ids(self.mapping_name, DIRECTION, [p.source_id for p in pending])
        with self._counting():
            made, still = self.hs_target.associations.make(self, pending, mine)
        ledger.commit(self.mapping_name, DIRECTION, BatchWrite(), pending=still, made=made)
        self.report.counts.associations_made += len(made)

    # ------------------------------------------------------------------ dead letters
    def retry_dead_letters(self) -> None:
        """End of run: replay records refused by an earlier run and not seen in this one."""
        ledger = self.hs_target.ledger
        letters = [
            d
            for d in ledger.dead_letters(self.mapping_name, DIRECTION)
            if d.source_id not in self.seen_ids
        ]
        if not letters:
            return
        self.logger.info("retrying %d dead letter(s) of %s", len(letters), self.mapping_name)
        with self._counting():
            for part in chunks(letters, 1000):
                self._process([dict(d.payload) for d in part])

    # ------------------------------------------------------------------ plain streams
    def _process_plain(self, records: Sequence[Mapping[str, Any]]) -> None:
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
        self.seen_ids.update(inputs)
        plans = {
            key: RecordPlan(self.mapping_name, DIRECTION, key, None, Action.CREATE, changes=props)
            for key, props in inputs.items()
        }
        with self._report_lock:
            for plan in plans.values():
                self.report.observe(plan)
        if self.dry_run:
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
            warn_refused(self.logger, self.mapping_name, "HubSpot", write, len(inputs))
            ledger.commit(self.mapping_name, DIRECTION, write)
            with self._report_lock:
                self.tally_record_written(len(ok))

        self._submit(inputs, write_plain)

    # ------------------------------------------------------------------ report
    def finish_report(self) -> RunReport:
        return finish_report(
            self.report,
            self.hs_target.ledger,
            dry_run=self.dry_run,
            api_calls=self.api_calls,
            pending_of=self.mapping,
            quota_left=self.hs_target.limiter.daily_remaining,
        )

    def close(self) -> None:
        """Release the worker threads (after the end-of-run work, not at drain time)."""
        self.pool.shutdown(wait=True)


class _Nothing:
    """The destination of a dry run whose object does not exist yet: nothing to read."""

    def read_current(self, destination_ids: Sequence[str]) -> dict:
        return {}

    def write(self, plans: Sequence[RecordPlan], payloads: Mapping[str, Any]) -> BatchWrite:
        raise RuntimeError("a dry run writes nothing")
