"""The batch sink: one Singer stream (map-crm's hs_to_sf shape) into one Salesforce object.

Each batch goes through :class:`crm_sync.sync.leg.MappedLeg` (the same reconcile → write
→ one ledger transaction as the HubSpot target), with Salesforce's
:class:`~target_salesforce_custom.writer.SalesforceDestination`, lookups folded into
the record's own write (:class:`crm_sync.sync.associations.LookupFolder`) and new Salesforce ids
written back to HubSpot (:mod:`target_salesforce_custom.writeback`). ``process_batch``
returns only once the batch is durable on Salesforce, HubSpot and the ledger, so the
STATE the SDK emits after draining never covers an unwritten record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from crm_sync.reconcile import RunReport
from crm_sync.sync.annotations import read_stream_mapping
from crm_sync.sync.associations import LookupFolder
from crm_sync.sync.leg import MappedLeg, warn_refused
from crm_sync.sync.target import SyncSink
from crm_sync.vocabulary import Direction, Rule
from target_salesforce_custom.writeback import WriteBack
from target_salesforce_custom.writer import SalesforceDestination

if TYPE_CHECKING:
    from crm_sync.sync.annotations import StreamMapping
    from target_salesforce_custom.target import TargetSalesforceCustom

DIRECTION = Direction.HS_TO_SF


class StreamShapeError(ValueError):
    """The stream is not one this target can write (e.g. a forward-leg stream)."""


class SalesforceSink(SyncSink):
    """Writes one mapped stream to one Salesforce object."""

    MAX_SIZE_DEFAULT = 5_000
    """Records a batch holds: 5,000 keeps the target near 140 MiB in a no-op reverse leg
    (10,000: about 185 MiB); a Bulk 2.0 batch is one ingest job, so twice the jobs
    (3 write calls each) for half the memory."""

    @property
    def sf_target(self) -> TargetSalesforceCustom:
        return self.sync_target  # type: ignore[return-value]

    # ------------------------------------------------------------------ setup
    def setup(self) -> None:
        target = self.sf_target
        mapping = read_stream_mapping(self.stream_name, self.schema)
        if mapping is None or mapping.direction is not DIRECTION:
            raise StreamShapeError(
                f"stream {self.stream_name!r}: target-salesforce-custom writes streams mapped "
                "by map-crm with direction hs_to_sf (x-crm-mapping); put the mapper between "
                "the tap and this target"
            )
        self.mapping: StreamMapping = mapping
        self.mapping_name = mapping.policy.name
        self.direction = DIRECTION
        self.pending_of = mapping
        self.dry_run = target.dry_run
        workers = int(target.config.get("max_workers") or 4)
        pool = self.pool = ThreadPoolExecutor(max_workers=workers)
        self.report = RunReport(
            self.mapping_name, DIRECTION, dry_run=self.dry_run, run_id=target.run_id
        )
        self.calls = 0
        self.leg = MappedLeg(
            self.stream_name,
            mapping,
            target.ledger,
            self.report,
            dry_run=self.dry_run,
            stamp_seen=self.stamps_seen(),
            use_destination_hints=True,
        )
        fields = [f.salesforce for f in mapping.policy.fields if f.rule is not Rule.NONE]
        self.destination = SalesforceDestination(
            target.client,
            mapping.object_name,
            mapping.id_property,
            fields,
            pool,
            bulk_threshold=int(target.config.get("bulk_threshold") or 2000),
        )
        self.lookups = LookupFolder(self.mapping_name, target.ledger, self.report)
        self.writeback = (
            WriteBack(target.hubspot, mapping.source_object, mapping.source_key, pool)
            if target.hubspot is not None and mapping.source_key
            else None
        )

    # ------------------------------------------------------------------ batches
    @contextmanager
    def counting(self) -> Iterator[None]:
        """Charge the API calls made inside to this stream (sinks drain one at a time)."""
        before = self.sf_target.call_counter.total
        try:
            yield
        finally:
            self.calls += self.sf_target.call_counter.total - before

    @property
    def api_calls(self) -> int:
        return self.calls

    @property
    def quota_left(self) -> int | None:
        return self.sf_target.client.quota_left

    def write_batch(
        self, records: Sequence[Mapping[str, Any]], durable: Callable[[], None]
    ) -> None:
        """Reconcile, write and commit ``records`` before returning (then ``durable``)."""
        with self.counting():
            write = self.leg.process(
                records,
                self.destination,
                before_write=self.lookups.before_write if self.mapping.has_associations else None,
                after_write=self.writeback.after_write if self.writeback else None,
                after_stop=self.writeback.after_write if self.writeback else None,
            )
        if write is not None:
            attempted = len(write.written) + len(write.refused)
            warn_refused(
                self.logger,
                self.mapping_name,
                "Salesforce",
                write,
                attempted,
                log_values=self.sync_target.log_values,
            )
            self.tally_record_written(len(write.written))
        durable()

    # ------------------------------------------------------------------ end of run
    def make_pending_associations(self) -> None:
        """Set lookups parked earlier whose related record is now in Salesforce."""
        if self.mapping.has_associations:
            with self.counting():
                self.lookups.make_pending(self.destination.update_fields)
