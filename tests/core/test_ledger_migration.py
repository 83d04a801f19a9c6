"""A ledger file written by the previous crm-sync (schema 1) opens and is upgraded in place.

``data/ledger_v1.sql`` is the SQL dump of a ledger made by the code before schema 2
(``SyncLedgerStore.commit`` of that version: a linked pair, a dead letter stored from a
``"CODE: message"`` string, a pending association whose type was JSON in ``label`` and
a plain one).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, Column, MetaData, Table, UniqueConstraint, func, select

from crm_sync.ledger import SCHEMA_VERSION, LedgerStore
from crm_sync.ledger.engine import create_ledger_engine
from crm_sync.ledger.models import LedgerBase, SchemaVersionRow
from crm_sync.sync.batch import BatchWrite
from crm_sync.sync.ledger import AssociationRef, open_ledger
from crm_sync.vocabulary import AssociationType, Direction, RecordError

DUMP = Path(__file__).parent / "data" / "ledger_v1.sql"
FWD = Direction.SF_TO_HS


@pytest.fixture
def v1_ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(path) as connection:
        connection.executescript(DUMP.read_text())
    with sqlite3.connect(path) as connection:
        (version,) = connection.execute("SELECT max(version) FROM ledger_schema_version").fetchone()
    assert version == 1
    return path


def test_v1_ledger_is_upgraded_and_keeps_its_rows(v1_ledger: Path) -> None:
    ledger = open_ledger(v1_ledger)
    assert ledger.store.schema_version == SCHEMA_VERSION == 6
    with ledger.store.engine.connect() as connection:
        assert connection.execute(select(func.max(SchemaVersionRow.version))).scalar() == 6
    assert ledger.count_records("project") == 1
    assert ledger.destination_ids("project", FWD, ["a0000000000000001"]) == {
        "a0000000000000001": "101"
    }
    pending = {p.source_id: p for p in ledger.pending_associations("project", FWD)}
    assert pending["a0000000000000001"].association == AssociationType(
        "Account__c", "Project's company", 7, "USER_DEFINED"
    )
    assert pending["a0000000000000003"].association == AssociationType("Owner__c")
    (letter,) = ledger.dead_letters("project", FWD)
    assert letter.error == RecordError("DUPLICATE_VALUE", "duplicate value found")
    ledger.close()


def test_upgraded_ledger_takes_typed_values_and_reopens(v1_ledger: Path) -> None:
    ledger = open_ledger(v1_ledger)
    labelled = AssociationType("Partner__c", None, 9, "HUBSPOT_DEFINED")
    ref = AssociationRef("project", "a0000000000000004", "account", "0010000000000003", labelled)
    ledger.commit("project", FWD, BatchWrite(), pending=[ref])
    ledger.close()
    with LedgerStore(v1_ledger) as store:  # a second open finds version 6: nothing to do
        assert store.schema_version == 6
        found = {p.from_id: p.association for p in store.pending_associations("project", FWD)}
    assert found["a0000000000000004"] == labelled
    assert len(found) == 3


LATER_COLUMNS = {
    "pending_association": {"type_id", "category", "reason"},  # versions 2 and 3
    "dead_letter": {"error_fields", "seen_run"},  # versions 2 and 4
}
LATER_TABLES = {"pending_write_back"}  # version 5


def _v1_metadata() -> MetaData:
    """The tables as schema 1 had them: today's models without the columns added since."""
    metadata = MetaData()
    for table in LedgerBase.metadata.sorted_tables:
        if table.name in LATER_TABLES:
            continue
        dropped = LATER_COLUMNS.get(table.name, set())
        columns = [
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in table.columns
            if c.name not in dropped
        ]
        unique = [
            UniqueConstraint(*(col.name for col in c.columns), name=c.name)
            for c in table.constraints
            if isinstance(c, UniqueConstraint)
        ]
        Table(table.name, metadata, *columns, *unique)
    return metadata


def test_v1_tables_upgrade_on_each_backend(ledger_url: str) -> None:
    """The same upgrade on SQLite and PostgreSQL (``ALTER TABLE ... ADD COLUMN``)."""
    engine = create_ledger_engine(ledger_url)
    v1 = _v1_metadata()
    label = '{"category": "USER_DEFINED", "label": "L", "lookup": "Account__c", "type_id": 7}'
    now = datetime(2024, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        v1.create_all(connection)
        versions = v1.tables["ledger_schema_version"]
        connection.execute(versions.insert().values(version=1, applied_at=now))
        connection.execute(
            v1.tables["pending_association"]
            .insert()
            .values(
                mapping="project",
                direction="sf_to_hs",
                from_id="a1",
                lookup="Account__c",
                label=label,
                target_mapping="account",
                target_source_id="001",
                attempts=1,
                created_at=now,
                updated_at=now,
            )
        )
    engine.dispose()
    with LedgerStore(ledger_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        (pending,) = store.pending_associations("project", FWD)
        assert pending.association == AssociationType("Account__c", "L", 7, "USER_DEFINED")
        with store.batch() as uow:
            error = RecordError("STRING_TOO_LONG", "too long", ("Name",))
            uow.dead_letter("project", FWD, "a2", {"Name": "x"}, error)
        (letter,) = store.dead_letters("project", FWD)
        assert letter.error == error


def test_v5_queued_write_backs_keep_their_ids_without_payloads(ledger_url: str) -> None:
    """Schema 5 queued each write-back with its record's payload; version 6 keeps the id
    pair only (a refusal's dead letter is rebuilt from the base): the queued rows stay,
    on SQLite and PostgreSQL, and the queue takes new rows after."""
    engine = create_ledger_engine(ledger_url)
    now = datetime(2024, 1, 1, tzinfo=UTC)
    v5 = MetaData()
    for table in LedgerBase.metadata.sorted_tables:
        columns = [
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in table.columns
        ]
        if table.name == "pending_write_back":
            columns.append(Column("payload", JSON, nullable=False))
        Table(table.name, v5, *columns, UniqueConstraint(*_unique(table)))
    with engine.begin() as connection:
        v5.create_all(connection)
        versions = v5.tables["ledger_schema_version"]
        connection.execute(versions.insert().values(version=5, applied_at=now))
        connection.execute(
            v5.tables["pending_write_back"].insert(),
            [
                {"mapping": "project", "direction": "sf_to_hs", "source_id": f"a{n}",
                 "destination_id": f"90{n}", "payload": {"Name": "x" * 1000}, "created_at": now}
                for n in range(3)
            ],
        )  # fmt: skip
    engine.dispose()
    ledger = open_ledger(ledger_url)
    try:
        assert ledger.store.schema_version == SCHEMA_VERSION == 6
        [page] = ledger.write_back_pages("project", FWD, 10)
        assert [(w.source_id, w.destination_id) for w in page] == [
            ("a0", "900"), ("a1", "901"), ("a2", "902")
        ]  # fmt: skip
        with ledger.store.batch() as uow:
            uow.queue_write_back("project", FWD, "a3", "903")
        assert ledger.waiting_write_backs("project", FWD) == 4
    finally:
        ledger.close()


def _unique(table: Table) -> list[str]:
    """The columns of a model table's unique constraint (the primary key if none)."""
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            return [c.name for c in constraint.columns]
    return [c.name for c in table.primary_key.columns]
