"""The sync ledger on SQLite and PostgreSQL (see conftest: ``ledger_url``)."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from crm_sync.ledger import (
    SCHEMA_VERSION,
    LedgerError,
    LedgerStore,
    PendingAssociation,
    RunLogEntry,
)
from crm_sync.ledger.engine import sqlite_journal_mode
from crm_sync.reconcile import (
    Action,
    DestinationState,
    MappingPolicy,
    RunReport,
    SkipReason,
    SourceRecord,
    plan_record,
)
from crm_sync.vocabulary import AssociationType, Direction, RecordError, Side

FWD, REV = Direction.SF_TO_HS, Direction.HS_TO_SF
T0 = datetime(2024, 1, 1, tzinfo=UTC)
BASE = {"salesforce": {"Name": "A"}, "hubspot": {"name": "A"}}
POLICY = MappingPolicy.from_dict(
    {
        "name": "project",
        "delete": {"to_hubspot": "propagate"},
        "fields": [{"salesforce": "Name", "hubspot": "name"}],
    }
)


@pytest.fixture
def store(ledger_url):
    with LedgerStore(ledger_url, busy_timeout=10) as opened:
        yield opened


def test_schema_created_and_versioned(ledger_url):
    with LedgerStore(ledger_url) as first:
        assert first.schema_version == SCHEMA_VERSION
        with first.engine.connect() as connection:
            versions = connection.execute(text("SELECT version FROM ledger_schema_version"))
            assert [v for (v,) in versions] == [SCHEMA_VERSION]
    with LedgerStore(ledger_url) as again:  # reopening is a no-op
        assert again.schema_version == SCHEMA_VERSION
        with again.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO ledger_schema_version (version, applied_at) "
                    f"VALUES ({SCHEMA_VERSION + 1}, CURRENT_TIMESTAMP)"
                )
            )
    with pytest.raises(LedgerError, match="newer than this crm-sync"):
        LedgerStore(ledger_url)


def test_sqlite_file_uses_wal(tmp_path):
    with LedgerStore(tmp_path / "sub" / "ledger.db") as store:
        assert sqlite_journal_mode(store.engine) == "wal"
    with LedgerStore("sqlite://") as memory:  # an URL works too
        assert memory.count_records() == 0


def test_unsupported_database_or_driver_is_refused():
    with pytest.raises(LedgerError, match="unsupported database"):
        LedgerStore("mysql://nobody@127.0.0.1/x")
    with pytest.raises(LedgerError, match="no driver"):
        LedgerStore("postgresql+pg8000://nobody@127.0.0.1/x")


def test_link_and_load_both_directions(store):
    t_sf = datetime(2024, 1, 1, 12, 0, 0, 123000, tzinfo=timezone(timedelta(hours=2)))
    with store.batch() as uow:
        uow.link("project", "a1", "h1", base=BASE, sf_modified_at=t_sf, hs_modified_at=T0)
        uow.link("project", "a2", "h2")
        uow.link("other", "a1", "h9")  # same ids in another mapping: independent
    view = store.load("project", FWD, ["a1", "a2", "a3", "a1"])
    assert set(view.records) == {"a1", "a2"}
    state = view.state("a1")
    assert state.destination_id == "h1"
    assert state.base == BASE
    assert state.source_seen_at == t_sf
    assert state.source_seen_at.tzinfo is not None
    assert state.destination_seen_at == T0
    assert view.state("a3").destination_id is None
    reverse = store.load("project", REV, ["h1", "h9"])
    assert reverse.destination_id("h1") == "a1"
    assert reverse.destination_id("h9") is None
    assert store.lookup("project", Side.HUBSPOT, ["h2", "zz"]) == {"h2": "a2"}
    assert store.count_records("project") == 2
    assert store.count_records() == 3


def test_ids_are_one_to_one_and_relinking_replaces(store):
    with store.batch() as uow:
        uow.link("project", "a1", "h1")
        uow.link("project", "a2", "h2")
    with store.batch() as uow:
        uow.link("project", "a1", "h2")  # h2 now belongs to a1; a2's pairing goes
    assert store.lookup("project", Side.SALESFORCE, ["a1", "a2"]) == {"a1": "h2"}
    assert store.lookup("project", Side.HUBSPOT, ["h1", "h2"]) == {"h2": "a1"}


def test_base_kept_unless_given_and_times_only_advance(store):
    later = T0 + timedelta(hours=1)
    with store.batch() as uow:
        uow.link("project", "a1", "h1", base=BASE, sf_modified_at=later)
    with store.batch() as uow:
        uow.link("project", "a1", "h1", sf_modified_at=T0, hs_modified_at=T0)
    record = store.record("project", Side.SALESFORCE, "a1")
    assert record.base == BASE
    assert record.sf_modified_at == later
    assert record.hs_modified_at == T0
    with store.batch() as uow:
        uow.link("project", "a1", "h1", base={"salesforce": {"Name": Decimal("1.5")},
                                              "hubspot": {"name": T0}})  # fmt: skip
    assert store.record("project", Side.HUBSPOT, "h1").base == {
        "salesforce": {"Name": "1.5"},
        "hubspot": {"name": "2024-01-01T00:00:00+00:00"},
    }


def test_tombstones_first_delete_counts_and_reach_the_state(store):
    with store.batch() as uow:
        uow.link("project", "a1", "h1", base=BASE)
        uow.tombstone("project", Side.HUBSPOT, "h1", T0)
        uow.tombstone("project", Side.SALESFORCE, "a7", T0)
    with store.batch() as uow:
        uow.tombstone("project", Side.HUBSPOT, "h1", T0 + timedelta(days=1))
    view = store.load("project", FWD, ["a1", "a7"])
    assert view.state("a1").destination_deleted_at == T0
    assert view.state("a7").source_deleted_at == T0
    late = SourceRecord("a1", {"name": "late edit"}, modified_at=T0 + timedelta(days=2))
    plan = plan_record(POLICY, FWD, late, view.state("a1"))
    assert plan.skip_reason is SkipReason.TOMBSTONED


def test_live_links_leave_out_pairs_tombstoned_on_either_side(store):
    """The two-column lookup the association path uses answers as :meth:`load` does."""
    with store.batch() as uow:
        for n in range(5):
            uow.link("project", f"a{n}", f"h{n}", base=BASE)
        uow.link("other", "a3", "h3", base=BASE)  # another mapping's pair: not ours
        uow.tombstone("project", Side.SALESFORCE, "a1", T0)
        uow.tombstone("project", Side.HUBSPOT, "h2", T0)
        uow.tombstone("other", Side.HUBSPOT, "h4", T0)  # another mapping's tombstone
    ids = ["a0", "a1", "a2", "a3", "a4", "a9"]
    assert store.live_links("project", FWD, ids) == {"a0": "h0", "a3": "h3", "a4": "h4"}
    assert store.live_links("project", REV, ["h0", "h1", "h2"]) == {"h0": "a0"}
    view = store.load("project", FWD, ids)
    assert {
        i: r.id_on(Side.HUBSPOT)
        for i, r in view.records.items()
        if (Side.SALESFORCE, i) not in view.tombstones
        and (Side.HUBSPOT, r.id_on(Side.HUBSPOT)) not in view.tombstones
    } == store.live_links("project", FWD, ids)


def test_apply_plans_create_update_archive(store):
    created = plan_record(POLICY, FWD, SourceRecord("a1", {"name": "A"}, modified_at=T0))
    assert created.action is Action.CREATE
    with store.batch() as uow:
        uow.apply(created, destination_id="h1", destination_modified_at=T0)
    state = store.load("project", FWD, ["a1"]).state("a1")
    assert state.destination_id == "h1"
    assert state.base == {"salesforce": {"Name": "A"}, "hubspot": {"name": "A"}}
    edit = SourceRecord("a1", {"name": "B"}, modified_at=T0 + timedelta(minutes=1))
    updated = plan_record(POLICY, FWD, edit, state, DestinationState("h1", {"name": "A"}))
    with store.batch() as uow:
        uow.apply(updated)
    reverse = store.load("project", REV, ["h1"]).state("h1")
    assert reverse.base["salesforce"] == {"Name": "B"}
    assert reverse.destination_seen_at == T0 + timedelta(minutes=1)
    gone = SourceRecord("a1", {}, deleted_at=T0 + timedelta(minutes=2))
    archived = plan_record(POLICY, FWD, gone, store.load("project", FWD, ["a1"]).state("a1"))
    assert archived.action is Action.ARCHIVE
    with store.batch() as uow:
        uow.apply(archived)
    again = store.load("project", REV, ["h1"]).state("h1")
    assert again.source_deleted_at is not None and again.destination_deleted_at is not None
    with pytest.raises(ValueError, match="no destination id"), store.batch() as uow:
        uow.apply(plan_record(POLICY, FWD, SourceRecord("a9", {"name": "x"})))


def test_batch_is_atomic(store):
    with pytest.raises(RuntimeError), store.batch() as uow:
        uow.link("project", "a1", "h1")
        uow.dead_letter("project", FWD, "a2", {"name": "x"}, RecordError("E", "boom"))
        raise RuntimeError("destination write failed")
    assert store.count_records() == 0
    assert store.dead_letters("project", FWD) == []


def test_pending_associations_retry_and_resolve(store):
    company = AssociationType("Account__c", label="Project's company")
    item = PendingAssociation("project", FWD, "a1", company, "account", "001A")
    with store.batch() as uow:
        uow.add_pending(item)
        plain = AssociationType("Account__c")
        uow.add_pending(PendingAssociation("project", FWD, "a2", plain, "account", "001B"))
    with store.batch() as uow:  # next run: still not there
        again = PendingAssociation(
            "project", FWD, "a1", company, "account", "001A", last_error="not synced"
        )
        uow.add_pending(again)
    pending = store.pending_associations("project", FWD)
    assert [(p.from_id, p.attempts, p.last_error) for p in pending] == [
        ("a1", 2, "not synced"),
        ("a2", 1, None),
    ]
    assert pending[0].association == company and pending[0].target_source_id == "001A"
    assert store.pending_associations("project", REV) == []
    assert (store.count_pending("project", FWD), store.count_pending("project", REV)) == (2, 0)
    with store.batch() as uow:  # resolved by (from_id, lookup): another lookup of a2 stays
        uow.add_pending(
            PendingAssociation("project", FWD, "a2", AssociationType("Other__c"), "account", "1")
        )
        uow.resolve_pending("project", FWD, [("a1", "Account__c"), ("a2", "Other__c")])
    assert [p.from_id for p in store.pending_associations("project", FWD)] == ["a2"]
    assert store.count_pending("project", FWD) == 1
    # which lookups of given records are pending (the reverse leg keeps those lookups)
    assert store.pending_lookups("project", FWD, ["a1", "a2", "a3"]) == {("a2", "Account__c")}
    assert store.pending_lookups("project", REV, ["a2"]) == set()


def test_dead_letters_count_attempts_resolve_and_reopen(store):
    with store.batch() as uow:
        uow.dead_letter(
            "project", REV, "h1", {"Name": "x", "When": T0}, RecordError("DUPLICATE_VALUE", "dup")
        )
    with store.batch() as uow:
        long = RecordError("STRING_TOO_LONG", "too long", ("Name",))
        uow.dead_letter("project", REV, "h1", {"Name": "y"}, long)
    (letter,) = store.dead_letters("project", REV)
    assert letter.error == long
    assert (letter.attempts, letter.error.code, letter.payload) == (2, "STRING_TOO_LONG",
                                                                    {"Name": "y"})  # fmt: skip
    assert letter.first_seen <= letter.last_seen and letter.resolved_at is None
    with store.batch() as uow:
        uow.resolve_dead_letters("project", REV, ["h1"])
    assert store.dead_letters("project", REV) == []
    (resolved,) = store.dead_letters("project", REV, include_resolved=True)
    assert resolved.resolved_at is not None
    with store.batch() as uow:
        uow.dead_letter("project", REV, "h1", {}, RecordError("UNABLE_TO_LOCK_ROW", "locked"))
    (reopened,) = store.dead_letters("project", REV)
    assert reopened.attempts == 3 and reopened.resolved_at is None


def test_a_leg_without_letters_costs_no_resolve_probes(store):
    """A written batch closes its records' open letters: a leg that has none (a first
    import) sends no UPDATE for them; one refused in the same batch is still closed."""
    updates: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE DEAD_LETTER"):
            updates.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        with store.batch() as uow:
            uow.resolve_dead_letters("project", FWD, ["a1", "a2"])
        assert updates == []
        with store.batch() as uow:
            uow.dead_letter("project", FWD, "a1", {}, RecordError("INVALID", "bad"))
            uow.resolve_dead_letters("project", FWD, ["a1"])
            uow.resolve_dead_letters("project", REV, ["h1"])  # a leg with none: skipped
        assert len(updates) == 1
        assert store.dead_letters("project", FWD) == []
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)


def test_dead_letters_a_run_read_are_not_replayed_by_it_and_come_by_pages(store):
    error = RecordError("DUPLICATE_VALUE", "dup")
    with store.batch() as uow:  # an earlier run refused five records
        for n in range(5):
            uow.dead_letter("project", FWD, f"a{n}", {"n": n}, error, "run-0")
    assert store.has_open_dead_letters("project", FWD)
    assert not store.has_open_dead_letters("project", REV)
    with store.batch() as uow:  # this run reads a1 and a3 again, and refuses a9 for the first time
        uow.mark_seen("project", FWD, "run-1", ["a1", "a3", "a7"])
        uow.dead_letter("project", FWD, "a9", {"n": 9}, error, "run-1")
    pages = store.dead_letter_pages("project", FWD, 2, not_seen_in="run-1")
    assert [[d.source_id for d in page] for page in pages] == [["a0", "a2"], ["a4"]]
    every = store.dead_letter_pages("project", FWD, 4)
    assert [len(page) for page in every] == [4, 2]


def test_pending_pages_survive_rows_re_parked_or_made_between_pages(store):
    plain = AssociationType("Account__c")
    with store.batch() as uow:
        for n in range(5):
            uow.add_pending(PendingAssociation("project", FWD, f"a{n}", plain, "account", "1"))
    seen: list[str] = []
    for page in store.pending_pages("project", FWD, 2):
        seen += [p.from_id for p in page]
        with store.batch() as uow:  # the first of a page is made, the other parked again
            uow.resolve_pending("project", FWD, [(page[0].from_id, "Account__c")])
            for item in page[1:]:
                uow.add_pending(item)
    assert seen == ["a0", "a1", "a2", "a3", "a4"]
    left = store.pending_associations("project", FWD)
    assert [(p.from_id, p.attempts) for p in left] == [("a1", 2), ("a3", 2)]


def test_run_log_from_report(store):
    report = RunReport("project", FWD, started_at=T0)
    report.observe(plan_record(POLICY, FWD, SourceRecord("a1", {"name": "A"})))
    report.counts.api_calls = 3
    report.finish()
    with store.batch() as uow:
        uow.log_run(RunLogEntry.from_report("run-1", report))
    with store.batch() as uow:  # the same run logged again replaces its row
        report.counts.api_calls = 4
        uow.log_run(RunLogEntry.from_report("run-1", report))
    (entry,) = store.runs("run-1")
    assert entry.counts["created"] == 1 and entry.counts["read"] == 1
    assert entry.counts["api_calls"] == 4
    assert entry.started_at == T0 and entry.finished_at is not None
    assert entry.direction is FWD


def _count_statements(store):
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", listener)
    return statements, lambda: event.remove(store.engine, "before_cursor_execute", listener)


def test_hot_path_is_batched(store):
    """1,200 records: a few statements per 500 ids, never one per record."""
    ids = [f"a{i:05d}" for i in range(1200)]
    statements, stop = _count_statements(store)
    with store.batch() as uow:
        for i, source_id in enumerate(ids):
            plan = plan_record(POLICY, FWD, SourceRecord(source_id, {"name": f"n{i}"}))
            uow.apply(plan, destination_id=f"h{i}", destination_modified_at=T0)
            uow.tombstone("project", Side.SALESFORCE, f"gone{i}")
    writes = [s for s in statements if not s.startswith(("BEGIN", "COMMIT", "PRAGMA"))]
    assert len(writes) <= 8, writes
    statements.clear()
    view = store.load("project", FWD, ids)
    stop()
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 2 * 3  # records + tombstones, per chunk of 500
    assert len(view.records) == 1200
    assert view.state("a00007").destination_id == "h7"


_WRITER = """
import sys
from datetime import UTC, datetime
from crm_sync.ledger import LedgerStore
from crm_sync.vocabulary import Direction, RecordError, Side

import os, time
url, worker, batches, per_batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = LedgerStore(url, busy_timeout=30)
t0 = datetime(2024, 1, 1, tzinfo=UTC)
print("ready", flush=True)
while sys.argv[5:] and not os.path.exists(sys.argv[5]):  # start together
    time.sleep(0.005)
started = time.time()
for b in range(batches):
    with store.batch() as uow:
        for i in range(per_batch):
            n = f"{worker}-{b}-{i}"
            uow.link("project", f"a{n}", f"h{n}", base={"salesforce": {"n": n}}, sf_modified_at=t0)
        error = RecordError("E", "x")
        uow.dead_letter("project", Direction.SF_TO_HS, "shared", {"worker": worker}, error)
        uow.tombstone("project", Side.HUBSPOT, f"t{worker}-{b}")
print(started, time.time())
store.close()
"""


class _ProcessWriter:
    """A writer in its own Python process (the way two targets share a ledger)."""

    def __init__(
        self, url: str, worker: int, batches: int, per_batch: int, go: Path | None = None
    ) -> None:
        argv = [sys.executable, "-c", _WRITER, url, str(worker), str(batches), str(per_batch)]
        self.argv = argv + ([str(go)] if go else [])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def wait_ready(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        assert self.process.stdout.readline().strip() == b"ready"

    def join(self, timeout: float) -> None:
        assert self.process is not None
        out, err = self.process.communicate(timeout=timeout)
        assert self.process.returncode == 0, err.decode()
        self.window = tuple(float(x) for x in out.splitlines()[-1].split())


def _write_in_thread(url: str, worker: int, batches: int, per_batch: int) -> None:
    store = LedgerStore(url, busy_timeout=30)
    try:
        for b in range(batches):
            with store.batch() as uow:
                for i in range(per_batch):
                    n = f"{worker}-{b}-{i}"
                    base = {"salesforce": {"n": n}}
                    uow.link("project", f"a{n}", f"h{n}", base=base, sf_modified_at=T0)
                uow.dead_letter("project", FWD, "shared", {"worker": worker}, RecordError("E", "x"))
                uow.tombstone("project", Side.HUBSPOT, f"t{worker}-{b}")
    finally:
        store.close()


def test_concurrent_writers_on_one_ledger(ledger_url, tmp_path):
    """Concurrent writers (processes; on PostgreSQL also threads) never lose or corrupt."""
    LedgerStore(ledger_url).close()  # schema first, as a target's setup does
    batches, per_batch = 40, 25
    go = tmp_path / "go"
    processes = [_ProcessWriter(ledger_url, w, batches, per_batch, go) for w in range(2)]
    workers: list[Any] = list(processes)
    if ledger_url.startswith("postgresql"):  # and two threads of one process
        workers += [
            threading.Thread(target=_write_in_thread, args=(ledger_url, w, batches, per_batch))
            for w in (2, 3)
        ]
    for worker in workers:
        worker.start()
    for process in processes:
        process.wait_ready()
    go.touch()
    for worker in workers:
        worker.join(timeout=120)
    (a_start, a_end), (b_start, b_end) = processes[0].window, processes[1].window
    assert a_start < b_end and b_start < a_end, "the two writer processes did not overlap"
    with LedgerStore(ledger_url) as store:
        assert store.count_records("project") == len(workers) * batches * per_batch
        (letter,) = store.dead_letters("project", FWD)
        assert letter.attempts == len(workers) * batches
        view = store.load("project", REV, [f"h1-{batches - 1}-{per_batch - 1}"])
        assert len(view.records) == 1
        if store.engine.dialect.name == "sqlite":
            with store.engine.connect() as connection:
                assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_concurrent_schema_creation(tmp_path: Path):
    """Several processes opening a new ledger at once all succeed."""
    url = str(tmp_path / "fresh.db")
    workers = [_ProcessWriter(url, w, 1, 1) for w in range(3)]  # no barrier: racing opens
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    with LedgerStore(url) as store:
        assert store.count_records() == 3


def test_json_ready_copies_records_as_json_columns_store_them():
    """Exact-type fast paths and the general ones give the same stored JSON."""
    import json
    from collections import OrderedDict
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from crm_sync.ledger.store import _json_ready

    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    record = {
        "budget": Decimal("12.50"),
        "kickoff": at,
        "start": date(2026, 1, 2),
        "links": [{"source_id": "001", "at": at}, ("a", Decimal("1.0"))],
        "native": OrderedDict(Budget__c=Decimal("3.0"), Active=True),
        1: None,
    }
    copied = _json_ready(record)
    assert copied == {
        "budget": "12.50",
        "kickoff": "2026-01-02T03:04:05+00:00",
        "start": "2026-01-02",
        "links": [{"source_id": "001", "at": "2026-01-02T03:04:05+00:00"}, ["a", "1.0"]],
        "native": {"Budget__c": "3.0", "Active": True},
        "1": None,
    }
    assert json.loads(json.dumps(copied)) == copied
