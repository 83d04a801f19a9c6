"""The ledger's queue of id write-backs not made yet (``pending_write_back``).

A target that writes destination ids back to the source (:mod:`crm_sync.sync.writeback`)
queues them with the batch that made the records, in that batch's transaction
(:meth:`crm_sync.ledger.LedgerBatch.queue_write_back`), then writes them once enough wait
to fill one Bulk job, and drops each row the source API answered for
(:meth:`~crm_sync.ledger.LedgerBatch.drop_write_backs`). Reads and deletes go by
``uq_pending_write_back`` (mapping, direction, source_id): index probes, never a scan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, func, select

from crm_sync.ledger.models import PendingWriteBackRow
from crm_sync.ledger.upsert import chunked, upsert
from crm_sync.vocabulary import Direction

__all__ = [
    "PendingWriteBack",
    "count_write_backs",
    "delete_write_backs",
    "insert_write_backs",
    "write_back_pages",
]

_TABLE = PendingWriteBackRow.__table__


@dataclass(frozen=True, slots=True)
class PendingWriteBack:
    """One destination id waiting to be written into its source record's id field."""

    source_id: str
    destination_id: str


def count_write_backs(engine: Engine, mapping: str, direction: Direction) -> int:
    """How many write-backs of a leg wait."""
    query = select(func.count()).where(
        _TABLE.c.mapping == mapping, _TABLE.c.direction == direction.value
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def write_back_pages(
    engine: Engine, mapping: str, direction: Direction, size: int
) -> Iterator[list[PendingWriteBack]]:
    """A leg's waiting write-backs, ``size`` at a time, by source id (keyset on the
    unique index, so a page the caller dropped meanwhile is not read again)."""
    after = ""
    while True:
        query = (
            select(_TABLE.c.source_id, _TABLE.c.destination_id)
            .where(
                _TABLE.c.mapping == mapping,
                _TABLE.c.direction == direction.value,
                _TABLE.c.source_id > after,
            )
            .order_by(_TABLE.c.source_id)
            .limit(size)
        )
        with engine.connect() as connection:
            page = [PendingWriteBack(s, d) for s, d in connection.execute(query)]
        if not page:
            return
        yield page
        after = page[-1].source_id


def insert_write_backs(
    connection: Connection, rows: Mapping[tuple[str, str, str], str], now: datetime
) -> None:
    """Queue ``(mapping, direction, source_id) -> destination_id``; a record queued again
    gets its newer id."""
    upsert(
        connection,
        _TABLE,
        (
            {"mapping": m, "direction": d, "source_id": s, "destination_id": i, "created_at": now}
            for (m, d, s), i in rows.items()
        ),
        ["mapping", "direction", "source_id"],
        lambda ex, _t: {"destination_id": ex.destination_id},
    )


def delete_write_backs(connection: Connection, keys: Iterable[tuple[str, str, str]]) -> None:
    """Drop the queued rows of ``(mapping, direction, source_id)``."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for mapping, direction, source_id in keys:
        groups[(mapping, direction)].append(source_id)
    for (mapping, direction), ids in groups.items():
        for chunk in chunked(sorted(set(ids))):
            connection.execute(
                delete(_TABLE).where(
                    _TABLE.c.mapping == mapping,
                    _TABLE.c.direction == direction,
                    _TABLE.c.source_id.in_(chunk),
                )
            )
