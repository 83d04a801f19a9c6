"""Write the destination's new record ids back to the source's id field, after a batch.

Each leg upserts by a key that holds the other side's id: the forward leg by HubSpot's
``salesforce_id``, the reverse leg by Salesforce's ``HubSpot_Id__c``. A record a leg
creates gets the new id in the other side's key only if the leg writes it back to its
source record, so both targets do the same after each batch (their ``after_write``
hook, :class:`~crm_sync.sync.leg.MappedLeg`): every written or linked record whose
payload (``_crm_destination_id``, the source's id field as the tap read it) does not
name its destination id yet gets it, in as few calls as the API allows.

A write-back the source API refuses puts the record in the dead letters with
``WRITE_BACK_FAILED``: the record was written, the letter stands only for its id. The
replay next run finds the destination unchanged and only repeats the write-back; once
that succeeds the letter is closed (the plan goes to ``write.settled``). A quota stop
(:class:`~crm_sync.http.QuotaExhausted`) dead-letters the ids it kept back the same way,
then raises once the batch is committed.

:class:`QueuedIdWriteBack` (the forward leg) writes nothing after a batch: it queues the
ids in the ledger with the batch (``pending_write_back``, the same transaction that links
the records, so a kill loses none, although the tap will not read those records again)
and writes them once ``flush_at`` wait, across batches, as one Bulk job, the rest at the
end of the run; a record read again with its id field set drops its queued row. Given an
executor, the full pages are written there, beside the next batches (a Bulk job takes
seconds to minutes against a real org): only the writer's thread reads and writes the
ledger, so a later :meth:`~QueuedIdWriteBack.flush_due` records the job's answers once it
has finished and starts the next; the rows stay queued until then, and go only while they
hold the id pair the job wrote: a record queued again with a newer id meanwhile (its
destination record replaced within the run) keeps its row, and its source gets the newest
id from a later page. What an
earlier run left queued (a kill, a quota stop) goes first, at the start of the next run
(:meth:`QueuedIdWriteBack.flush_earlier`), before its batches queue more: a run that
fails early still delivers those ids. A row goes when the source answered for it; a
refused one becomes the same ``WRITE_BACK_FAILED`` dead letter, except for a source
record that no longer exists: its letter (``WRITE_BACK_SOURCE_GONE``) is closed at once,
not replayed; a quota stop leaves the rest queued for the next run. The queue keeps only
the id pair: a refused record's dead letter is rebuilt from the linked pair's base
(:func:`letter_payload`), which the replay finds equal to the destination, so it only
repeats the write-back.

A leg's subclass says how ids are written (:meth:`IdWriteBack.write_ids`). The write-back
moves the source record's modification time (Salesforce ``SystemModstamp``), so its tap
reads the record again next run: the leg's three-way merge finds every mapped value
equal to the base and the payload naming the id, so that echo costs no write.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crm_sync.http import QuotaExhausted
from crm_sync.reconcile import Action, LedgerState, RecordPlan
from crm_sync.sync.annotations import PARTIAL, SOURCE_ID
from crm_sync.sync.associations import ASSOC_KEY
from crm_sync.sync.batch import BatchWrite, RefusedRecord, jsonable
from crm_sync.sync.crash import BEFORE_WRITE_BACK_FLUSH, WRITE_BACK_ANSWERED, crash_point
from crm_sync.sync.leg import DESTINATION_ID, NOTHING_LINKED, Linked
from crm_sync.vocabulary import WRITE_BACK_FAILED, WRITE_BACK_SOURCE_GONE, Direction, RecordError

if TYPE_CHECKING:
    from crm_sync.sync.ledger import SyncLedger

log = logging.getLogger(__name__)

Items = Sequence[tuple[str, str]]
"""(source id, destination id) of the write-backs to make."""
Refusals = dict[str, RecordError]
"""Source id → why its write-back was not made."""
Answer = tuple[Items, Refusals, QuotaExhausted | None]
"""One page written: its items, the refused ones, the quota stop that came (if one did)."""


STOPPED = "WRITE_BACK_STOPPED"
"""The code of a write-back a quota stop kept back (:func:`stopped`)."""


def stopped(items: Items, stop: QuotaExhausted) -> Refusals:
    """The write-backs a quota stop kept back, as refusals naming the stop."""
    return {source_id: RecordError(STOPPED, str(stop)) for source_id, _ in items}


def letter_payload(
    source_id: str, state: LedgerState | None, direction: Direction, source_id_field: str
) -> dict[str, Any]:
    """A refused queued write-back's dead letter: the record as the linked pair's base
    holds it (the mapper's shape: destination names, the source's own values in
    ``_crm_source_values``) with its id field blank, so the replay plans it unchanged
    and writes the id back again. Associations are left out: the replay keeps them."""
    base = (state.base if state is not None else None) or {}
    written = base.get(direction.destination.value) or {}
    native = base.get(direction.source.value) or {}
    payload = {k: v for k, v in written.items() if not k.startswith(ASSOC_KEY)}
    payload |= {source_id_field: source_id, DESTINATION_ID: None}
    if native:
        payload["_crm_source_values"] = dict(native)
    return payload


def _in_write(write: BatchWrite) -> set[str]:
    """Source ids the batch already wrote or settled (a write-back of any other closes a
    dead letter of an earlier failure, so its plan goes to ``write.settled``)."""
    return {p.source_id for p, _ in write.written} | {p.source_id for p in write.settled}


class IdWriteBack(ABC):
    """Writes destination ids to one source object's id field (see the module doc).

    ``needs_key`` (the forward leg): write back only into an id field the payload carries
    and finds blank. A record read without it (a partial refresh, a catalog that deselected
    the field) is not written again on every run; one holding another record's id keeps
    it, since the other leg upserts by that key (overwriting it would make that leg create
    a second record for the one it names).
    """

    def __init__(self, id_field: str, where: str, *, needs_key: bool = False) -> None:
        self.id_field = id_field
        self.where = where
        """The source object, for logs (``Account``, ``companies``)."""
        self.needs_key = needs_key
        self.written = 0

    @abstractmethod
    def write_ids(self, items: Items) -> tuple[Refusals, QuotaExhausted | None]:
        """Write ``items`` to the source; the refused ones, and a quota stop if one came
        (the items it kept back are among the refusals, see :func:`stopped`)."""

    def wanted(
        self,
        plans: Sequence[RecordPlan],
        write: BatchWrite,
        payloads: Mapping[str, Mapping[str, Any]],
    ) -> dict[str, tuple[RecordPlan, str]]:
        """Source id → (plan, destination id) for records whose source lacks the id."""
        refused = {r.plan.source_id for r in write.refused}
        ids = {
            p.source_id: (p, p.destination_id)
            for p in plans
            if p.destination_id and p.action not in (Action.ARCHIVE, Action.SKIP)
        }
        ids |= {p.source_id: (p, d) for p, d in write.written if p.action is not Action.ARCHIVE}
        out: dict[str, tuple[RecordPlan, str]] = {}
        for source_id, (plan, dest_id) in ids.items():
            payload = payloads.get(source_id, {})
            if source_id in refused or not dest_id:
                continue
            if self.needs_key and (
                DESTINATION_ID not in payload or payload.get(PARTIAL) or payload[DESTINATION_ID]
            ):
                continue  # not read, or it holds an id already: another record's, leave it
            if str(payload.get(DESTINATION_ID) or "") != str(dest_id):
                out[source_id] = (plan, str(dest_id))
        return out

    def after_write(
        self,
        plans: Sequence[RecordPlan],
        write: BatchWrite,
        payloads: Mapping[str, Mapping[str, Any]],
        states: Mapping[str, LedgerState],
    ) -> Linked:
        """Write the ids; refused ones become dead letters (see the module doc).

        A quota stop dead-letters the ids it kept back, then raises (the leg commits
        ``write`` first).
        """
        wanted = self.wanted(plans, write, payloads)
        if not wanted:
            return NOTHING_LINKED
        items = [(source_id, dest_id) for source_id, (_, dest_id) in wanted.items()]
        refusals, stop = self.write_ids(items)
        in_write = _in_write(write)
        for source_id, (plan, dest_id) in wanted.items():
            if source_id in refusals:
                error = self.failure(dest_id, refusals[source_id])
                write.refused.append(RefusedRecord(plan, jsonable(payloads[source_id]), error))
            else:
                self.written += 1
                if source_id not in in_write:
                    write.settled.append(plan)  # closes a dead letter of an earlier failure
        if refusals:
            self.warn_refused(len(refusals), len(items), stop, "kept as dead letters")
        if stop is not None:
            raise stop
        return NOTHING_LINKED

    def failure(self, dest_id: str, why: RecordError) -> RecordError:
        """A refused write-back as its dead letter's error; ``WRITE_BACK_SOURCE_GONE`` for a
        source record that no longer exists (closed at once, see the module doc)."""
        if why.code == WRITE_BACK_SOURCE_GONE:
            text = f"{why.message}; the {self.where} record no longer exists, nothing to write"
            return RecordError(WRITE_BACK_SOURCE_GONE, f"{self.id_field}={dest_id}: {text}",
                               (self.id_field,))  # fmt: skip
        return RecordError(WRITE_BACK_FAILED, f"{self.id_field}={dest_id}: {why}", (self.id_field,))

    def warn_refused(
        self, refused: int, tried: int, stop: QuotaExhausted | None, kept: str
    ) -> None:
        log.warning(
            "%s %d of %d id write-back(s) to %s.%s; %s, written by the next run",
            "quota stop: not written" if stop is not None else "refused",
            refused,
            tried,
            self.where,
            self.id_field,
            kept,
        )


@dataclass(frozen=True)
class InFlight:
    """Pages of queued write-backs being written by the background executor.

    Their rows stay queued in the ledger until the writer's thread records the answers
    (a kill meanwhile leaves them to the next run: writing an id twice is harmless); no
    other page is read until then, so no row goes twice within a run.
    """

    pages: Sequence[Items]
    future: Future[list[Answer]]


class QueuedIdWriteBack(IdWriteBack):
    """Queues write-backs in the ledger and writes them ``flush_at`` at a time, across
    batches (see the module doc).

    Once the run holds the mapping, before its first batch, the sink calls
    :meth:`flush_earlier` (an earlier run's leftovers); after each committed batch
    :meth:`flush_due`; at the end of the run :meth:`flush` writes whatever waits. All
    three run on the thread that commits the batches; with a ``background`` executor
    only the API calls of :meth:`flush_due`'s pages run elsewhere (:class:`InFlight`).
    """

    def __init__(
        self,
        id_field: str,
        where: str,
        *,
        ledger: SyncLedger,
        mapping: str,
        direction: Direction,
        flush_at: int,
        run_id: str | None = None,
        needs_key: bool = False,
        source_id_field: str = SOURCE_ID,
        background: Executor | None = None,
    ) -> None:
        super().__init__(id_field, where, needs_key=needs_key)
        self.background = background
        """Where :meth:`flush_due` writes its pages (one job at a time), beside the
        batches; None: on the caller's thread, which waits for the source's answers."""
        self.in_flight: InFlight | None = None
        """The background job :meth:`flush_due` started and no call recorded yet."""
        self.ledger = ledger
        self.mapping = mapping
        self.direction = direction
        self.flush_at = max(1, flush_at)
        self.run_id = run_id
        self.source_id_field = source_id_field
        """Where a dead letter's payload names the record (:func:`letter_payload`)."""
        self.waiting = ledger.waiting_write_backs(mapping, direction)
        """Queued rows, as far as this run knows (an earlier run's leftovers included)."""
        self.written_earlier: dict[str, str] = {}
        """Source id → destination id of the leftovers :meth:`flush_earlier` wrote. A
        killed run's records are read again when its STATE did not pass them, their id
        field still blank if the tap read them before that flush: they are not queued
        twice. At most what the earlier run left (about ``flush_at`` + a batch)."""

    def after_write(
        self,
        plans: Sequence[RecordPlan],
        write: BatchWrite,
        payloads: Mapping[str, Mapping[str, Any]],
        states: Mapping[str, LedgerState],
    ) -> Linked:
        """Queue the ids with the batch; a queued write-back settles the record's plan
        (it closes a dead letter of an earlier failure: the queue now holds the id).

        A record read with its id field set already has nothing left to write back:
        a row queued for it earlier (a run whose flush a quota stop held back, or a
        batch of this run) is dropped with the batch, not written once more, and never
        over another id the field holds now (see ``needs_key``).
        """
        if self.waiting:  # else no row can be queued for any of them
            write.write_backs_moot += [
                source_id
                for source_id, payload in payloads.items()
                if payload.get(DESTINATION_ID) and not payload.get(PARTIAL)
            ]
        wanted = self.wanted(plans, write, payloads)
        in_write = _in_write(write)
        queued = 0
        for source_id, (plan, dest_id) in wanted.items():
            if self.written_earlier.get(source_id) != dest_id:
                write.write_backs.append((source_id, dest_id))
                queued += 1
            if source_id not in in_write:
                write.settled.append(plan)
        self.waiting += queued
        return NOTHING_LINKED

    def flush_earlier(self) -> None:
        """Write what earlier runs left queued, before this run queues more.

        Those ids reach the source as early as possible, also when this run fails
        early. A quota stop here keeps them queued (logged); the end of the run, or
        the next run, tries again.
        """
        try:
            self._record_in_flight()  # none at the start of a run; never read twice
            self._flush(final=True, remember=True)
        except QuotaExhausted as stop:
            log.info("earlier write-backs to %s kept queued: %s", self.where, stop)

    def flush_due(self) -> None:
        """After a commit: write full Bulk-sized pages if at least ``flush_at`` wait.

        With a :attr:`background` executor the pages go as one job beside the batches
        (see :class:`InFlight`): this records a finished job's answers (and raises its
        failure or quota stop here) and starts the next due pages, never waiting for a
        job still running.
        """
        if self.background is None:
            if self.waiting >= self.flush_at:
                self.flush(final=False)
            return
        if self.in_flight is not None:
            if not self.in_flight.future.done():
                return
            self._record_in_flight()
        if self.waiting >= self.flush_at:
            self._start_pages()

    def flush(self, *, final: bool = True) -> None:
        """Write what waits: pages of ``flush_at``; the last, smaller page only when
        ``final``. A job in flight is waited for and recorded first. Raises a quota stop
        after recording what the source answered for."""
        self._record_in_flight()
        self._flush(final=final, remember=False)

    def _flush(self, *, final: bool, remember: bool) -> None:
        if not self.waiting:
            return
        crash_point(BEFORE_WRITE_BACK_FLUSH)  # tests only: ids queued, none written
        pages = self.ledger.write_back_pages(self.mapping, self.direction, self.flush_at)
        for page in pages:
            if len(page) < self.flush_at and not final:
                break
            self._write_page([(w.source_id, w.destination_id) for w in page], remember)
        self.waiting = 0 if final else self.ledger.waiting_write_backs(self.mapping, self.direction)

    def _start_pages(self) -> None:
        """Read the full pages that wait (on the ledger's thread) and hand them to the
        background executor as one job."""
        assert self.background is not None and self.in_flight is None
        crash_point(BEFORE_WRITE_BACK_FLUSH)  # tests only: ids queued, none written
        pages: list[Items] = []
        for page in self.ledger.write_back_pages(self.mapping, self.direction, self.flush_at):
            if len(page) < self.flush_at:
                break
            pages.append([(w.source_id, w.destination_id) for w in page])
        if not pages:  # rows dropped since they were counted (read again, id set)
            self.waiting = self.ledger.waiting_write_backs(self.mapping, self.direction)
            return
        self.waiting = max(0, self.waiting - sum(map(len, pages)))
        self.in_flight = InFlight(pages, self.background.submit(self._write_pages, pages))

    def _write_pages(self, pages: Sequence[Items]) -> list[Answer]:
        """The background job: each page's answers, up to the first quota stop (the
        pages after it are not tried; they stay queued). Touches no ledger."""
        answers: list[Answer] = []
        for items in pages:
            refusals, stop = self.write_ids(items)
            crash_point(WRITE_BACK_ANSWERED)  # tests only: written, not recorded
            answers.append((items, refusals, stop))
            if stop is not None:
                break
        return answers

    def _record_in_flight(self) -> None:
        """Wait for the job in flight, if any, and record its answers; its failure or
        quota stop is raised here (after recording what the source answered for)."""
        job, self.in_flight = self.in_flight, None
        if job is None:
            return
        for items, refusals, stop in job.future.result():  # the job's exception, raised here
            self._record_page(items, refusals, stop)
        self.waiting = self.ledger.waiting_write_backs(self.mapping, self.direction)

    def _write_page(self, items: Items, remember: bool = False) -> None:
        """Write one page and record what the source answered (:meth:`_record_page`);
        ``remember`` what was written in :attr:`written_earlier`."""
        refusals, stop = self.write_ids(items)
        if remember:
            self.written_earlier.update((i, d) for i, d in items if i not in refusals)
        self._record_page(items, refusals, stop)

    def _record_page(self, items: Items, refusals: Refusals, stop: QuotaExhausted | None) -> None:
        """Drop from the queue what the source answered for (refusals become dead
        letters), keep what a quota stop held back, then raise the stop.

        Only rows that still hold the pair written go, and only those are refused: a
        record queued again with another destination id while its page was in flight
        (that record replaced, within this run) keeps its newer row, written by a later
        page or :meth:`flush`, and a refusal of its old id is no dead letter. A page
        without refusals costs one statement; one with refusals a read of theirs.
        """
        held = {i for i, e in refusals.items() if e.code == STOPPED} if stop else set()
        answered = [(i, dest_id) for i, dest_id in items if i not in held]
        failed = {
            i: self.failure(dest_id, refusals[i])
            for i, dest_id in self._still_queued([p for p in answered if p[0] in refusals])
        }
        states = self.ledger.load(self.mapping, self.direction, list(failed)) if failed else {}
        letters = {
            i: (letter_payload(i, states.get(i), self.direction, self.source_id_field), error)
            for i, error in failed.items()
        }
        self.ledger.finish_write_backs(
            self.mapping, self.direction, answered, letters, run_id=self.run_id
        )
        self.written += len(items) - len(refusals)
        if refusals:
            kept_as = "kept queued" if stop is not None else "kept as dead letters"
            self.warn_refused(len(refusals), len(items), stop, kept_as)
        if stop is not None:
            raise stop

    def _still_queued(self, pairs: Items) -> Items:
        """Those of ``pairs`` the queue still holds (none queued again with another id)."""
        if not pairs:
            return []
        ids = [source_id for source_id, _ in pairs]
        queued = self.ledger.queued_write_backs(self.mapping, self.direction, ids)
        return [(i, dest_id) for i, dest_id in pairs if queued.get(i) == dest_id]
