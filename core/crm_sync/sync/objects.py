"""Which destination object each mapping writes, remembered next to the ledger.

A stream's ``x-crm-mapping`` names its HubSpot object (and Salesforce object); a target
learns it when the stream arrives. An association to another mapping needs *that*
mapping's object even in a run where its stream is absent (an incremental run with no
changed accounts still has projects pointing at accounts), so every target records
what it learns here, in a small table of the ledger's database, and reads it back when
the other mapping is not in the run. map-crm stays the only reader of the spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table, select
from sqlalchemy.engine import Engine

from crm_sync.ledger.engine import write_connection
from crm_sync.ledger.upsert import upsert
from crm_sync.vocabulary import Side

metadata = MetaData()

mapping_object = Table(
    "mapping_object",
    metadata,
    Column("mapping", String(128), primary_key=True),
    Column("side", String(16), primary_key=True),
    Column("object_name", String(128), nullable=False),
    Column("object_type_id", String(64)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True, slots=True)
class MappedObject:
    """A mapping's object on one side: its name and (HubSpot) object type id."""

    mapping: str
    side: Side
    object_name: str
    object_type_id: str | None = None


class MappingObjects:
    """The ``mapping_object`` table on the ledger's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with write_connection(engine) as connection, connection.begin():
            metadata.create_all(connection)
        self._cache: dict[tuple[str, Side], MappedObject] = {}

    def remember(self, item: MappedObject) -> None:
        """Store (or refresh) what a stream said about its mapping's object."""
        if self._cache.get((item.mapping, item.side)) == item:
            return
        row = {
            "mapping": item.mapping,
            "side": str(item.side),
            "object_name": item.object_name,
            "object_type_id": item.object_type_id,
            "updated_at": datetime.now(UTC),
        }
        with write_connection(self.engine) as connection, connection.begin():
            upsert(
                connection,
                mapping_object,
                [row],
                ["mapping", "side"],
                lambda ex, _t: {
                    "object_name": ex.object_name,
                    "object_type_id": ex.object_type_id,
                    "updated_at": ex.updated_at,
                },
            )
        self._cache[(item.mapping, item.side)] = item

    def get(self, mapping: str, side: Side) -> MappedObject | None:
        """What was last learnt about ``mapping``'s object on ``side``, if anything."""
        if (mapping, side) in self._cache:
            return self._cache[(mapping, side)]
        with self.engine.connect() as connection:
            row = connection.execute(
                select(mapping_object).where(
                    mapping_object.c.mapping == mapping, mapping_object.c.side == str(side)
                )
            ).first()
        if row is None:
            return None
        found = MappedObject(mapping, side, row.object_name, row.object_type_id)
        self._cache[(mapping, side)] = found
        return found
