"""Plain values the ledger hands out and takes in (no SQLAlchemy objects leak out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from crm_sync.ledger.models import RUN_COUNTERS
from crm_sync.reconcile import Counts, LedgerState, RunReport
from crm_sync.vocabulary import AssociationType, Direction, RecordError, Side

__all__ = [
    "DeadLetter",
    "LedgerView",
    "PendingAssociation",
    "PendingReason",
    "RunLogEntry",
    "SyncRecord",
]


@dataclass(frozen=True, slots=True)
class SyncRecord:
    """One linked record pair: ids, base snapshot, last-seen modification times."""

    mapping: str
    sf_id: str
    hs_id: str
    base: Mapping[str, Mapping[str, Any]] | None = None
    sf_modified_at: datetime | None = None
    hs_modified_at: datetime | None = None

    def id_on(self, side: Side) -> str:
        """The record's id on ``side``."""
        return self.sf_id if side is Side.SALESFORCE else self.hs_id

    def modified_on(self, side: Side) -> datetime | None:
        """The last seen modification time on ``side``."""
        return self.sf_modified_at if side is Side.SALESFORCE else self.hs_modified_at

    @classmethod
    def from_row(cls, row: Any) -> SyncRecord:
        return cls(
            row.mapping, row.sf_id, row.hs_id, row.base, row.sf_modified_at, row.hs_modified_at
        )


@dataclass(frozen=True, slots=True)
class LedgerView:
    """What :meth:`LedgerStore.load` found for a batch of one leg's source ids."""

    mapping: str
    direction: Direction
    records: Mapping[str, SyncRecord]
    """Linked pairs keyed by source id."""
    tombstones: Mapping[tuple[Side, str], datetime]
    """``(side, id) -> deleted_at`` for the batch's source ids and linked ids."""

    def destination_id(self, source_id: str) -> str | None:
        """The linked destination id, if any."""
        record = self.records.get(source_id)
        return record.id_on(self.direction.destination) if record else None

    def state(self, source_id: str) -> LedgerState:
        """The reconciler's view of one source record."""
        src, dst = self.direction.source, self.direction.destination
        record = self.records.get(source_id)
        destination_id = record.id_on(dst) if record else None
        return LedgerState(
            destination_id=destination_id,
            base=record.base if record else None,
            source_seen_at=record.modified_on(src) if record else None,
            destination_seen_at=record.modified_on(dst) if record else None,
            source_deleted_at=self.tombstones.get((src, source_id)),
            destination_deleted_at=(
                self.tombstones.get((dst, destination_id)) if destination_id else None
            ),
        )


class PendingReason(StrEnum):
    """Why an association is still pending (the ledger's ``pending_association.reason``)."""

    TARGET_NOT_SYNCED = "target_not_synced"
    """The related record is not synced yet (not read by its mapping so far)."""
    TARGET_REFUSED = "target_refused"
    """The related record was refused by the destination: it is a dead letter."""
    TARGET_MAPPING_NOT_RUN = "target_mapping_not_run"
    """The related mapping never ran with this ledger: disabled, unknown, or not in the job."""
    SOURCE_NOT_SYNCED = "source_not_synced"
    """The record holding the lookup is not linked itself (refused, or written later)."""
    NO_ASSOCIATION_TYPE = "no_association_type"
    """Both records are synced but the destination refused the association (no
    association type, or label, between the two objects)."""
    HELD_FOR_BATCH = "held_for_batch"
    """Both records are synced; the association waits to fill an association batch of
    100 with later ones (made later in the run, or at the end of the next run if this
    one stopped first)."""

    @property
    def meaning(self) -> str:
        """The reason in words, for logs and the ``crm-sync`` command."""
        return _MEANINGS[self]


_MEANINGS = {
    PendingReason.TARGET_NOT_SYNCED: "the related record is not synced yet",
    PendingReason.TARGET_REFUSED: "the related record was refused: a dead letter",
    PendingReason.TARGET_MAPPING_NOT_RUN: "the related mapping never ran with this ledger "
    "(disabled, unknown, or not in this job)",
    PendingReason.SOURCE_NOT_SYNCED: "the record holding the lookup is not synced itself",
    PendingReason.NO_ASSOCIATION_TYPE: "the destination refused the association (no "
    "association type or label between the two objects)",
    PendingReason.HELD_FOR_BATCH: "both records are synced; held to fill a batch of 100 "
    "associations (made later in the run, or by the next run if this one stopped)",
}


@dataclass(frozen=True, slots=True)
class PendingAssociation:
    """A lookup/association to make once its target record is synced."""

    mapping: str
    direction: Direction
    from_id: str
    association: AssociationType
    target_mapping: str
    target_source_id: str
    attempts: int = 0
    last_error: str | None = None
    reason: PendingReason | None = None
    """Why it waits; None only in rows written before schema version 3."""

    @property
    def lookup(self) -> str:
        """The lookup field the association comes from (its key in the mapping)."""
        return self.association.lookup

    @classmethod
    def from_row(cls, row: Any) -> PendingAssociation:
        return cls(
            row.mapping,
            Direction(row.direction),
            row.from_id,
            AssociationType(row.lookup, row.label, row.type_id, row.category),
            row.target_mapping,
            row.target_source_id,
            row.attempts,
            row.last_error,
            PendingReason(row.reason) if row.reason in _REASONS else None,
        )


_REASONS = frozenset(r.value for r in PendingReason)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record the destination refused, with its payload and error."""

    mapping: str
    direction: Direction
    source_id: str
    payload: Mapping[str, Any]
    error: RecordError
    attempts: int
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    repeats: int = 1
    """Refusals in a row with this same error."""

    @classmethod
    def from_row(cls, row: Any) -> DeadLetter:
        return cls(
            row.mapping,
            Direction(row.direction),
            row.source_id,
            row.payload,
            RecordError(row.error_code, row.message, tuple(row.error_fields or ())),
            row.attempts,
            row.first_seen,
            row.last_seen,
            row.resolved_at,
            row.repeats or 1,
        )


@dataclass(frozen=True, slots=True)
class RunLogEntry:
    """One run log row: a run's figures for one mapping and leg."""

    run_id: str
    mapping: str
    direction: Direction
    started_at: datetime
    finished_at: datetime | None = None
    dry_run: bool = False
    counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_report(cls, run_id: str, report: RunReport) -> RunLogEntry:
        """The run log row of a stream's :class:`RunReport`."""
        if report.direction is None:
            raise ValueError(f"{report.mapping}: a run report needs a direction to be logged")
        counts: Counts = report.counts
        return cls(
            run_id,
            report.mapping,
            report.direction,
            report.started_at,
            report.finished_at,
            report.dry_run,
            {name: getattr(counts, name) for name in RUN_COUNTERS},
        )

    def to_row(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "mapping": self.mapping,
            "direction": str(self.direction),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "dry_run": self.dry_run,
            **{name: int(self.counts.get(name, 0)) for name in RUN_COUNTERS},
        }

    @classmethod
    def from_row(cls, row: Any) -> RunLogEntry:
        return cls(
            row.run_id,
            row.mapping,
            Direction(row.direction),
            row.started_at,
            row.finished_at,
            bool(row.dry_run),
            {name: getattr(row, name) for name in RUN_COUNTERS},
        )
