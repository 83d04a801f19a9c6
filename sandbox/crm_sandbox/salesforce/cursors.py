"""Query cursors: the result set of a query fixed when it runs, paged by locator.

Like Salesforce's query locators, a cursor is a snapshot of the matching row ids in
query order, taken once (``INSERT INTO soql_cursor_row SELECT ...``) inside the
query's transaction. Pages join that snapshot back to the object table, so walking
1,000,000 rows uses constant memory in the server and returns every row exactly once,
whatever changes in between. Cursors expire after 15 minutes without use; at most 10
REST cursors are open at once (opening another releases the oldest, as in Salesforce).
Bulk 2.0 query jobs keep their results in the same tables for 7 days.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from crm_sandbox.core.ids import salesforce_id
from crm_sandbox.salesforce.soql import CompiledQuery, SoqlError, compile_query
from crm_sandbox.salesforce.soql.shaping import json_record
from crm_sandbox.salesforce.values import format_datetime

if TYPE_CHECKING:
    from crm_sandbox.core.clock import Clock
    from crm_sandbox.core.db import Database
    from crm_sandbox.salesforce.schema import SchemaRegistry

DEFAULT_BATCH = 2000
MIN_BATCH, MAX_BATCH = 200, 2000
CURSOR_TTL = timedelta(minutes=15)
BULK_RESULT_TTL = timedelta(days=7)
MAX_OPEN_CURSORS = 10
LOCATOR_PREFIX = "01g"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS soql_cursor (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,            -- 'rest' or 'bulk'
        soql TEXT NOT NULL,
        include_deleted INTEGER NOT NULL,
        total INTEGER NOT NULL DEFAULT 0,
        first_seq INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        touched_at TEXT NOT NULL)""",
    # seq is the rowid: one INSERT ... SELECT ... ORDER BY gives a contiguous range.
    "CREATE TABLE IF NOT EXISTS soql_cursor_row (seq INTEGER PRIMARY KEY, row_id INTEGER NOT NULL)",
)


def invalid_locator() -> SoqlError:
    return SoqlError("INVALID_QUERY_LOCATOR", "invalid query locator")


def parse_batch_size(header: str | None) -> int:
    """``Sforce-Query-Options: batchSize=N``: advisory, clamped to 200..2000."""
    if not header:
        return DEFAULT_BATCH
    for part in header.split(","):
        key, _, value = part.partition("=")
        if key.strip().lower() == "batchsize":
            try:
                return max(MIN_BATCH, min(MAX_BATCH, int(value.strip())))
            except ValueError:
                return DEFAULT_BATCH
    return DEFAULT_BATCH


@dataclass
class Page:
    """One page of a query result in wire form."""

    records: list[dict[str, Any]]
    total: int
    next_locator: str | None


@dataclass
class Snapshot:
    """A cursor row: which query, how many rows, where its range starts."""

    id: int
    soql: str
    include_deleted: bool
    total: int
    first_seq: int


class CursorStore:
    """Runs queries and serves their pages (REST locators and Bulk 2.0 results)."""

    def __init__(self, db: Database, schema: SchemaRegistry, clock: Clock) -> None:
        self.db = db
        self.schema = schema
        self.clock = clock
        self._compiled: dict[int, CompiledQuery] = {}
        self._lock = threading.Lock()
        self._ready = False

    # --- plumbing ------------------------------------------------------------------
    def ensure_tables(self, conn: sqlite3.Connection) -> None:
        if not self._ready:
            for sql in _SCHEMA:
                conn.execute(sql)
            self._ready = True

    def _now(self) -> str:
        return format_datetime(self.clock.now())

    def compile(self, soql: str) -> CompiledQuery:
        return compile_query(soql, self.schema, self.clock.now())

    def _compiled_for(self, snap: Snapshot) -> CompiledQuery:
        with self._lock:
            compiled = self._compiled.get(snap.id)
        if compiled is None:
            compiled = self.compile(snap.soql)
            with self._lock:
                if len(self._compiled) > 64:
                    self._compiled.clear()
                self._compiled[snap.id] = compiled
        return compiled

    @staticmethod
    def locator(cursor_id: int, position: int) -> str:
        return f"{salesforce_id(LOCATOR_PREFIX, cursor_id)}-{position}"

    @staticmethod
    def parse_locator(locator: str) -> tuple[int, int]:
        """``01g5g0000000001AAA-2000`` -> (cursor id, position)."""
        head, sep, tail = locator.partition("-")
        if not sep or len(head) != 18 or not head.startswith(LOCATOR_PREFIX):
            raise invalid_locator()
        from crm_sandbox.core.ids import BASE62

        try:
            cursor_id = 0
            for ch in head[6:15]:
                cursor_id = cursor_id * 62 + BASE62.index(ch)
            position = int(tail)
        except ValueError:
            raise invalid_locator() from None
        if salesforce_id(LOCATOR_PREFIX, cursor_id) != head or position < 0:
            raise invalid_locator()
        return cursor_id, position

    def _drop(self, conn: sqlite3.Connection, cursor_id: int) -> None:
        row = conn.execute(
            "SELECT first_seq, total FROM soql_cursor WHERE id = ?", (cursor_id,)
        ).fetchone()
        if row is not None:
            conn.execute(
                "DELETE FROM soql_cursor_row WHERE seq >= ? AND seq < ?",
                (row[0], row[0] + row[1]),
            )
            conn.execute("DELETE FROM soql_cursor WHERE id = ?", (cursor_id,))
        with self._lock:
            self._compiled.pop(cursor_id, None)

    def _expire(self, conn: sqlite3.Connection) -> None:
        """Release idle REST cursors (15 min), old bulk results (7 days), over-limit cursors."""
        now = self.clock.now()
        rest_cut = format_datetime(now - CURSOR_TTL)
        bulk_cut = format_datetime(now - BULK_RESULT_TTL)
        stale = conn.execute(
            "SELECT id FROM soql_cursor WHERE (kind = 'rest' AND touched_at < ?) "
            "OR (kind = 'bulk' AND created_at < ?)",
            (rest_cut, bulk_cut),
        ).fetchall()
        for (cursor_id,) in stale:
            self._drop(conn, cursor_id)
        open_ids = [
            r[0] for r in conn.execute("SELECT id FROM soql_cursor WHERE kind = 'rest' ORDER BY id")
        ]
        for cursor_id in open_ids[: max(0, len(open_ids) - (MAX_OPEN_CURSORS - 1))]:
            self._drop(conn, cursor_id)

    def snapshot(
        self,
        conn: sqlite3.Connection,
        compiled: CompiledQuery,
        include_deleted: bool,
        kind: str,
        id_range: tuple[str | None, str | None] | None = None,
    ) -> Snapshot:
        """Fix the result set of ``compiled`` now: its row ids, in query order.

        ``id_range`` narrows it to ``lo <= Id < hi`` (a Bulk 1.0 PK chunk).
        """
        self.ensure_tables(conn)
        self._expire(conn)
        now = self._now()
        cursor_id = conn.execute(
            "INSERT INTO soql_cursor (kind, soql, include_deleted, created_at, touched_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (kind, compiled.query.text, int(include_deleted), now, now),
        ).lastrowid
        assert cursor_id is not None
        first = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM soql_cursor_row").fetchone()[0]
        sql, params = compiled.rowid_sql(include_deleted, id_range=id_range)
        total = conn.execute(f"INSERT INTO soql_cursor_row (row_id) {sql}", params).rowcount
        conn.execute(
            "UPDATE soql_cursor SET total = ?, first_seq = ? WHERE id = ?",
            (total, first, cursor_id),
        )
        with self._lock:
            self._compiled[cursor_id] = compiled
        return Snapshot(cursor_id, compiled.query.text, include_deleted, total, first)

    def load(self, conn: sqlite3.Connection, cursor_id: int, kind: str) -> Snapshot:
        self.ensure_tables(conn)
        row = conn.execute(
            "SELECT id, soql, include_deleted, total, first_seq, touched_at FROM soql_cursor "
            "WHERE id = ? AND kind = ?",
            (cursor_id, kind),
        ).fetchone()
        if row is None:
            raise invalid_locator()
        if kind == "rest" and row[5] < format_datetime(self.clock.now() - CURSOR_TTL):
            self._drop(conn, cursor_id)
            raise invalid_locator()
        return Snapshot(row[0], row[1], bool(row[2]), row[3], row[4])

    def rows(
        self, conn: sqlite3.Connection, snap: Snapshot, start: int, count: int
    ) -> tuple[CompiledQuery, list[sqlite3.Row]]:
        """Rows ``start .. start+count`` of a snapshot, with today's field values."""
        compiled = self._compiled_for(snap)
        lo = snap.first_seq + start
        hi = snap.first_seq + min(snap.total, start + count)
        sql = (
            f"SELECT {compiled.columns_sql} FROM soql_cursor_row AS r "
            f'JOIN "{compiled.sobject.table}" AS t ON t._rowid = r.row_id{compiled.joins_sql} '
            "WHERE r.seq >= ? AND r.seq < ? ORDER BY r.seq"
        )
        return compiled, conn.execute(sql, (lo, hi)).fetchall()

    # --- REST query / queryAll -----------------------------------------------------
    def run(self, soql: str, include_deleted: bool, batch_size: int, version: str) -> Page:
        """Run a query; a result larger than one page is snapshotted behind a locator."""
        compiled = self.compile(soql)
        with self.db.transaction() as conn:
            if compiled.count is not None:
                sql, params = compiled.count_sql(include_deleted)
                total = conn.execute(sql, params).fetchone()[0]
                if compiled.count == "rows":
                    return Page([], total, None)
                record = {"attributes": {"type": "AggregateResult"}, "expr0": total}
                return Page([record], 1, None)
            sql, params = compiled.select_sql(include_deleted)
            cur = conn.execute(sql, params)
            first = cur.fetchmany(batch_size + 1)
            cur.close()
            if len(first) <= batch_size:
                records = [json_record(compiled, row, version) for row in first]
                return Page(records, len(records), None)
            snap = self.snapshot(conn, compiled, include_deleted, "rest")
            records = [json_record(compiled, row, version) for row in first[:batch_size]]
        return Page(records, snap.total, self.locator(snap.id, batch_size))

    def more(self, locator: str, batch_size: int, version: str) -> Page:
        """The page of a locator (``/query/{locator}``)."""
        cursor_id, position = self.parse_locator(locator)
        with self.db.transaction() as conn:
            snap = self.load(conn, cursor_id, "rest")
            if position >= snap.total:
                raise invalid_locator()
            compiled, rows = self.rows(conn, snap, position, batch_size)
            conn.execute(
                "UPDATE soql_cursor SET touched_at = ? WHERE id = ?", (self._now(), cursor_id)
            )
        records = [json_record(compiled, row, version) for row in rows]
        end = min(snap.total, position + batch_size)
        return Page(records, snap.total, self.locator(cursor_id, end) if end < snap.total else None)

    def reset(self) -> None:
        """Forget every cursor (a freshly provisioned org)."""
        with self.db.transaction() as conn:
            conn.execute("DROP TABLE IF EXISTS soql_cursor_row")
            conn.execute("DROP TABLE IF EXISTS soql_cursor")
            self._ready = False
            self.ensure_tables(conn)
        with self._lock:
            self._compiled.clear()
