"""The ledger operations a target needs, on top of the shared ledger (:mod:`crm_sync.ledger`).

:class:`SyncLedger` wraps one :class:`~crm_sync.ledger.LedgerStore` (``.store``) and
turns the store's per-record operations into the batch-level calls the targets make:
:meth:`SyncLedger.commit` writes a written batch (ids, bases, tombstones, dead letters,
associations) in one ``with store.batch() as uow`` transaction. It also keeps the
``mapping_object`` table (:mod:`crm_sync.sync.objects`), so a target knows the object of
a related mapping whose stream is not part of the run. :func:`open_ledger` opens one.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from crm_sync.ledger import (
    DeadLetter,
    LedgerBatch,
    LedgerStore,
    PendingAssociation,
    PendingReason,
    RunLogEntry,
)
from crm_sync.ledger.lock import MappingLocks
from crm_sync.ledger.writebacks import (
    PendingWriteBack,
    count_write_backs,
    queued_write_backs,
    write_back_pages,
)
from crm_sync.reconcile import Base, LedgerState, RunReport
from crm_sync.sync.accounts import LedgerAccounts
from crm_sync.sync.batch import BatchWrite
from crm_sync.sync.objects import MappedObject, MappingObjects
from crm_sync.sync.pending import explain_pending
from crm_sync.vocabulary import (
    WRITE_BACK_FAILED,
    WRITE_BACK_SOURCE_GONE,
    AssociationType,
    Direction,
    RecordError,
    Side,
)


@dataclass(frozen=True, slots=True)
class AssociationRef:
    """A lookup to make into an association, keyed by the two source ids."""

    mapping: str
    source_id: str
    to_mapping: str
    to_source_id: str
    association: AssociationType

    @property
    def lookup(self) -> str:
        """The lookup field the association comes from."""
        return self.association.lookup


class SyncLedger:
    """The sync ledger as the targets use it: batch-level calls on one store."""

    def __init__(self, store: LedgerStore) -> None:
        self.store = store
        self.objects = MappingObjects(store.engine)
        label = store.engine.url.render_as_string(hide_password=True)
        self.accounts = LedgerAccounts(store.engine, label)
        self.locks = MappingLocks(store.engine)

    def claim(self, mapping: str) -> None:
        """Hold ``mapping``'s lock until :meth:`close` (or process exit).

        Raises :class:`~crm_sync.ledger.lock.MappingLockedError` when another live run
        holds it: two runs of one mapping never interleave.
        """
        self.locks.acquire(mapping)

    @property
    def schema_version(self) -> int:
        """The ledger's schema version (after any upgrade on opening)."""
        return self.store.schema_version

    def close(self) -> None:
        self.locks.release_all()
        self.store.close()

    # ------------------------------------------------------------------ objects
    def remember_object(
        self, mapping: str, side: Side, object_name: str, object_type_id: str | None = None
    ) -> None:
        """Record which object ``mapping`` writes on ``side`` (learnt from its stream)."""
        self.objects.remember(MappedObject(mapping, side, object_name, object_type_id))

    def mapped_object(self, mapping: str, side: Side) -> MappedObject | None:
        """The object ``mapping`` was last seen writing on ``side``, if ever."""
        return self.objects.get(mapping, side)

    # ------------------------------------------------------------------ reads
    def load(
        self, mapping: str, direction: Direction, source_ids: Sequence[str]
    ) -> dict[str, LedgerState]:
        """Ledger state of the source ids it knows (linked or tombstoned), by source id."""
        view = self.store.load(mapping, direction, source_ids)
        src = direction.source
        return {
            i: view.state(i)
            for i in dict.fromkeys(source_ids)
            if i in view.records or (src, i) in view.tombstones
        }

    def destination_ids(
        self, mapping: str, direction: Direction, source_ids: Sequence[str]
    ) -> dict[str, str]:
        """Linked destination ids of live pairs (neither side tombstoned)."""
        return self.store.live_links(mapping, direction, source_ids)

    def associated_ids(
        self, mapping: str, direction: Direction, source_ids: Sequence[str]
    ) -> dict[str, str]:
        """Linked destination ids whose destination record was not deleted, the source
        record deleted or not: what an association made earlier still points at (a
        merged-away Salesforce account whose HubSpot company stayed)."""
        view = self.store.load(mapping, direction, source_ids)
        dst = direction.destination
        return {
            source_id: record.id_on(dst)
            for source_id, record in view.records.items()
            if (dst, record.id_on(dst)) not in view.tombstones
        }

    def dead_letters(self, mapping: str, direction: Direction) -> list[DeadLetter]:
        """Open dead letters of a leg, oldest first."""
        return self.store.dead_letters(mapping, direction)

    def dead_letters_to_replay(
        self, mapping: str, direction: Direction, run_id: str, size: int
    ) -> Iterator[list[DeadLetter]]:
        """Open dead letters of a leg whose record run ``run_id`` did not read, by pages."""
        return self.store.dead_letter_pages(mapping, direction, size, not_seen_in=run_id)

    def has_open_dead_letters(self, mapping: str, direction: Direction) -> bool:
        """Whether a leg has a dead letter waiting."""
        return self.store.has_open_dead_letters(mapping, direction)

    def pending_associations(
        self, mapping: str, direction: Direction = Direction.SF_TO_HS, limit: int | None = None
    ) -> list[AssociationRef]:
        """Pending associations of a mapping's leg (the forward leg unless told)."""
        return [
            AssociationRef(
                p.mapping, p.from_id, p.target_mapping, p.target_source_id, p.association
            )
            for p in self.store.pending_associations(mapping, direction, limit)
        ]

    def pending_lookups(
        self, mapping: str, direction: Direction, source_ids: Sequence[str]
    ) -> set[tuple[str, str]]:
        """``(source id, lookup)`` of the leg's pending associations held by ``source_ids``."""
        return self.store.pending_lookups(mapping, direction, source_ids)

    def pending_pages(
        self, mapping: str, direction: Direction, size: int
    ) -> Iterator[list[AssociationRef]]:
        """Pending associations of a mapping's leg, oldest first, ``size`` at a time."""
        for page in self.store.pending_pages(mapping, direction, size):
            yield [
                AssociationRef(
                    p.mapping, p.from_id, p.target_mapping, p.target_source_id, p.association
                )
                for p in page
            ]

    def waiting_write_backs(self, mapping: str, direction: Direction) -> int:
        """How many id write-backs of a leg wait in the queue."""
        return count_write_backs(self.store.engine, mapping, direction)

    def write_back_pages(
        self, mapping: str, direction: Direction, size: int
    ) -> Iterator[list[PendingWriteBack]]:
        """A leg's waiting write-backs, ``size`` at a time."""
        return write_back_pages(self.store.engine, mapping, direction, size)

    def queued_write_backs(
        self, mapping: str, direction: Direction, source_ids: Iterable[str]
    ) -> dict[str, str]:
        """Source id -> the destination id queued now, for those of ``source_ids`` that wait."""
        return queued_write_backs(self.store.engine, mapping, direction, source_ids)

    def finish_write_backs(
        self,
        mapping: str,
        direction: Direction,
        answered: Sequence[tuple[str, str]],
        refused: Mapping[str, tuple[Mapping[str, Any], RecordError]],
        *,
        run_id: str | None = None,
    ) -> None:
        """Drop the write-backs the source answered for (``(source_id, destination_id)``
        as written: a row queued again with another id stays), in one transaction with
        the dead letters (payload, error) of those it refused; a letter of a source
        record that no longer exists (``WRITE_BACK_SOURCE_GONE``) is closed at once: a
        replay could only be refused again."""
        with self.store.batch() as uow:
            uow.drop_answered_write_backs(mapping, direction, answered)
            for source_id, (payload, error) in refused.items():
                uow.dead_letter(mapping, direction, source_id, payload, error, run_id)
            gone = [i for i, (_, error) in refused.items() if error.code == WRITE_BACK_SOURCE_GONE]
            if gone:
                uow.resolve_dead_letters(mapping, direction, gone, code=WRITE_BACK_SOURCE_GONE)

    def runs(self, run_id: str | None = None, mapping: str | None = None) -> list[RunLogEntry]:
        """Run log entries, newest first."""
        return self.store.runs(run_id, mapping)

    def count_records(self, mapping: str | None = None) -> int:
        """How many record pairs are linked (per mapping or in all)."""
        return self.store.count_records(mapping)

    # ------------------------------------------------------------------ writes
    def commit(
        self,
        mapping: str,
        direction: Direction,
        write: BatchWrite,
        bases: Mapping[str, Base] | None = None,
        pending: Sequence[AssociationRef] = (),
        made: Sequence[AssociationRef] = (),
        *,
        held: Sequence[AssociationRef] = (),
        run_id: str | None = None,
        seen: Collection[str] = (),
    ) -> None:
        """Store a written batch in one transaction.

        Written plans are linked (with ``bases[source_id]`` overriding the plan's
        ``base_after`` when given) and their dead letters resolved; settled plans
        store their base and tombstones; refused records become dead letters;
        ``bases`` of records in neither list update the base of an existing link.
        A record both written and refused (its write-back of ids failed) keeps its
        dead letter open: a dead letter closes only once all it stands for is done.
        A plan written by destination id with the key it lacked (``key_missing``)
        completed the other leg's refused write-back: that ``WRITE_BACK_FAILED`` letter
        closes now.
        ``seen`` (the source ids the batch read) and the refused records' letters are
        stamped with ``run_id``, so the end of that run replays none of them.
        ``write.write_backs`` are queued (:mod:`crm_sync.ledger.writebacks`), the queued
        rows of ``write.write_backs_moot`` dropped.
        ``held`` are associations of two synced records a target keeps back to fill its
        next association batch: parked as :attr:`~PendingReason.HELD_FOR_BATCH`, so a
        run that stops before making them leaves them to the next run's end.
        """
        bases = dict(bases or {})
        linked_now = [p.source_id for p, _ in write.written] + [p.source_id for p in write.settled]
        why = explain_pending(self, mapping, direction, pending, written=linked_now)
        with self.store.batch() as uow:
            done: list[str] = []
            for plan, dest_id in write.written:
                uow.apply(plan, dest_id, base=bases.pop(plan.source_id, None))
                done.append(plan.source_id)
            for plan in write.settled:
                uow.apply(plan, base=bases.pop(plan.source_id, None))
                done.append(plan.source_id)
            if bases:
                self._relink(uow, mapping, direction, bases)
            refused_ids = {r.plan.source_id for r in write.refused}
            done = [i for i in done if i not in refused_ids]
            if done:
                uow.resolve_dead_letters(mapping, direction, done)
            closed = set(done)
            keyed = [d for p, d in write.written if p.key_missing and p.source_id in closed]
            if keyed:
                uow.resolve_dead_letters(mapping, direction.reverse, keyed, code=WRITE_BACK_FAILED)
            for refused in write.refused:
                uow.dead_letter(
                    mapping,
                    direction,
                    refused.plan.source_id,
                    refused.payload,
                    refused.error,
                    run_id,
                )
            if run_id is not None and seen:
                uow.mark_seen(mapping, direction, run_id, seen)
            for source_id, dest_id in write.write_backs:
                uow.queue_write_back(mapping, direction, source_id, dest_id)
            if write.write_backs_moot:
                uow.drop_write_backs(mapping, direction, write.write_backs_moot)
            if made:
                uow.resolve_pending(mapping, direction, [(r.source_id, r.lookup) for r in made])
            parked = [(ref, why[(ref.source_id, ref.lookup)]) for ref in pending]
            parked += [
                (ref, (PendingReason.HELD_FOR_BATCH, f"{ref.lookup} -> held to fill the next "
                       "association batch (both records are synced)"))
                for ref in held
            ]  # fmt: skip
            for ref, (reason, text) in parked:
                uow.add_pending(
                    PendingAssociation(
                        ref.mapping,
                        direction,
                        ref.source_id,
                        ref.association,
                        ref.to_mapping,
                        ref.to_source_id,
                        last_error=text,
                        reason=reason,
                    )
                )

    def _relink(
        self, uow: LedgerBatch, mapping: str, direction: Direction, bases: Mapping[str, Base]
    ) -> None:
        """New bases for already linked records (e.g. an association made, nothing else)."""
        src = direction.source
        linked = self.store.lookup(mapping, src, list(bases))
        for source_id, base in bases.items():
            other = linked.get(source_id)
            if other is None:
                continue
            ids = {src: source_id, src.other: other}
            uow.link(mapping, ids[Side.SALESFORCE], ids[Side.HUBSPOT], base=base)

    def log_run(self, report: RunReport) -> None:
        """Store a stream's run report in the run log (its ``run_id``, or a new one)."""
        if report.run_id is None:
            report.run_id = uuid.uuid4().hex
        with self.store.batch() as uow:
            uow.log_run(RunLogEntry.from_report(report.run_id, report))


def open_ledger(url: str | Path, **kwargs: Any) -> SyncLedger:
    """The shared ledger at ``url`` (SQLite path/URL or a PostgreSQL URL).

    A SQLite file's directory is created if missing (meltano.yml points the ledger at
    ``.meltano/crm-sync/`` of a fresh project).
    """
    text = str(url)
    if "://" in text:
        parsed = make_url(text)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return SyncLedger(LedgerStore(url, **kwargs))
