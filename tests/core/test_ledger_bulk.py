"""The ledger's driver-level statements (crm_sync.ledger.bulk) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, delete, select

from crm_sync.ledger import LedgerStore
from crm_sync.ledger.bulk import BulkStatement, InQuery, ListBinds
from crm_sync.ledger.engine import json_text
from crm_sync.ledger.models import SyncRecordRow, stamp_binder
from crm_sync.ledger.writebacks import write_back_pages
from crm_sync.ledger.writes import LINK_WITH_BASE, UNPAIR
from crm_sync.vocabulary import Direction, RecordError

RECORDS = SyncRecordRow.__table__
T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


@pytest.fixture
def store(ledger_url: str) -> Any:
    with LedgerStore(ledger_url) as opened:
        yield opened


def _records(lists: ListBinds) -> Any:
    return select(RECORDS.c.sf_id, RECORDS.c.base, RECORDS.c.sf_modified_at).where(
        RECORDS.c.mapping == bindparam("mapping"), RECORDS.c.sf_id.in_(lists["ids"])
    )


def test_rows_go_in_as_tuples_and_come_back_as_the_columns_types(store: LedgerStore) -> None:
    """Values bound as the column stores them read back as SQLAlchemy reads them."""
    query = InQuery(_records)
    with store.engine.begin() as connection:
        stamp = stamp_binder(connection.dialect.name)
        LINK_WITH_BASE.run(connection, [
            ("p", f"a{i}", f"h{i}", json_text({"salesforce": {"n": i}}), stamp(T0), None, stamp(T0))
            for i in range(3)
        ])  # fmt: skip
        UNPAIR.run(connection, [("p", "h1", "other")])  # h1 paired to another id: dropped
        found = {
            n: query.rows(connection, {"mapping": "p"}, {"ids": ids})
            for n, ids in ((1, ["a0"]), (3, ["a0", "a1", "a9"]))
        }
    assert found[1] == [("a0", {"salesforce": {"n": 0}}, T0)]
    assert sorted(found[3]) == [("a0", {"salesforce": {"n": 0}}, T0)]
    assert store.load("p", Direction.SF_TO_HS, ["a2"]).state("a2").source_seen_at == T0


def test_lists_of_every_length_share_a_few_compiled_shapes(store: LedgerStore) -> None:
    """An IN list is padded to a power of two: lengths 1..40 compile 7 shapes (1, 2, 4 ...
    64) per database, and each length still finds exactly its own rows."""
    query = InQuery(_records)
    with store.engine.begin() as connection:
        stamp = stamp_binder(connection.dialect.name)
        LINK_WITH_BASE.run(connection, [
            ("p", f"a{i}", f"h{i}", json_text({"n": i}), stamp(T0), None, stamp(T0))
            for i in range(40)
        ])  # fmt: skip
        for n in range(1, 41):
            ids = [f"a{i}" for i in range(n)]
            found = query.rows(connection, {"mapping": "p"}, {"ids": ids})
            assert sorted(row[0] for row in found) == sorted(ids)
    assert len(query._compiled) == 7


def test_a_statement_binding_other_columns_than_declared_is_refused(store: LedgerStore) -> None:
    wrong = BulkStatement(
        ("sf_id", "mapping"),  # compiled as mapping, then sf_id
        lambda _dialect: delete(RECORDS).where(
            RECORDS.c.mapping == bindparam("mapping"), RECORDS.c.sf_id == bindparam("sf_id")
        ),
    )
    with store.engine.begin() as connection, pytest.raises(AssertionError, match="declared"):
        wrong.run(connection, [("a0", "p")])


def test_probes_of_several_legs_in_one_call_touch_only_their_rows(store: LedgerStore) -> None:
    """Rows of different legs and codes in one call (on PostgreSQL: an array a leg)."""
    fwd, rev = Direction.SF_TO_HS, Direction.HS_TO_SF
    refused = RecordError("E1", "no")
    with store.batch() as uow:
        for mapping in ("p", "q"):
            for i in range(3):
                uow.queue_write_back(mapping, fwd, f"a{i}", f"h{i}")
                uow.dead_letter(mapping, fwd, f"a{i}", {"i": i}, refused)
        uow.dead_letter("p", rev, "h0", {}, RecordError("E2", "no"))
    with store.batch() as uow:
        uow.drop_write_backs("p", fwd, ["a0", "a1"])
        uow.drop_write_backs("q", fwd, ["a2", "a2"])
        uow.resolve_dead_letters("p", fwd, ["a0"], code="E1")
        uow.resolve_dead_letters("p", fwd, ["a1"], code="other")
        uow.resolve_dead_letters("q", fwd, ["a1", "a2"])
        uow.resolve_dead_letters("p", rev, ["h0"], code="E2")
    assert [w.source_id for w in next(write_back_pages(store.engine, "p", fwd, 10))] == ["a2"]
    assert [w.source_id for w in next(write_back_pages(store.engine, "q", fwd, 10))] == ["a0", "a1"]
    assert [d.source_id for d in store.dead_letters("p", fwd)] == ["a1", "a2"]
    assert [d.source_id for d in store.dead_letters("q", fwd)] == ["a0"]
    assert store.dead_letters("p", rev) == []


def test_answered_write_backs_go_only_where_the_queue_still_holds_the_pair(
    store: LedgerStore,
) -> None:
    """Pairs of two legs in one call (on PostgreSQL: two arrays a leg, zipped): a row
    queued again with another destination id stays; the pair written goes."""
    fwd = Direction.SF_TO_HS
    with store.batch() as uow:
        for mapping in ("p", "q"):
            for i in range(4):
                uow.queue_write_back(mapping, fwd, f"a{i}", f"h{i}")
    with store.batch() as uow:
        uow.queue_write_back("p", fwd, "a1", "new1")  # its record replaced meanwhile
    with store.batch() as uow:
        uow.drop_answered_write_backs("p", fwd, [("a0", "h0"), ("a1", "h1"), ("a2", "h3")])
        uow.drop_answered_write_backs("q", fwd, [("a3", "h3"), ("a3", "h3")])
    queued = {m: next(write_back_pages(store.engine, m, fwd, 10)) for m in ("p", "q")}
    assert [tuple(w) for w in queued["p"]] == [("a1", "new1"), ("a2", "h2"), ("a3", "h3")]
    assert [tuple(w) for w in queued["q"]] == [("a0", "h0"), ("a1", "h1"), ("a2", "h2")]
