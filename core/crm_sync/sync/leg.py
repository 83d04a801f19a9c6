"""One mapped stream of one leg, batch after batch: what both targets' sinks share.

A sink hands :meth:`MappedLeg.process` the records of a batch (map-crm's shape) and its
:class:`~crm_sync.sync.batch.Destination`; the leg turns them into source records
(dead-lettering the ones the mapper could not convert), loads the ledger, reconciles
(:func:`~crm_sync.sync.batch.reconcile_batch`), lets the destination write, and commits
the outcome to the ledger in one transaction. What differs between the legs comes in
through two optional hooks:

* ``before_write(plans, payloads, states) -> (plans, Linked)``: change the plans before
  they are written (the Salesforce target folds resolved lookups into the record's own
  write);
* ``after_write(plans, write, payloads, states) -> Linked``: work that needs the new
  destination ids (HubSpot associations; the write-back of Salesforce ids to HubSpot).
  It may add to ``write.refused`` / ``write.settled`` before the ledger commits. A hook
  stopped by a quota (:class:`~crm_sync.http.QuotaExhausted`) leaves ``write`` telling
  what it could not do (the write-back dead-letters the ids it did not write): the leg
  commits the batch first and raises the stop after, so nothing written is forgotten;
* ``after_stop``: the same hook for the part of a batch a quota stopped half-way that
  reached the destination (the Salesforce target's write-back: HubSpot's quota is not
  the one used up); without it that part is committed as written, nothing more.

Both return :class:`Linked`: associations parked as pending, made, and base updates.

:meth:`MappedLeg.process` is :meth:`MappedLeg.plan` (read, ledger, reconcile) then
:meth:`MappedLeg.write` (write, hooks, commit); a target that overlaps the writes of one
batch with the planning of the next calls the two halves on different threads, and
passes ``report_lock`` since both halves update the run report.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from crm_sync.convert.codec import read_datetime
from crm_sync.http import QuotaExhausted
from crm_sync.reconcile import (
    Action,
    Base,
    LedgerState,
    RecordPlan,
    RunReport,
    SkipReason,
    SourceRecord,
)
from crm_sync.sync.annotations import ERRORS, PARTIAL, WARNINGS, StreamMapping
from crm_sync.sync.batch import (
    BatchWrite,
    Destination,
    RefusedRecord,
    WriteStopped,
    jsonable,
    latest_per_id,
    reconcile_batch,
)
from crm_sync.sync.crash import AFTER_DESTINATION_WRITE, crash_point
from crm_sync.vocabulary import RecordError

if TYPE_CHECKING:
    from crm_sync.sync.ledger import AssociationRef, SyncLedger

LOGGER = logging.getLogger(__name__)
DELETED_AT = "_sdc_deleted_at"
DESTINATION_ID = "_crm_destination_id"


class HookStopped(QuotaExhausted):
    """A quota stop in an ``after_write`` hook after part of its work: ``linked`` is what
    the hook did before it (associations made or parked), committed with the batch."""

    def __init__(self, stop: QuotaExhausted, linked: Linked) -> None:
        super().__init__(str(stop), stop.response)
        self.linked = linked


class Linked(NamedTuple):
    """Associations/lookups of a batch: parked (pending), made, base updates, and held
    (both ends synced, kept back to fill the next association batch; parked meanwhile)."""

    pending: list[AssociationRef]
    made: list[AssociationRef]
    bases: dict[str, Base]
    held: Sequence[AssociationRef] = ()


NOTHING_LINKED = Linked([], [], {})

BeforeWrite = Callable[
    [list[RecordPlan], Mapping[str, Mapping[str, Any]], Mapping[str, LedgerState]],
    tuple[list[RecordPlan], Linked],
]
AfterWrite = Callable[
    [
        Sequence[RecordPlan],
        BatchWrite,
        Mapping[str, Mapping[str, Any]],
        Mapping[str, LedgerState],
    ],
    Linked,
]


@dataclass(slots=True)
class PlannedBatch:
    """A reconciled batch waiting for its write: what :meth:`MappedLeg.write` needs."""

    plans: list[RecordPlan]
    payloads: dict[str, Mapping[str, Any]]
    states: dict[str, LedgerState]
    unconvertible: list[RefusedRecord]
    """Records the mapper could not convert: dead letters, committed with the batch."""


def conversion_error(record: Mapping[str, Any]) -> RecordError:
    """The mapper's ``_crm_errors`` of a record as one typed error naming the fields."""
    problems = [e for e in record.get(ERRORS) or () if isinstance(e, Mapping)]
    return RecordError(
        "CONVERSION_ERROR",
        "; ".join(f"{e.get('field')}: {e.get('message')}" for e in problems),
        tuple(str(e["field"]) for e in problems if e.get("field")),
    )


class MappedLeg:
    """Reconciles, writes and records the batches of one mapped stream."""

    def __init__(
        self,
        stream_name: str,
        mapping: StreamMapping,
        ledger: SyncLedger,
        report: RunReport,
        *,
        dry_run: bool,
        stamp_seen: bool = False,
        use_destination_hints: bool = False,
        check_keys: bool = False,
        report_lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.stream_name = stream_name
        self.mapping = mapping
        self.name = mapping.policy.name
        self.direction = mapping.direction
        self.ledger = ledger
        self.report = report
        self.dry_run = dry_run
        self.stamp_seen = stamp_seen
        """Stamp the leg's open dead letters of each batch's records as seen in this run
        (:meth:`SyncSink.retry_dead_letters` then skips them); needless when the leg had
        none at the start of the run: a letter refused in it carries the run id itself."""
        self.use_destination_hints = use_destination_hints
        """Read the twin a record names in ``_crm_destination_id`` when it is not linked."""
        self.check_keys = check_keys
        """Check that a linked destination record carries its source id on the key
        property (``mapping.id_property``); one that does not is updated by its own id
        (:func:`~crm_sync.sync.batch.keyed`). For a destination that upserts by that key."""
        self.report_lock: AbstractContextManager[Any] = report_lock or nullcontext()

    def source_record(self, record: Mapping[str, Any]) -> SourceRecord:
        """The reconciler's view of one mapped record."""
        mapping = self.mapping
        source_id = record.get(mapping.source_id_field)
        if source_id in (None, ""):
            raise ValueError(
                f"stream {self.stream_name!r}: record without {mapping.source_id_field!r}:"
                f" {dict(record)!r:.300}"
            )
        modified = record.get(mapping.modified_field) if mapping.modified_field else None
        return SourceRecord(
            id=str(source_id),
            values=record,  # the reconciler reads the mapping's fields only: no copy of them
            modified_at=read_datetime(modified),
            deleted_at=read_datetime(record.get(DELETED_AT)),
            native=record.get("_crm_source_values") or None,
            partial=bool(record.get(PARTIAL)),
        )

    def process(
        self,
        raw: Sequence[Mapping[str, Any]],
        destination: Destination,
        *,
        before_write: BeforeWrite | None = None,
        after_write: AfterWrite | None = None,
        after_stop: AfterWrite | None = None,
    ) -> BatchWrite | None:
        """Reconcile, write and commit one batch; None on a dry run (nothing written)."""
        planned = self.plan(raw, destination)
        if self.dry_run:
            if before_write is not None:  # lookups folded into the writes (Salesforce)
                self.plan_lookups(planned, before_write)
            else:
                self.plan_associations(planned)
            return None
        return self.write(
            planned,
            destination,
            before_write=before_write,
            after_write=after_write,
            after_stop=after_stop,
        )

    def plan(self, raw: Sequence[Mapping[str, Any]], destination: Destination) -> PlannedBatch:
        """Turn a batch into plans: source records, the ledger, the destination's values."""
        payloads: dict[str, Mapping[str, Any]] = {}
        records: list[SourceRecord] = []
        unconvertible: list[RefusedRecord] = []
        for item in raw:
            record = self.source_record(item)
            payloads[record.id] = item
            warnings = item.get(WARNINGS)
            left_out = [w for w in warnings if isinstance(w, Mapping)] if warnings else ()
            if left_out:
                with self.report_lock:
                    self.report.fields_left_out.update(str(w.get("code")) for w in left_out)
            if item.get(ERRORS):  # the mapper could not convert a value: dead letter
                plan = RecordPlan(self.name, self.direction, record.id, None, Action.SKIP)
                unconvertible.append(RefusedRecord(plan, jsonable(item), conversion_error(item)))
                with self.report_lock:
                    self.report.counts.read += 1
                    self.report.counts.failed += 1
                continue
            records.append(record)
        records = latest_per_id(records)
        states = self.ledger.load(self.name, self.direction, [r.id for r in records])
        hints = None
        if self.use_destination_hints:
            hints = {
                r.id: str(payloads[r.id][DESTINATION_ID])
                for r in records
                if payloads[r.id].get(DESTINATION_ID)
            }
        with self.report_lock:
            reconciled = reconcile_batch(
                self.mapping.policy,
                self.direction,
                records,
                states,
                destination,
                self.report,
                hints,
                key_property=self.mapping.id_property if self.check_keys else None,
            )
        return PlannedBatch(reconciled.plans, payloads, states, unconvertible)

    def plan_associations(self, planned: PlannedBatch) -> None:
        """Dry run: count the associations the batch would make (the preview shows them).

        Every record the plan writes or keeps is counted as if written, so the count is
        what a real run makes or parks as pending for a related record not yet synced.
        """
        if not self.mapping.has_associations:
            return
        from crm_sync.sync.associations import AssociationDiff  # it builds on this module

        diff = AssociationDiff.of(
            self.name, planned.plans, BatchWrite(), planned.payloads, planned.states
        )
        with self.report_lock:
            self.report.counts.associations_made += len(diff.wanted)

    def plan_lookups(self, planned: PlannedBatch, before_write: BeforeWrite) -> None:
        """Dry run: count the lookups ``before_write`` would set (it counts those it
        folds into the writes) plus the ones it would park as pending, so the plan's
        ``associations_made`` is what the real run makes or parks; nothing is kept."""
        _, linked = before_write(planned.plans, planned.payloads, planned.states)
        with self.report_lock:
            self.report.counts.associations_made += len(linked.pending)

    @staticmethod
    def seen(planned: PlannedBatch) -> list[str]:
        """The source ids a batch stands for, to stamp on their dead letters.

        A partial record of a never-linked id (a refresh of a record whose create was
        refused) stands in for nothing: its dead letter is still retried this run.
        """
        partial = {p.source_id for p in planned.plans if p.skip_reason is SkipReason.PARTIAL}
        return [i for i in planned.payloads if i not in partial]

    def write(
        self,
        planned: PlannedBatch,
        destination: Destination,
        *,
        before_write: BeforeWrite | None = None,
        after_write: AfterWrite | None = None,
        after_stop: AfterWrite | None = None,
    ) -> BatchWrite:
        """Write a planned batch, run the hooks and commit it to the ledger in one go.

        A quota stop (of the destination's write, or of ``after_write``) is raised again
        once what the batch did is committed (see the module doc).
        """
        payloads, states = planned.payloads, planned.states
        plans, before = (
            before_write(planned.plans, payloads, states)
            if before_write
            else (planned.plans, NOTHING_LINKED)
        )
        try:
            write = destination.write([p for p in plans if p.writes], payloads)
        except WriteStopped as stopped:
            self._commit_stopped(planned, plans, stopped.done, after_stop)
            raise
        crash_point(AFTER_DESTINATION_WRITE)  # tests only: the window before the commit
        with self.report_lock:
            for refused in write.refused:
                self.report.failed(refused.plan)
        write.refused += planned.unconvertible
        write.settled = [p for p in plans if not p.writes and p.moves_ledger]
        stop: QuotaExhausted | None = None
        try:
            after = after_write(plans, write, payloads, states) if after_write else NOTHING_LINKED
        except QuotaExhausted as exc:  # the hook left in ``write`` what it could not do
            after, stop = exc.linked if isinstance(exc, HookStopped) else NOTHING_LINKED, exc
        bases = {p.source_id: p.base_after for p, _ in write.written if p.base_after}
        bases |= {p.source_id: p.base_after for p in write.settled if p.base_after}
        bases |= before.bases | after.bases
        self.ledger.commit(
            self.name,
            self.direction,
            write,
            bases=bases,
            pending=[*before.pending, *after.pending],
            made=[*before.made, *after.made],
            held=[*before.held, *after.held],
            run_id=self.report.run_id,
            seen=self.seen(planned) if self.stamp_seen else (),
        )
        if stop is not None:
            raise stop
        return write

    def _commit_stopped(
        self,
        planned: PlannedBatch,
        plans: Sequence[RecordPlan],
        done: BatchWrite,
        after_stop: AfterWrite | None,
    ) -> None:
        """A write stopped by the quota: keep what reached the destination, uncount the rest.

        The written records are committed with their new base. Associations made after
        the write (HubSpot's) are made by the next run, which finds the lookup missing from
        the base; lookups folded into the write (Salesforce's) are in that base already, so
        the next run sends nothing again for them (only the lookups it parks, those of
        records whose related record is not synced, are parked again by the next run:
        ``tests/target_salesforce_custom/test_quota_stops.py``). ``after_stop``
        sees only the plans that reached the destination or needed no write: a plan the
        stop kept from its write must stay as it was for the next run to write it.
        """
        reached = {p.source_id for p, _ in done.written} | {r.plan.source_id for r in done.refused}
        with self.report_lock:
            for refused in done.refused:
                self.report.failed(refused.plan)
            for plan in plans:
                if plan.writes and plan.source_id not in reached:
                    self.report.unwritten(plan)
        after = NOTHING_LINKED
        if after_stop is not None:
            kept = [p for p in plans if p.source_id in reached or not p.writes]
            try:
                after = after_stop(kept, done, planned.payloads, planned.states)
            except QuotaExhausted as again:  # the hook left in ``done`` what it could not do
                LOGGER.debug("the stopped batch's last step stopped too: %s", again)
        bases = {p.source_id: p.base_after for p, _ in done.written if p.base_after}
        bases |= {p.source_id: p.base_after for p in done.settled if p.base_after}
        self.ledger.commit(
            self.name,
            self.direction,
            done,
            bases=bases | after.bases,
            pending=after.pending,
            made=after.made,
            run_id=self.report.run_id,
        )

    def unplan(self, planned: PlannedBatch) -> None:
        """A planned batch the run stopped before writing: uncount its writes."""
        with self.report_lock:
            for plan in planned.plans:
                if plan.writes:
                    self.report.unwritten(plan)


def finish_report(
    report: RunReport,
    ledger: SyncLedger,
    *,
    dry_run: bool,
    api_calls: int,
    pending_of: StreamMapping | None = None,
    quota_left: int | None = None,
) -> RunReport:
    """Close a stream's run report: calls, pending associations, the ledger's run log."""
    report.counts.api_calls = api_calls
    report.quota_left = quota_left
    if pending_of is not None and not dry_run:
        report.counts.associations_pending = ledger.store.count_pending(
            pending_of.policy.name, pending_of.direction
        )
    report.finish()
    if not dry_run:
        ledger.log_run(report)
    return report


def refusal_text(error: RecordError, log_values: bool = False) -> str:
    """A refusal as logs show it: the code and fields; the vendor's message (which may
    quote the refused value) only with ``log_values``."""
    if log_values:
        return str(error)[:500]
    return f"{error.code} [{', '.join(error.fields)}]" if error.fields else error.code


def warn_refused(
    logger: logging.Logger,
    mapping: str,
    destination: str,
    write: BatchWrite,
    attempted: int,
    *,
    log_values: bool = False,
) -> None:
    """Say loudly, with a sample error, that records of a batch went to the dead letters.

    A run that only counts ``failed`` hides why; the reason must be in the log (its code
    and fields; the message, which may quote a value, only with ``log_values``).
    """
    refused = [r for r in write.refused if r.plan.action is not Action.SKIP]
    unconvertible = [r for r in write.refused if r.plan.action is Action.SKIP]
    if refused:
        codes = Counter(r.error.code for r in refused)
        logger.warning(
            "%s: %s refused %d of %d record(s) of this batch (kept in the ledger's dead "
            "letters, retried next run): %s; e.g. %s: %s",
            mapping,
            destination,
            len(refused),
            attempted,
            ", ".join(f"{code} {n}" for code, n in codes.most_common()),
            refused[0].plan.source_id,
            refusal_text(refused[0].error, log_values),
        )
    if unconvertible:
        logger.warning(
            "%s: %d record(s) of this batch could not be converted by the mapper (dead "
            "letters); e.g. %s: %s",
            mapping,
            len(unconvertible),
            unconvertible[0].plan.source_id,
            refusal_text(unconvertible[0].error, log_values),
        )
