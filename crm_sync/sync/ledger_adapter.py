"""A :class:`~crm_sync.sync.ledger.SyncLedger` on SQLAlchemy Core (SQLite file or any URL).

Interim: the shared ledger package (``crm_sync.ledger``) had not landed when the HubSpot
target needed one, so this module keeps the §2 facts the targets use in its own tables
(prefixed ``sync_``): one row per linked record (ids, base, last-seen times,
tombstones), dead letters, pending associations and the run log. Once
``crm_sync.ledger`` exists, :func:`crm_sync.sync.ledger.open_ledger` should adapt it
instead; the protocol stays the same for the targets.

Every :meth:`LedgerAdapter.commit` is one transaction, so a crash leaves either the
whole batch's outcome or none of it (the writes themselves are idempotent upserts).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from crm_sync.reconcile import Base, Direction, LedgerState, RunReport, Side
from crm_sync.sync.batch import BatchWrite
from crm_sync.sync.ledger import AssociationRef, DeadLetter

metadata = MetaData()

records = Table(
    "sync_records",
    metadata,
    Column("mapping", String(100), primary_key=True),
    Column("sf_id", String(64), primary_key=True),
    Column("hs_id", String(64), index=True),
    Column("base", JSON),
    Column("sf_seen_at", DateTime(timezone=True)),
    Column("hs_seen_at", DateTime(timezone=True)),
    Column("sf_deleted_at", DateTime(timezone=True)),
    Column("hs_deleted_at", DateTime(timezone=True)),
)
dead_letters = Table(
    "sync_dead_letters",
    metadata,
    Column("mapping", String(100), primary_key=True),
    Column("direction", String(16), primary_key=True),
    Column("source_id", String(64), primary_key=True),
    Column("payload", JSON, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("updated_at", DateTime(timezone=True)),
)
pending_associations = Table(
    "sync_pending_associations",
    metadata,
    Column("mapping", String(100), primary_key=True),
    Column("source_id", String(64), primary_key=True),
    Column("spec", String(100), primary_key=True),
    Column("to_mapping", String(100), nullable=False),
    Column("to_source_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True)),
)
run_log = Table(
    "sync_run_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mapping", String(100), nullable=False),
    Column("direction", String(16)),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("dry_run", Integer, nullable=False, default=0),
    Column("report", JSON, nullable=False),
)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _jsonable(value: Any) -> Any:
    return json.loads(
        json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v))
    )


class LedgerAdapter:
    """The sync ledger at a SQLAlchemy URL."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":

            @event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_connection: Any, _: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.close()

        metadata.create_all(self.engine)

    # ------------------------------------------------------------------ reads
    @staticmethod
    def _columns(direction: Direction) -> tuple[Column, Column]:
        """(source id column, destination id column) of a leg."""
        if direction is Direction.SF_TO_HS:
            return records.c.sf_id, records.c.hs_id
        return records.c.hs_id, records.c.sf_id

    def load(
        self, mapping: str, direction: Direction, source_ids: Sequence[str]
    ) -> dict[str, LedgerState]:
        src, dst = self._columns(direction)
        forward = direction is Direction.SF_TO_HS
        out: dict[str, LedgerState] = {}
        with self.engine.connect() as conn:
            for part in _parts(list(source_ids)):
                rows = conn.execute(
                    select(records).where(records.c.mapping == mapping, src.in_(part))
                ).mappings()
                for row in rows:
                    out[str(row[src.name])] = LedgerState(
                        destination_id=row[dst.name],
                        base=row["base"],
                        source_seen_at=_utc(row["sf_seen_at" if forward else "hs_seen_at"]),
                        destination_seen_at=_utc(row["hs_seen_at" if forward else "sf_seen_at"]),
                        source_deleted_at=_utc(
                            row["sf_deleted_at" if forward else "hs_deleted_at"]
                        ),
                        destination_deleted_at=_utc(
                            row["hs_deleted_at" if forward else "sf_deleted_at"]
                        ),
                    )
        return out

    def destination_ids(
        self, mapping: str, direction: Direction, source_ids: Sequence[str]
    ) -> dict[str, str]:
        src, dst = self._columns(direction)
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            for part in _parts(list(source_ids)):
                for row in conn.execute(
                    select(src, dst).where(
                        records.c.mapping == mapping,
                        src.in_(part),
                        dst.is_not(None),
                        records.c.hs_deleted_at.is_(None),
                        records.c.sf_deleted_at.is_(None),
                    )
                ):
                    out[str(row[0])] = str(row[1])
        return out

    def dead_letters(self, mapping: str, direction: Direction) -> list[DeadLetter]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(dead_letters)
                .where(
                    dead_letters.c.mapping == mapping,
                    dead_letters.c.direction == direction.value,
                )
                .order_by(dead_letters.c.source_id)
            ).mappings()
            return [
                DeadLetter(r["source_id"], r["payload"], r["error"], r["attempts"]) for r in rows
            ]

    def pending_associations(self, mapping: str) -> list[AssociationRef]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(pending_associations).where(pending_associations.c.mapping == mapping)
            ).mappings()
            return [
                AssociationRef(
                    r["mapping"], r["source_id"], r["to_mapping"], r["to_source_id"], r["spec"]
                )
                for r in rows
            ]

    # ------------------------------------------------------------------ writes
    def commit(
        self,
        mapping: str,
        direction: Direction,
        write: BatchWrite,
        bases: Mapping[str, Base] | None = None,
        pending: Sequence[AssociationRef] = (),
        made: Sequence[AssociationRef] = (),
    ) -> None:
        bases = dict(bases or {})
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            for plan, dest_id in write.written:
                self._upsert_row(
                    conn,
                    mapping,
                    direction,
                    plan.source_id,
                    dest_id,
                    bases.pop(plan.source_id, None),
                    plan.source_modified_at,
                )
                self._tombstones(conn, mapping, plan.tombstones)
                conn.execute(
                    delete(dead_letters).where(
                        dead_letters.c.mapping == mapping,
                        dead_letters.c.direction == direction.value,
                        dead_letters.c.source_id == plan.source_id,
                    )
                )
            for plan in write.settled:
                self._upsert_row(
                    conn,
                    mapping,
                    direction,
                    plan.source_id,
                    plan.destination_id,
                    bases.pop(plan.source_id, None),
                    plan.source_modified_at,
                )
                self._tombstones(conn, mapping, plan.tombstones)
                conn.execute(
                    delete(dead_letters).where(
                        dead_letters.c.mapping == mapping,
                        dead_letters.c.direction == direction.value,
                        dead_letters.c.source_id == plan.source_id,
                    )
                )
            for source_id, base in bases.items():  # association-only base changes
                self._upsert_row(conn, mapping, direction, source_id, None, base, None)
            for refused in write.refused:
                key = (
                    (dead_letters.c.mapping == mapping)
                    & (dead_letters.c.direction == direction.value)
                    & (dead_letters.c.source_id == refused.plan.source_id)
                )
                found = conn.execute(select(dead_letters.c.attempts).where(key)).first()
                values = {
                    "payload": _jsonable(dict(refused.payload)),
                    "error": refused.error,
                    "updated_at": now,
                }
                if found:
                    conn.execute(
                        update(dead_letters).where(key).values(attempts=found[0] + 1, **values)
                    )
                else:
                    conn.execute(
                        dead_letters.insert().values(
                            mapping=mapping,
                            direction=direction.value,
                            source_id=refused.plan.source_id,
                            attempts=1,
                            **values,
                        )
                    )
            for ref in made:
                conn.execute(
                    delete(pending_associations).where(
                        pending_associations.c.mapping == ref.mapping,
                        pending_associations.c.source_id == ref.source_id,
                        pending_associations.c.spec == ref.spec,
                    )
                )
            for ref in pending:
                key = (
                    (pending_associations.c.mapping == ref.mapping)
                    & (pending_associations.c.source_id == ref.source_id)
                    & (pending_associations.c.spec == ref.spec)
                )
                conn.execute(delete(pending_associations).where(key))
                conn.execute(
                    pending_associations.insert().values(
                        mapping=ref.mapping,
                        source_id=ref.source_id,
                        spec=ref.spec,
                        to_mapping=ref.to_mapping,
                        to_source_id=ref.to_source_id,
                        created_at=now,
                    )
                )

    def _upsert_row(
        self,
        conn: Connection,
        mapping: str,
        direction: Direction,
        source_id: str,
        dest_id: str | None,
        base: Base | None,
        seen_at: datetime | None,
    ) -> None:
        forward = direction is Direction.SF_TO_HS
        src, _ = self._columns(direction)
        changes: dict[str, Any] = {}
        if dest_id is not None:
            changes["hs_id" if forward else "sf_id"] = dest_id
        if base is not None:
            changes["base"] = _jsonable(base)
        if seen_at is not None:
            changes["sf_seen_at" if forward else "hs_seen_at"] = _utc(seen_at)
        where = (records.c.mapping == mapping) & (src == source_id)
        if conn.execute(select(records.c.mapping).where(where)).first():
            if changes:
                conn.execute(update(records).where(where).values(**changes))
        elif forward:
            conn.execute(records.insert().values(mapping=mapping, sf_id=source_id, **changes))
        else:  # the reverse leg links an existing row by hs id; sf id arrives with it
            conn.execute(records.insert().values(mapping=mapping, hs_id=source_id, **changes))

    @staticmethod
    def _tombstones(conn: Connection, mapping: str, tombstones: Sequence[Any]) -> None:
        for stone in tombstones:
            column = records.c.sf_id if stone.side is Side.SALESFORCE else records.c.hs_id
            field = "sf_deleted_at" if stone.side is Side.SALESFORCE else "hs_deleted_at"
            conn.execute(
                update(records)
                .where(records.c.mapping == mapping, column == stone.id)
                .values({field: _utc(stone.deleted_at) or datetime.now(UTC)})
            )

    def log_run(self, report: RunReport) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                run_log.insert().values(
                    mapping=report.mapping,
                    direction=str(report.direction or ""),
                    started_at=report.started_at,
                    finished_at=report.finished_at,
                    dry_run=int(report.dry_run),
                    report=report.to_dict(),
                )
            )

    def run_log(self, mapping: str | None = None) -> list[dict[str, Any]]:
        """Run reports, oldest first (for tests and tools)."""
        query = select(run_log.c.report).order_by(run_log.c.id)
        if mapping:
            query = query.where(run_log.c.mapping == mapping)
        with self.engine.connect() as conn:
            return [row[0] for row in conn.execute(query)]


def _parts(items: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
