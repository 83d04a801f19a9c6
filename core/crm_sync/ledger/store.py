"""The ledger store: batched reads, and a unit of work that writes a batch at once.

Hot path of a target, per batch: one :meth:`LedgerStore.load` (a SELECT per 500 ids
on the id map and one on the tombstones), reconcile, write to the destination, then
one ``with store.batch() as uow:`` whose operations are buffered in memory and
flushed on exit in a single transaction with executemany upserts. Nothing touches the
database per record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, and_, bindparam, case, delete, func, or_, select, update

from crm_sync.ledger.bulk import InQuery, ListBinds
from crm_sync.ledger.engine import (
    BUSY_TIMEOUT_S,
    create_ledger_engine,
    ensure_schema,
    json_text,
    write_connection,
)
from crm_sync.ledger.models import (
    RUN_COUNTERS,
    DeadLetterRow,
    PendingAssociationRow,
    RunLogRow,
    SyncRecordRow,
    TombstoneRow,
    stamp_binder,
    utcnow,
)
from crm_sync.ledger.records import (
    DeadLetter,
    LedgerView,
    PendingAssociation,
    RunLogEntry,
    SyncRecord,
)
from crm_sync.ledger.upsert import chunked, upsert
from crm_sync.ledger.writebacks import (
    delete_answered_write_backs,
    delete_write_backs,
    insert_write_backs,
)
from crm_sync.ledger.writes import (
    LINK,
    LINK_WITH_BASE,
    PENDING,
    PENDING_DROP,
    RESOLVE_LETTER,
    RESOLVE_LETTER_OF_CODE,
    SEEN_LETTER,
    UNPAIR,
)
from crm_sync.reconcile import Action, RecordPlan
from crm_sync.vocabulary import Direction, RecordError, Side

__all__ = ["LedgerBatch", "LedgerStore"]

_SIDE_COLUMN = {Side.SALESFORCE: SyncRecordRow.sf_id, Side.HUBSPOT: SyncRecordRow.hs_id}
_RECORDS = SyncRecordRow.__table__


def _records_by(side: Side) -> InQuery:
    """Id-map rows (as :class:`SyncRecord` fields) of a list of ``side`` ids."""
    return InQuery(
        lambda lists: select(
            _RECORDS.c.mapping, _RECORDS.c.sf_id, _RECORDS.c.hs_id, _RECORDS.c.base,
            _RECORDS.c.sf_modified_at, _RECORDS.c.hs_modified_at,
        ).where(_RECORDS.c.mapping == bindparam("mapping"), _SIDE_COLUMN[side].in_(lists["ids"]))
    )  # fmt: skip


_RECORDS_BY = {side: _records_by(side) for side in Side}
_STONE = TombstoneRow.__table__


def _stones(lists: ListBinds) -> Any:
    """Tombstones of a batch's source ids (side ``src``) and of their linked ids (``dst``)."""
    condition = and_(_STONE.c.side == bindparam("src"), _STONE.c.record_id.in_(lists["ids"]))
    if lists["linked"]:
        linked = and_(_STONE.c.side == bindparam("dst"), _STONE.c.record_id.in_(lists["linked"]))
        condition = or_(condition, linked)
    return (
        select(_STONE.c.side, _STONE.c.record_id, _STONE.c.deleted_at)
        .where(_STONE.c.mapping == bindparam("mapping"))
        .where(condition)
    )


_STONES = InQuery(_stones)


def _live_links(direction: Direction) -> InQuery:
    """Source id -> destination id of a list of source ids, neither side tombstoned."""
    src, dst = direction.source, direction.destination
    column, other = _SIDE_COLUMN[src], _SIDE_COLUMN[dst]
    stone = _STONE.alias("stone")

    def tombstoned(side: Side, record_id: Any) -> Any:
        return (
            select(stone.c.record_id)
            .where(
                stone.c.mapping == SyncRecordRow.mapping,
                stone.c.side == side.value,
                stone.c.record_id == record_id,
            )
            .exists()
        )

    return InQuery(
        lambda lists: select(column, other).where(
            SyncRecordRow.mapping == bindparam("mapping"),
            column.in_(lists["ids"]),
            ~tombstoned(src, column),
            ~tombstoned(dst, other),
        )
    )


_LIVE_LINKS = {direction: _live_links(direction) for direction in Direction}


class LedgerStore:
    """The sync ledger at a path (SQLite file) or any SQLAlchemy URL (PostgreSQL).

    Opening creates the schema if needed. Thread-safe and multi-process-safe: share
    one store per process; each batch is its own transaction.
    """

    def __init__(
        self, location: str | Path, *, busy_timeout: float = BUSY_TIMEOUT_S, echo: bool = False
    ) -> None:
        self.engine: Engine = create_ledger_engine(location, busy_timeout=busy_timeout, echo=echo)
        self.schema_version = ensure_schema(self.engine)

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def __enter__(self) -> LedgerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ reads

    def load(self, mapping: str, direction: Direction, source_ids: Iterable[str]) -> LedgerView:
        """Everything the reconciler needs about a batch of source records.

        Id map rows, bases and last-seen times keyed by source id, plus tombstones
        of those source ids and of their linked destination ids.
        """
        src, dst = direction.source, direction.destination
        ids = list(dict.fromkeys(source_ids))
        records: dict[str, SyncRecord] = {}
        stones: dict[tuple[Side, str], datetime] = {}
        named = {"mapping": mapping, "src": src.value, "dst": dst.value}
        with self.engine.connect() as connection:
            for chunk in chunked(ids):
                for row in _RECORDS_BY[src].rows(connection, named, {"ids": chunk}):
                    record = SyncRecord(*row)
                    records[record.id_on(src)] = record
                linked = [records[i].id_on(dst) for i in chunk if i in records]
                lists = {"ids": chunk, "linked": linked}
                for side, record_id, deleted_at in _STONES.rows(connection, named, lists):
                    stones[(Side(side), record_id)] = deleted_at
        return LedgerView(mapping, direction, records, stones)

    def live_links(
        self, mapping: str, direction: Direction, source_ids: Iterable[str]
    ) -> dict[str, str]:
        """Source id -> linked destination id, for pairs with neither side tombstoned.

        What :meth:`load` tells of the same ids, in one query a chunk that reads two
        columns (no base decoded): the association path asks it for the related
        records of every batch.
        """
        found: dict[str, str] = {}
        query = _LIVE_LINKS[direction]
        with self.engine.connect() as connection:
            for chunk in chunked(list(dict.fromkeys(source_ids))):
                found.update(query.rows(connection, {"mapping": mapping}, {"ids": chunk}))
        return found

    def lookup(self, mapping: str, side: Side, ids: Iterable[str]) -> dict[str, str]:
        """The other side's id for each linked id of ``side`` (for associations)."""
        column, other = _SIDE_COLUMN[side], _SIDE_COLUMN[side.other]
        found: dict[str, str] = {}
        with self.engine.connect() as connection:
            for chunk in chunked(list(dict.fromkeys(ids))):
                for key, value in connection.execute(
                    select(column, other).where(SyncRecordRow.mapping == mapping, column.in_(chunk))
                ):
                    found[key] = value
        return found

    def record(self, mapping: str, side: Side, record_id: str) -> SyncRecord | None:
        """One id-map row (not for hot paths; use :meth:`load`)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(_RECORDS).where(
                    SyncRecordRow.mapping == mapping, _SIDE_COLUMN[side] == record_id
                )
            ).first()
        return SyncRecord.from_row(row) if row else None

    def count_records(self, mapping: str | None = None) -> int:
        """How many record pairs are linked (per mapping or in all)."""
        query = select(func.count()).select_from(_RECORDS)
        if mapping is not None:
            query = query.where(SyncRecordRow.mapping == mapping)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def count_pending(self, mapping: str, direction: Direction) -> int:
        """How many associations of a mapping's leg are pending (without loading them)."""
        query = (
            select(func.count())
            .select_from(PendingAssociationRow.__table__)
            .where(
                PendingAssociationRow.mapping == mapping,
                PendingAssociationRow.direction == direction.value,
            )
        )
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def pending_associations(
        self, mapping: str, direction: Direction, limit: int | None = None
    ) -> list[PendingAssociation]:
        """Unresolved associations of a mapping's leg, oldest first."""
        query = (
            select(PendingAssociationRow.__table__)
            .where(
                PendingAssociationRow.mapping == mapping,
                PendingAssociationRow.direction == direction.value,
            )
            .order_by(PendingAssociationRow.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [PendingAssociation.from_row(r) for r in connection.execute(query)]

    def pending_lookups(
        self, mapping: str, direction: Direction, from_ids: Sequence[str]
    ) -> set[tuple[str, str]]:
        """``(from_id, lookup)`` of the leg's pending associations held by ``from_ids``."""
        row = PendingAssociationRow
        found: set[tuple[str, str]] = set()
        with self.engine.connect() as connection:
            for chunk in chunked(list(dict.fromkeys(from_ids))):
                query = select(row.from_id, row.lookup).where(
                    row.mapping == mapping,
                    row.direction == direction.value,
                    row.from_id.in_(chunk),
                )
                found |= {(str(f), str(lk)) for f, lk in connection.execute(query)}
        return found

    def pending_reasons(
        self, mapping: str, direction: Direction, before: datetime
    ) -> list[tuple[str | None, int, str | None]]:
        """Associations of a leg pending since before ``before``, per reason:
        ``(reason, count, one of their last_error)``, most frequent first."""
        row = PendingAssociationRow
        query = (
            select(row.reason, func.count(), func.max(row.last_error))
            .where(row.mapping == mapping, row.direction == direction.value)
            .where(row.created_at < before)
            .group_by(row.reason)
            .order_by(func.count().desc())
        )
        with self.engine.connect() as connection:
            return [(r, int(n), e) for r, n, e in connection.execute(query)]

    def repeated_refusals(
        self, mapping: str, direction: Direction, at_least: int, since: datetime
    ) -> list[DeadLetter]:
        """Open dead letters of a leg refused again since ``since`` with the same error
        ``at_least`` times in a row, most repeated first."""
        table = DeadLetterRow.__table__
        query = (
            select(table)
            .where(table.c.mapping == mapping, table.c.direction == direction.value)
            .where(table.c.resolved_at.is_(None), table.c.last_seen >= since)
            .where(func.coalesce(table.c.repeats, 1) >= at_least)
            .order_by(table.c.repeats.desc(), table.c.id)
        )
        with self.engine.connect() as connection:
            return [DeadLetter.from_row(r) for r in connection.execute(query)]

    def open_dead_letters(
        self, mapping: str, direction: Direction, source_ids: Iterable[str]
    ) -> dict[str, str]:
        """Source id -> error code of the open dead letters among ``source_ids``."""
        found: dict[str, str] = {}
        table = DeadLetterRow.__table__
        with self.engine.connect() as connection:
            for part in chunked(sorted(set(source_ids))):
                query = select(table.c.source_id, table.c.error_code).where(
                    table.c.mapping == mapping,
                    table.c.direction == direction.value,
                    table.c.resolved_at.is_(None),
                    table.c.source_id.in_(part),
                )
                found.update({str(i): str(c) for i, c in connection.execute(query)})
        return found

    def dead_letters(
        self,
        mapping: str,
        direction: Direction,
        *,
        include_resolved: bool = False,
        limit: int | None = None,
    ) -> list[DeadLetter]:
        """Refused records of a mapping's leg (open ones unless ``include_resolved``)."""
        query = select(DeadLetterRow.__table__).where(
            DeadLetterRow.mapping == mapping, DeadLetterRow.direction == direction.value
        )
        if not include_resolved:
            query = query.where(DeadLetterRow.resolved_at.is_(None))
        query = query.order_by(DeadLetterRow.id).limit(limit)
        with self.engine.connect() as connection:
            return [DeadLetter.from_row(r) for r in connection.execute(query)]

    def pending_pages(
        self, mapping: str, direction: Direction, size: int
    ) -> Iterator[list[PendingAssociation]]:
        """A leg's pending associations, oldest first, ``size`` at a time (keyset on id).

        Each page is read when the previous one has been handled, so a caller may make
        or re-park its rows in between: a re-parked row keeps its id and is not read again.
        """
        table = PendingAssociationRow.__table__
        leg = (table.c.mapping == mapping, table.c.direction == direction.value)
        for rows in _keyset_pages(self.engine, table, leg, size):
            yield [PendingAssociation.from_row(r) for r in rows]

    def dead_letter_pages(
        self, mapping: str, direction: Direction, size: int, *, not_seen_in: str | None = None
    ) -> Iterator[list[DeadLetter]]:
        """A leg's open dead letters, oldest first, ``size`` at a time (keyset on id);
        with ``not_seen_in``, only those whose record that run did not read."""
        table = DeadLetterRow.__table__
        where = [
            table.c.mapping == mapping,
            table.c.direction == direction.value,
            table.c.resolved_at.is_(None),
        ]
        if not_seen_in is not None:
            where.append(or_(table.c.seen_run.is_(None), table.c.seen_run != not_seen_in))
        for rows in _keyset_pages(self.engine, table, where, size):
            yield [DeadLetter.from_row(r) for r in rows]

    def has_open_dead_letters(self, mapping: str, direction: Direction) -> bool:
        """Whether a leg has a dead letter waiting (one indexed probe)."""
        table = DeadLetterRow.__table__
        query = (
            select(table.c.id)
            .where(
                table.c.mapping == mapping,
                table.c.direction == direction.value,
                table.c.resolved_at.is_(None),
            )
            .limit(1)
        )
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def runs(self, run_id: str | None = None, mapping: str | None = None) -> list[RunLogEntry]:
        """Run log entries, newest first."""
        query = select(RunLogRow.__table__).order_by(RunLogRow.started_at.desc(), RunLogRow.mapping)
        if run_id is not None:
            query = query.where(RunLogRow.run_id == run_id)
        if mapping is not None:
            query = query.where(RunLogRow.mapping == mapping)
        with self.engine.connect() as connection:
            return [RunLogEntry.from_row(r) for r in connection.execute(query)]

    def mappings(self) -> list[str]:
        """Every mapping name the ledger holds rows of (links, runs, pending, dead letters)."""
        names: set[str] = set()
        with self.engine.connect() as connection:
            for model in (SyncRecordRow, RunLogRow, PendingAssociationRow, DeadLetterRow):
                names.update(connection.execute(select(model.mapping).distinct()).scalars())
        return sorted(names)

    # ------------------------------------------------------------------ writes

    def reopen_dead_letters(
        self, mapping: str, direction: Direction, source_ids: Iterable[str] | None = None
    ) -> int:
        """Mark dead letters for the next run (a target retries the open ones); how many.

        ``source_ids`` None means every dead letter of the leg, dismissed ones included.
        """
        return self._set_dead_letters(mapping, direction, source_ids, resolved_at=None)

    def dismiss_dead_letters(
        self, mapping: str, direction: Direction, source_ids: Iterable[str] | None = None
    ) -> int:
        """Close dead letters without a retry (a target no longer replays them); how many."""
        return self._set_dead_letters(mapping, direction, source_ids, resolved_at=utcnow())

    def _set_dead_letters(
        self,
        mapping: str,
        direction: Direction,
        source_ids: Iterable[str] | None,
        *,
        resolved_at: datetime | None,
    ) -> int:
        table = DeadLetterRow.__table__
        leg = and_(table.c.mapping == mapping, table.c.direction == str(direction))
        closed = table.c.resolved_at.is_not(None)
        changing = closed if resolved_at is None else ~closed
        chunks: list[Sequence[str] | None] = (
            [None] if source_ids is None else list(chunked(list(dict.fromkeys(source_ids))))
        )
        done = 0
        with write_connection(self.engine) as connection, connection.begin():
            for chunk in chunks:
                query = update(table).where(leg, changing).values(resolved_at=resolved_at)
                if chunk is not None:
                    query = query.where(table.c.source_id.in_(chunk))
                done += connection.execute(query).rowcount
        return done

    @contextmanager
    def batch(self) -> Iterator[LedgerBatch]:
        """A unit of work: buffer writes, commit them in one transaction on exit.

        Nothing is written if the block raises. When the ``with`` returns, the batch
        is durable: the moment a target may emit STATE.
        """
        unit = LedgerBatch()
        yield unit
        if unit:
            with write_connection(self.engine) as connection, connection.begin():
                unit.flush(connection)


@dataclass
class LedgerBatch:
    """Buffered ledger writes of one batch (see :meth:`LedgerStore.batch`)."""

    _links: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    """``(mapping, sf_id) -> [hs_id, base JSON text or None (keep), sf_modified_at,
    hs_modified_at]``."""
    _tombstones: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    _lifted: list[tuple[str, str, str]] = field(default_factory=list)
    _pending: dict[tuple[str, str, str, str], tuple[Any, ...]] = field(default_factory=dict)
    _resolved_pending: list[tuple[str, str, str, str]] = field(default_factory=list)
    _dead: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    _resolved_dead: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    _seen: defaultdict[tuple[str, str, str], set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )
    _runs: list[dict[str, Any]] = field(default_factory=list)
    _write_backs: dict[tuple[str, str, str], str] = field(default_factory=dict)
    _dropped_write_backs: list[tuple[str, str, str]] = field(default_factory=list)
    _answered_write_backs: list[tuple[str, str, str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (self._links, self._tombstones, self._lifted, self._pending, self._resolved_pending,
             self._dead, self._resolved_dead, self._seen, self._runs, self._write_backs,
             self._dropped_write_backs, self._answered_write_backs)
        )  # fmt: skip

    # --- id map, base, last seen

    def link(
        self,
        mapping: str,
        sf_id: str,
        hs_id: str,
        *,
        base: Mapping[str, Mapping[str, Any]] | None = None,
        sf_modified_at: datetime | None = None,
        hs_modified_at: datetime | None = None,
    ) -> None:
        """Link ``sf_id`` ↔ ``hs_id``; set the base if given; advance the last-seen times.

        A link replaces any other pairing of either id (a record re-created on one
        side). Times only ever move forward; ``base=None`` keeps the stored base.
        """
        text = None if base is None else base_text(base)  # as the column stores it
        key = (mapping, sf_id)
        row = self._links.get(key)
        if row is None:
            self._links[key] = [hs_id, text, sf_modified_at, hs_modified_at]
            return
        row[0] = hs_id
        if text is not None:
            row[1] = text
        for at, value in ((2, sf_modified_at), (3, hs_modified_at)):
            if value is not None and (row[at] is None or value > row[at]):
                row[at] = value

    def apply(
        self,
        plan: RecordPlan,
        destination_id: str | None = None,
        *,
        destination_modified_at: datetime | None = None,
        base: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Record a plan whose write succeeded (or that needed none).

        Links the pair (``destination_id`` is the new id of a created record),
        stores ``base_after`` (``base`` instead, when given) and the tombstones,
        advances the last-seen times. Skipped plans record only their tombstones; an
        unchanged record whose base stays the same records nothing.
        """
        src = plan.direction.source
        for stone in plan.tombstones:
            self.tombstone(plan.mapping, stone.side, stone.id, stone.deleted_at)
        for stone in plan.revives:
            self.lift_tombstone(plan.mapping, stone.side, stone.id)
        if plan.action in (Action.SKIP, Action.ARCHIVE):
            return
        base = plan.base_after if base is None else base
        if plan.action is Action.UNCHANGED and base is None and not plan.new_link:
            return  # equal to its base: costs nothing, not even a ledger write
        target = destination_id or plan.destination_id
        if target is None:
            raise ValueError(
                f"{plan.mapping}: record {plan.source_id} was {plan.action.value}d "
                "but no destination id was given"
            )
        if src is Side.SALESFORCE:
            self.link(plan.mapping, plan.source_id, target, base=base,
                      sf_modified_at=plan.source_modified_at,
                      hs_modified_at=destination_modified_at)  # fmt: skip
        else:
            self.link(plan.mapping, target, plan.source_id, base=base,
                      sf_modified_at=destination_modified_at,
                      hs_modified_at=plan.source_modified_at)  # fmt: skip

    def tombstone(
        self, mapping: str, side: Side | str, record_id: str, deleted_at: datetime | None = None
    ) -> None:
        """Remember that ``record_id`` was deleted on ``side`` (the first time counts)."""
        key = (mapping, str(side), record_id)
        self._tombstones.setdefault(
            key,
            {
                "mapping": mapping,
                "side": str(side),
                "record_id": record_id,
                "deleted_at": deleted_at or utcnow(),
            },
        )

    def lift_tombstone(self, mapping: str, side: Side | str, record_id: str) -> None:
        """Forget that ``record_id`` was deleted on ``side``: it was restored."""
        key = (mapping, str(side), record_id)
        self._tombstones.pop(key, None)
        self._lifted.append(key)

    # --- associations

    def add_pending(self, item: PendingAssociation) -> None:
        """Queue an association whose target is not synced yet (attempts count up)."""
        key = (item.mapping, str(item.direction), item.from_id, item.lookup)
        association = item.association
        self._pending[key] = (
            item.mapping,
            str(item.direction),
            item.from_id,
            association.lookup,
            association.label,
            association.type_id,
            association.category,
            item.target_mapping,
            item.target_source_id,
            1,  # attempts
            item.reason.value if item.reason is not None else None,
            item.last_error,
        )  # writes.PENDING's columns but the times

    def resolve_pending(
        self, mapping: str, direction: Direction, keys: Iterable[tuple[str, str]]
    ) -> None:
        """Drop pending associations that were made: ``keys`` are ``(from_id, lookup)``."""
        self._resolved_pending += [(mapping, str(direction), f, lk) for f, lk in keys]

    # --- dead letters

    def dead_letter(
        self,
        mapping: str,
        direction: Direction,
        source_id: str,
        payload: Mapping[str, Any],
        error: RecordError,
        run_id: str | None = None,
    ) -> None:
        """Record a refused record (again: attempts + 1, last seen now, reopened);
        ``run_id`` is the run that read it (it does not replay the letter at its end)."""
        self._dead[(mapping, str(direction), source_id)] = {
            "mapping": mapping,
            "direction": str(direction),
            "source_id": source_id,
            "payload": _json_ready(payload),
            "error_code": error.code,
            "message": error.message,
            "error_fields": list(error.fields) or None,
            "seen_run": run_id,
        }

    def resolve_dead_letters(
        self,
        mapping: str,
        direction: Direction,
        source_ids: Iterable[str],
        *,
        code: str | None = None,
    ) -> None:
        """Mark dead letters of records now written successfully as resolved (only those
        whose error is ``code``, when given)."""
        self._resolved_dead += [(mapping, str(direction), i, code) for i in source_ids]

    def mark_seen(
        self, mapping: str, direction: Direction, run_id: str, source_ids: Iterable[str]
    ) -> None:
        """Run ``run_id`` read these records: the end of that run replays none of their
        dead letters (the newer version was handled instead)."""
        self._seen[(mapping, str(direction), run_id)].update(source_ids)

    # --- id write-backs waiting (crm_sync.ledger.writebacks)

    def queue_write_back(
        self,
        mapping: str,
        direction: Direction,
        source_id: str,
        destination_id: str,
    ) -> None:
        """Queue the write of ``destination_id`` into the source record's id field."""
        self._write_backs[(mapping, str(direction), source_id)] = destination_id

    def drop_write_backs(
        self, mapping: str, direction: Direction, source_ids: Iterable[str]
    ) -> None:
        """Drop the queued write-backs of ``source_ids``, whatever id they hold (moot: the
        source record was read holding an id already)."""
        self._dropped_write_backs += [(mapping, str(direction), i) for i in source_ids]

    def drop_answered_write_backs(
        self, mapping: str, direction: Direction, pairs: Iterable[tuple[str, str]]
    ) -> None:
        """Drop the queued write-backs the source API answered for (written or refused),
        ``(source_id, destination_id)`` as written: a row queued again meanwhile with
        another destination id stays, for the next page to write."""
        self._answered_write_backs += [(mapping, str(direction), i, d) for i, d in pairs]

    # --- run log

    def log_run(self, entry: RunLogEntry) -> None:
        """Insert or replace one run log row."""
        self._runs.append(entry.to_row())

    # --- flush

    def flush(self, connection: Any) -> None:
        """Write everything buffered through ``connection`` (inside its transaction)."""
        now = utcnow()
        self._flush_links(connection, now)
        if self._tombstones:
            upsert(connection, TombstoneRow.__table__, list(self._tombstones.values()),
                   ["mapping", "side", "record_id"], None)  # fmt: skip
        if self._lifted:
            self._delete_tombstones(connection)
        stamp = stamp_binder(connection.dialect.name)(now)
        if self._pending:
            PENDING.run(connection, [(*row, stamp, stamp) for row in self._pending.values()])
        if self._resolved_pending:
            PENDING_DROP.run(connection, [(m, d, lk, f) for m, d, f, lk in self._resolved_pending])
        if self._dead:
            rows = [{**row, "attempts": 1, "repeats": 1, "first_seen": now, "last_seen": now,
                     "resolved_at": None} for row in self._dead.values()]  # fmt: skip
            upsert(
                connection,
                DeadLetterRow.__table__,
                rows,
                ["mapping", "direction", "source_id"],
                lambda ex, t: {
                    "payload": ex.payload,
                    "error_code": ex.error_code,
                    "message": ex.message,
                    "error_fields": ex.error_fields,
                    "attempts": t.c.attempts + 1,
                    "repeats": case(
                        (
                            and_(
                                t.c.resolved_at.is_(None),
                                t.c.error_code == ex.error_code,
                                t.c.message == ex.message,
                            ),
                            func.coalesce(t.c.repeats, 1) + 1,
                        ),
                        else_=1,
                    ),
                    "last_seen": ex.last_seen,
                    "resolved_at": None,
                    "seen_run": ex.seen_run,
                },
            )
        if self._resolved_dead:
            self._resolve_dead(connection, stamp)
        if self._seen:
            self._mark_seen(connection)
        if self._dropped_write_backs:
            delete_write_backs(connection, self._dropped_write_backs)
        if self._answered_write_backs:
            delete_answered_write_backs(connection, self._answered_write_backs)
        if self._write_backs:
            insert_write_backs(connection, self._write_backs, stamp)
        if self._runs:
            upsert(
                connection,
                RunLogRow.__table__,
                self._runs,
                ["run_id", "mapping", "direction"],
                lambda ex, _t: {
                    name: getattr(ex, name)
                    for name in ("started_at", "finished_at", "dry_run", *RUN_COUNTERS)
                },
            )

    def _flush_links(self, connection: Any, now: datetime) -> None:
        """Drop the other pairings of each linked HubSpot id (a record re-created on one
        side), then upsert the links: those with a new base, then those keeping theirs."""
        if not self._links:
            return
        links = self._links.items()
        UNPAIR.run(connection, [(mapping, row[0], sf_id) for (mapping, sf_id), row in links])
        stamp = stamp_binder(connection.dialect.name)
        at = stamp(now)
        LINK_WITH_BASE.run(connection, [
            (mapping, sf_id, hs_id, base, stamp(sf_at), stamp(hs_at), at)
            for (mapping, sf_id), (hs_id, base, sf_at, hs_at) in links if base is not None
        ])  # fmt: skip
        LINK.run(connection, [
            (mapping, sf_id, hs_id, stamp(sf_at), stamp(hs_at), at)
            for (mapping, sf_id), (hs_id, base, sf_at, hs_at) in links if base is None
        ])  # fmt: skip

    def _delete_tombstones(self, connection: Any) -> None:
        table = TombstoneRow.__table__
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for mapping, side, record_id in self._lifted:
            groups[(mapping, side)].append(record_id)
        for (mapping, side), ids in groups.items():
            for chunk in chunked(ids):
                connection.execute(
                    delete(table).where(
                        table.c.mapping == mapping,
                        table.c.side == side,
                        table.c.record_id.in_(chunk),
                    )
                )

    def _resolve_dead(self, connection: Any, at: Any) -> None:
        """Close the open letters of records now written (``uq_dead_letter`` probes).

        A leg without any letter (a first import) skips its probes: one per record
        written, each finding nothing. Letters this batch refused are in the table by now.
        """
        rows = self._resolved_dead  # repeats cost a probe that finds the letter closed
        legs = {(m, d) for m, d, _, _ in rows}
        lettered = {leg for leg in legs if _has_letters(connection, *leg)}
        if lettered != legs:
            rows = [row for row in rows if (row[0], row[1]) in lettered]
        any_code = [(at, m, d, i) for m, d, i, code in rows if code is None]
        of_code = [(at, m, d, code, i) for m, d, i, code in rows if code is not None]
        RESOLVE_LETTER.run(connection, any_code)
        RESOLVE_LETTER_OF_CODE.run(connection, of_code)

    def _mark_seen(self, connection: Any) -> None:
        """Stamp the open dead letters of the records a run read (``uq_dead_letter`` probes)."""
        SEEN_LETTER.run(connection, [
            (run_id, mapping, direction, source_id)
            for (mapping, direction, run_id), ids in self._seen.items()
            for source_id in ids
        ])  # fmt: skip


def _has_letters(connection: Any, mapping: str, direction: str) -> bool:
    """Whether a leg has any dead letter, open or closed (a prefix of ``uq_dead_letter``)."""
    table = DeadLetterRow.__table__
    query = (
        select(table.c.id)
        .where(table.c.mapping == mapping, table.c.direction == direction)
        .limit(1)
    )
    return connection.execute(query).first() is not None


def _keyset_pages(
    engine: Engine, table: Table, where: Sequence[Any], size: int
) -> Iterator[Sequence[Any]]:
    """Rows of ``table`` matching ``where`` in id order, ``size`` per query.

    Keyset paging (``id > last``), not OFFSET: each page costs the same however far
    the walk is, and rows the caller changes between pages are neither skipped nor
    read twice. Memory holds one page.
    """
    last = 0
    while True:
        query = select(table).where(*where, table.c.id > last).order_by(table.c.id).limit(size)
        with engine.connect() as connection:
            rows = connection.execute(query).all()
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1].id


_JSON_PLAIN = frozenset({str, int, float, bool, type(None)})
"""Types a JSON column stores as they are (checked by exact type: the common case)."""
_AS_READY = _JSON_PLAIN | {Decimal}
"""Value types msgspec encodes as :func:`_json_ready` would leave them (a ``Decimal`` as
the text ``str()`` gives it); a date-time is not one (msgspec writes UTC as ``Z``)."""
_STR_ONLY = frozenset({str})
_DICT_ONLY = frozenset({dict})


def base_text(base: Mapping[str, Mapping[str, Any]]) -> str:
    """A base's JSON text, as ``json_text(_json_ready(base))`` writes it.

    A base is a dict of two dicts of field names and plain values (text, numbers, the
    Singer reader's ``Decimal``): their types are checked in C, and such a base is encoded
    as it is, without the copy :func:`_json_ready` makes of every half (a first import
    links a new base per record, on the writer thread). Any other base goes that way.
    """
    if type(base) is dict:
        halves = base.values()
        if set(map(type, halves)) <= _DICT_ONLY:
            values = set(map(type, chain.from_iterable(map(dict.values, halves))))
            keys = set(map(type, chain(base, chain.from_iterable(halves))))
            if values <= _AS_READY and keys <= _STR_ONLY:
                return json_text(base)
    return json_text(_json_ready(base))


def _json_ready(value: Any) -> Any:
    """Values JSON columns can store: dates as ISO text, decimals as text.

    Exact types first: a base is a dict of dicts of plain values and ``Decimal`` (the
    Singer reader's numbers with a fraction), a dead letter's payload a record with lists
    of dicts and the SDK's parsed date-times, and ``isinstance`` against ``Mapping`` costs
    an ABC check per value (a first import copies a base per record).
    """
    kind = type(value)
    if kind is dict:
        return {
            k if type(k) is str else str(k): v if type(v) in _JSON_PLAIN else _json_ready(v)
            for k, v in value.items()
        }
    if kind is Decimal:
        return str(value)
    if kind in _JSON_PLAIN:
        return value
    if kind is list or kind is tuple:
        return [v if type(v) in _JSON_PLAIN else _json_ready(v) for v in value]
    if kind is datetime or kind is date:
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): v if type(v) in _JSON_PLAIN else _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_ready(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
