"""The ledger's queue of id write-backs not made yet (``pending_write_back``).

A target that writes destination ids back to the source (:mod:`crm_sync.sync.writeback`)
queues them with the batch that made the records, in that batch's transaction
(:meth:`crm_sync.ledger.LedgerBatch.queue_write_back`), then writes them once enough wait
to fill one Bulk job, and drops each row the source API answered for
(:meth:`~crm_sync.ledger.LedgerBatch.drop_answered_write_backs`) only while it still
holds the id pair that was written: a record queued again meanwhile with another
destination id (its destination record replaced while the page was in flight) keeps its
newer row. Reads and deletes go by ``uq_pending_write_back`` (mapping, direction,
source_id): index probes, a statement a page (see :func:`_holds_pair` for PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from sqlalchemy import ARRAY, Connection, Engine, String, and_, bindparam, delete, func, select
from sqlalchemy import tuple_ as pair_of

from crm_sync.ledger.bulk import BulkStatement, InQuery, ListBinds
from crm_sync.ledger.models import PendingWriteBackRow
from crm_sync.ledger.upsert import chunked
from crm_sync.ledger.writes import one_of, upsert_statement
from crm_sync.vocabulary import Direction

__all__ = [
    "PendingWriteBack",
    "count_write_backs",
    "delete_answered_write_backs",
    "delete_write_backs",
    "insert_write_backs",
    "queued_write_backs",
    "write_back_pages",
]

_TABLE = PendingWriteBackRow.__table__


class PendingWriteBack(NamedTuple):
    """One destination id waiting to be written into its source record's id field (a
    named tuple: a first import reads one per record)."""

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
            page = list(map(PendingWriteBack._make, connection.execute(query)))
        if not page:
            return
        yield page
        after = page[-1].source_id


_QUEUE = upsert_statement(
    _TABLE,
    ("mapping", "direction", "source_id", "destination_id", "created_at"),
    ["mapping", "direction", "source_id"],
    lambda ex, _t: {"destination_id": ex.destination_id},
)
_DROP = BulkStatement(
    ("mapping", "direction", "source_id"),
    lambda dialect: delete(_TABLE).where(
        _TABLE.c.mapping == bindparam("mapping"),
        _TABLE.c.direction == bindparam("direction"),
        one_of(dialect, _TABLE.c.source_id, "source_id"),
    ),
    arrays=1,
)


def _queued(lists: ListBinds) -> Any:
    return select(_TABLE.c.source_id, _TABLE.c.destination_id).where(
        _TABLE.c.mapping == bindparam("mapping"),
        _TABLE.c.direction == bindparam("direction"),
        _TABLE.c.source_id.in_(lists["ids"]),
    )


_QUEUED = InQuery(_queued)


def queued_write_backs(
    engine: Engine, mapping: str, direction: Direction, source_ids: Iterable[str]
) -> dict[str, str]:
    """Source id -> the destination id queued for it now, of those of ``source_ids`` that
    wait (index probes, a chunk of ids a query)."""
    found: dict[str, str] = {}
    named = {"mapping": mapping, "direction": direction.value}
    with engine.connect() as connection:
        for chunk in chunked(list(dict.fromkeys(source_ids))):
            found.update(_QUEUED.rows(connection, named, {"ids": chunk}))
    return found


def _holds_pair(dialect: str) -> Any:
    """The row holds ``(:source_id, :destination_id)``; on PostgreSQL one of the pairs of
    two arrays zipped (``unnest``), so a page goes as one statement. Its plan (PostgreSQL
    15, 200,000 rows queued): a page of 100 probes ``uq_pending_write_back`` once a pair;
    a page of 10,000, a twentieth of the queue, is hash-joined to one scan of it."""
    if dialect != "postgresql":
        return and_(
            _TABLE.c.source_id == bindparam("source_id"),
            _TABLE.c.destination_id == bindparam("destination_id"),
        )
    pairs = (
        func.unnest(
            bindparam("source_id", type_=ARRAY(String())),
            bindparam("destination_id", type_=ARRAY(String())),
        )
        .table_valued("source_id", "destination_id")
        .render_derived()
    )
    return pair_of(_TABLE.c.source_id, _TABLE.c.destination_id).in_(
        select(pairs.c.source_id, pairs.c.destination_id)
    )


_DROP_ANSWERED = BulkStatement(
    ("mapping", "direction", "source_id", "destination_id"),
    lambda dialect: delete(_TABLE).where(
        _TABLE.c.mapping == bindparam("mapping"),
        _TABLE.c.direction == bindparam("direction"),
        _holds_pair(dialect),
    ),
    arrays=2,
)


def insert_write_backs(
    connection: Connection, rows: Mapping[tuple[str, str, str], str], created_at: Any
) -> None:
    """Queue ``(mapping, direction, source_id) -> destination_id``; a record queued again
    gets its newer id. ``created_at`` as the column stores it
    (:func:`~crm_sync.ledger.models.stamp_binder`)."""
    _QUEUE.run(connection, [(m, d, s, i, created_at) for (m, d, s), i in rows.items()])


def delete_write_backs(connection: Connection, keys: Iterable[tuple[str, str, str]]) -> None:
    """Drop the queued rows of ``(mapping, direction, source_id)``, whatever id they hold
    (index probes)."""
    _DROP.run(connection, list(keys))


def delete_answered_write_backs(
    connection: Connection, rows: Iterable[tuple[str, str, str, str]]
) -> None:
    """Drop the queued rows of ``(mapping, direction, source_id, destination_id)`` that
    still hold that destination id: a row queued again with another one stays."""
    _DROP_ANSWERED.run(connection, list(rows))
