"""What the ledger says about each mapping: links, last run, pending, dead letters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from crm_sync.ledger import DeadLetter, LedgerStore, PendingAssociation, RunLogEntry
from crm_sync.ledger.models import DeadLetterRow
from crm_sync.ledger.writebacks import count_write_backs
from crm_sync.vocabulary import WRITE_BACK_SOURCE_GONE, Direction

NO_REASON = "unknown"
"""The reason shown for a pending association parked before reasons were recorded."""


def pending_reason(item: PendingAssociation) -> str:
    """A pending association's reason code (``target_refused`` ...)."""
    return item.reason.value if item.reason is not None else NO_REASON


@dataclass(frozen=True, slots=True)
class MappingStatus:
    """One mapping's figures, both legs together."""

    mapping: str
    linked: int
    last_run: RunLogEntry | None
    pending: list[PendingAssociation] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    last_per_leg: dict[Direction, RunLogEntry] = field(default_factory=dict)
    """Each leg's newest run log entry (a leg can run on its own, under its own run id)."""
    write_backs_waiting: int = 0
    """Ids queued for the source's id field, not written yet (the forward leg's)."""
    write_backs_gone: int = 0
    """Id write-backs settled without writing: the source record no longer existed
    (``WRITE_BACK_SOURCE_GONE`` dead letters, closed at once)."""

    @property
    def pending_by_reason(self) -> Counter[str]:
        return Counter(pending_reason(p) for p in self.pending)

    @property
    def dead_by_code(self) -> Counter[str]:
        return Counter(d.error.code for d in self.dead_letters)


def mapping_status(store: LedgerStore, mapping: str) -> MappingStatus:
    """The figures of ``mapping`` (open dead letters only)."""
    runs = store.runs(mapping=mapping)
    per_leg: dict[Direction, RunLogEntry] = {}
    for entry in runs:  # newest first
        per_leg.setdefault(entry.direction, entry)
    return MappingStatus(
        mapping,
        store.count_records(mapping),
        runs[0] if runs else None,
        [p for d in Direction for p in store.pending_associations(mapping, d)],
        [x for d in Direction for x in store.dead_letters(mapping, d)],
        per_leg,
        sum(count_write_backs(store.engine, mapping, d) for d in Direction),
        count_closed_gone(store, mapping),
    )


def count_closed_gone(store: LedgerStore, mapping: str) -> int:
    """``mapping``'s closed ``WRITE_BACK_SOURCE_GONE`` dead letters (see
    :data:`~crm_sync.vocabulary.WRITE_BACK_SOURCE_GONE`)."""
    table = DeadLetterRow.__table__
    query = select(func.count()).where(
        table.c.mapping == mapping,
        table.c.error_code == WRITE_BACK_SOURCE_GONE,
        table.c.resolved_at.is_not(None),
    )
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def ledger_status(store: LedgerStore, only: str | None = None) -> list[MappingStatus]:
    """Every mapping's figures (or only ``only``'s)."""
    names = [only] if only else store.mappings()
    return [mapping_status(store, name) for name in names]


@dataclass(frozen=True, slots=True)
class RunTotals:
    """One run's counters summed over its mappings and legs."""

    run_id: str
    started_at: str
    counts: dict[str, int]


def run_totals(entries: list[RunLogEntry], limit: int) -> list[RunTotals]:
    """The ``limit`` most recent runs, oldest first, counters summed per run."""
    order: list[str] = []
    started: dict[str, str] = {}
    sums: dict[str, Counter[str]] = {}
    for entry in sorted(entries, key=lambda e: e.started_at):
        if entry.run_id not in sums:
            order.append(entry.run_id)
            started[entry.run_id] = entry.started_at.isoformat(timespec="seconds")
            sums[entry.run_id] = Counter()
        sums[entry.run_id].update(entry.counts)
    return [RunTotals(r, started[r], dict(sums[r])) for r in order[-limit:]]
