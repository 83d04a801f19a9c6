"""A list update written set-based gives what the record-by-record path gives.

Two identical orgs (same seed, same frozen clock): one takes the list through
``update_many`` (the batch), the other through the sequential path; every result and
every stored row must match, whatever the list mixes (unique values claimed, freed and
clashing inside the list, roll-up inputs moved, bad ids, deleted records).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_sandbox.core.clock import Clock
from crm_sandbox.core.db import Database
from crm_sandbox.salesforce.bulk import BulkJobs
from crm_sandbox.salesforce.cursors import CursorStore
from crm_sandbox.salesforce.derived import DERIVING_OBJECTS, derive
from crm_sandbox.salesforce.org import default_schema
from crm_sandbox.salesforce.row_checks import nocase
from crm_sandbox.salesforce.seed import seed_org
from crm_sandbox.salesforce.store import SalesforceStore
from crm_sandbox.salesforce.update_batch import UpdateBatch

USER = "0055g0000049ABCAAA"
AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def org(path: Path) -> SalesforceStore:
    clock = Clock()
    clock.freeze(AT)
    store = SalesforceStore(Database(path), default_schema(), clock, USER)
    seed_org(store, {"Account": 4, "Project__c": 30}, 7)
    return store


@pytest.fixture
def orgs(tmp_path: Path) -> tuple[SalesforceStore, SalesforceStore]:
    return org(tmp_path / "batch.db"), org(tmp_path / "sequential.db")


def ids(store: SalesforceStore, sobject: str) -> list[str]:
    with store.db.reading() as conn:
        table = store.object(sobject).table
        return [r[0] for r in conn.execute(f'SELECT "Id" FROM "{table}" ORDER BY "_rowid"')]


def rows(store: SalesforceStore) -> dict[str, list[tuple[Any, ...]]]:
    with store.db.reading() as conn:
        return {
            name: [
                tuple(r)
                for r in conn.execute(f'SELECT * FROM "{store.object(name).table}" ORDER BY 1')
            ]
            for name in ("Account", "Project__c")
        }


def sequential(
    store: SalesforceStore, records: list[dict[str, Any]], all_or_none: bool = False
) -> list[dict[str, Any]]:
    """The record-by-record path (what update_many took before it was set-based)."""
    prepared = [store._prepare(None, r, "update") for r in records]
    return [r.as_json() for r in store._run(prepared, all_or_none, False, store._update_one)]


def mixed_list(store: SalesforceStore) -> list[dict[str, Any]]:
    """A list touching every check the batch answers from its maps."""
    projects, accounts = ids(store, "Project__c"), ids(store, "Account")
    store.update_many("Project__c", [{"Id": projects[0], "HubSpot_Id__c": "held"}],
                      refusals=False)  # fmt: skip
    store.delete(projects[1])

    def p(n: int, **values: Any) -> dict[str, Any]:
        return {"attributes": {"type": "Project__c"}, "Id": projects[n], **values}

    return [
        *(p(n, HubSpot_Id__c=f"hs-{n}") for n in range(2, 12)),  # the id write-back
        p(12, HubSpot_Id__c="hs-2"),  # claimed earlier in this list
        p(13, HubSpot_Id__c="HELD"),  # held before the list (NOCASE)
        p(0, HubSpot_Id__c="freed"),  # the holder moves away...
        p(14, HubSpot_Id__c="held"),  # ...so this one may take it
        p(15, HubSpot_Id__c="freed"),  # and this one may not
        p(16, Account__c=accounts[1], Budget__c=1234.5),  # a roll-up input moves
        p(17, Account__c=accounts[2]),
        p(18, Account__c="001000000000000AAA"),  # no such account
        p(19, Name=None),  # required
        p(20, CreatedDate="2020-01-01T00:00:00.000Z"),  # not updateable
        p(1, HubSpot_Id__c="deleted"),  # in the recycle bin
        p(21),  # nothing changes: SystemModstamp still moves
        {"attributes": {"type": "Project__c"}, "Id": "nonsense", "Name": "x"},
        {"attributes": {"type": "Project__c"}, "Name": "no id"},
        {"attributes": {"type": "Project__c"}, "Id": accounts[0], "Name": "wrong type"},
        {"attributes": {"type": "Account"}, "Id": accounts[3], "Name": "renamed"},
        p(22, HubSpot_Id__c="hs-3"),  # claimed earlier in this list
    ]


@pytest.mark.parametrize("all_or_none", [False, True])
def test_batch_matches_sequential(
    orgs: tuple[SalesforceStore, SalesforceStore], all_or_none: bool
) -> None:
    batch, one_by_one = orgs
    records_a, records_b = mixed_list(batch), mixed_list(one_by_one)
    assert records_a == records_b
    got = [
        r.as_json()
        for r in batch.update_many(None, records_a, all_or_none=all_or_none, refusals=False)
    ]
    assert got == sequential(one_by_one, records_b, all_or_none)
    assert rows(batch) == rows(one_by_one)
    codes = [r["errors"][0]["statusCode"] if r["errors"] else None for r in got]
    if not all_or_none:
        assert codes[10:15] == [
            "DUPLICATE_VALUE", "DUPLICATE_VALUE", None, None, "DUPLICATE_VALUE"
        ]  # fmt: skip
        assert codes[15:] == [
            None, None, "INVALID_CROSS_REFERENCE_KEY", None, "INVALID_FIELD_FOR_INSERT_UPDATE",
            "ENTITY_IS_DELETED", None, "MALFORMED_ID", "MISSING_ARGUMENT",
            "INVALID_CROSS_REFERENCE_KEY", None, "DUPLICATE_VALUE",
        ]  # fmt: skip
    else:
        assert set(codes[:10]) == {"ALL_OR_NONE_OPERATION_ROLLED_BACK"}


def test_write_back_is_set_based(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids written back to 30 records: a handful of statements, not one or more a record."""
    store = org(tmp_path / "sf.db")
    projects = ids(store, "Project__c")
    conn = store.db.conn
    statements: list[str] = []
    for name in ("execute", "executemany"):
        real = getattr(conn, name)

        def counted(sql: str, *args: Any, real: Any = real) -> Any:
            statements.append(sql.split()[0])
            return real(sql, *args)

        monkeypatch.setattr(conn, name, counted)
    traced: list[str] = []  # every statement run, through any cursor (executemany: a row)
    conn.set_trace_callback(traced.append)
    results = store.update_many(
        "Project__c", [{"Id": i, "HubSpot_Id__c": f"hs-{i}"} for i in projects], refusals=False
    )
    conn.set_trace_callback(None)
    monkeypatch.undo()
    assert all(r.success for r in results)
    # the rows (read through a cursor of their own) and the unique values' holders
    assert sum(t.startswith("SELECT") for t in traced) == 2
    # BEGIN, the holders, one UPDATE per set of changed columns (a row whose audit
    # fields already hold this instant changes fewer), COMMIT
    assert statements[:2] == ["BEGIN", "SELECT"]
    assert statements[2:] in (["UPDATE", "COMMIT"], ["UPDATE", "UPDATE", "COMMIT"])
    with store.db.reading() as conn:
        written = conn.execute(
            'SELECT DISTINCT "SystemModstamp" FROM "sobj_Project__c" WHERE "HubSpot_Id__c" '
            "IS NOT NULL"
        ).fetchall()
    assert [tuple(r) for r in written] == [("2026-11-29T12:00:00.000Z",)]


def bulk_update(store: SalesforceStore, csv_text: str) -> tuple[dict[str, Any], str, str]:
    """A Bulk 2.0 update job over ``csv_text``: its final view and both results CSVs."""
    jobs = BulkJobs(store, CursorStore(store.db, store.schema, store.clock), lambda: 0)
    job = jobs.create_ingest_job(
        {"object": "Project__c", "operation": "update", "lineEnding": "LF"}, "62.0"
    )
    jobs.upload(job["id"], csv_text)
    jobs.set_state(job["id"], "ingest", "UploadComplete", "62.0")
    view = jobs.ingest_job(job["id"])
    return view, jobs.results_csv(job["id"], "success"), jobs.results_csv(job["id"], "failed")


def test_bulk_update_results_csv_match_sequential(
    orgs: tuple[SalesforceStore, SalesforceStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bulk 2.0 updates of good, missing, malformed, deleted, clashing and invalid rows:
    the set-based path (rows read with only the columns an update needs) answers with
    byte for byte the results CSVs and the stored rows of the record-by-record path. The
    second job moves a roll-up's input without naming its lookup."""
    batch, one_by_one = orgs
    jobs: list[list[str]] = []
    for store in orgs:
        projects, accounts = ids(store, "Project__c"), ids(store, "Account")
        store.delete(projects[1])
        lines = [
            "Id,HubSpot_Id__c,Budget__c,Account__c,Name",
            *(f"{projects[n]},hs-{n},,," for n in range(2, 8)),  # the id write-back
            f"{projects[8]},hs-2,,,",  # claimed earlier in this job
            f"{projects[1]},hs-1,,,",  # deleted
            "a0X000000000000AAA,hs-x,,,",  # no such record
            "nonsense,hs-y,,,",  # malformed id
            f"{projects[9]},,not a number,,",  # invalid number
            f"{projects[10]},,12.5,{accounts[1]},Renamed",  # a roll-up input moves
            f"{projects[11]},,,001000000000000AAA,",  # no such account
            f'{projects[12]},hs-12,,,"Quoted, name"',
            f"{projects[13]},,,,",  # nothing set: only the audit fields move
        ]
        budgets = ["Id,Budget__c", *(f"{projects[n]},{n}.5" for n in range(14, 30))]
        jobs.append(["\n".join(lines) + "\n", "\n".join(budgets) + "\n"])
    assert jobs[0] == jobs[1]
    got = [bulk_update(batch, text) for text in jobs[0]]
    monkeypatch.setattr(UpdateBatch, "of", classmethod(lambda cls, schema, items: None))
    expected = [bulk_update(one_by_one, text) for text in jobs[1]]
    assert got == expected
    assert rows(batch) == rows(one_by_one)
    view, success, failed = got[0]
    assert (view["numberRecordsProcessed"], view["numberRecordsFailed"]) == (15, 6)
    assert success.count("\n") == 1 + 9 and failed.count("\n") == 1 + 6
    assert got[1][0]["numberRecordsFailed"] == 0


def test_derive_changes_only_the_objects_the_batch_reads_whole() -> None:
    """A batch reads every column only of DERIVING_OBJECTS: derive, given every field of
    any other object as changed, leaves its row as it is."""
    schema = default_schema()
    for obj in schema.objects():
        row: dict[str, Any] = dict.fromkeys(obj.fields)
        derive(obj, row, set(obj.fields), "2026-11-29T12:00:00.000Z")
        assert (row != dict.fromkeys(obj.fields)) == (obj.name in DERIVING_OBJECTS), obj.name


@settings(max_examples=300)
@given(st.text())
def test_nocase_folds_as_sqlite_nocase(value: str) -> None:
    """The batch's holder maps fold a unique value as SQLite's NOCASE compares it (ASCII
    letters only, whichever way nocase takes)."""
    conn = sqlite3.connect(":memory:")
    folded = conn.execute("SELECT lower(?)", (value,)).fetchone()[0]  # ASCII-only lower
    assert nocase(value) == folded
    assert conn.execute("SELECT ? = ? COLLATE NOCASE", (value, folded)).fetchone()[0] == 1
