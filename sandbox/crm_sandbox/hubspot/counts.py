"""Fast exact counts for search ``total``: key-range counts in O(one bucket), not O(range).

SQLite's B-tree has no rank, so ``COUNT(*)`` of a range walks every row of it (~100 ms
per million). The taps' incremental page (``modified >= T``) asks for such a count on
every page. Instead, after each write to the store (``Database.version``), the first
count over a property's keys lays *marks*: every ``STEP``-th ``(key, record_id)`` in index
order, found by ``OFFSET`` jumps (a few hundred ms at 1,000,000 keys, once). The number
of keys below any bound is then the rank of the nearest mark below it plus a count of
the at most ``STEP`` keys between that mark and the bound.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

    from crm_sandbox.core.db import Database

STEP = 4096
_KEYS = "FROM record_keys WHERE object_type_id = ? AND prop = ?"


@dataclass
class Bound:
    key: Any
    inclusive: bool


@dataclass
class _Marks:
    keys: list[Any]
    ids: list[int]
    total: int


class RangeCounts:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._version = -1
        self._marks: dict[tuple[str, str], _Marks] = {}
        self._live: dict[str, int] = {}

    def _fresh(self) -> None:
        if self._version != self.db.version:
            self._marks.clear()
            self._live.clear()
            self._version = self.db.version

    def live(self, conn: sqlite3.Connection, type_id: str) -> int:
        """Live records of a type (cached until the next write)."""
        with self._lock:
            self._fresh()
            if type_id not in self._live:
                self._live[type_id] = int(
                    conn.execute(
                        "SELECT COUNT(*) FROM records WHERE object_type_id = ? AND archived = 0",
                        (type_id,),
                    ).fetchone()[0]
                )
            return self._live[type_id]

    def between(
        self,
        conn: sqlite3.Connection,
        type_id: str,
        prop: str,
        low: Bound | None,
        high: Bound | None,
    ) -> int:
        """Keys of ``prop`` within the bounds (None: unbounded on that side)."""
        with self._lock:
            self._fresh()
            marks = self._marks.get((type_id, prop))
            if marks is None:
                marks = self._marks[type_id, prop] = _lay(conn, type_id, prop)
        above = marks.total if high is None else _rank(conn, type_id, prop, marks, high)
        if low is None:
            return above
        below = _rank(conn, type_id, prop, marks, Bound(low.key, not low.inclusive))
        return max(0, above - below)


def _lay(conn: sqlite3.Connection, type_id: str, prop: str) -> _Marks:
    keys: list[Any] = []
    ids: list[int] = []
    row = conn.execute(
        f"SELECT key, record_id {_KEYS} ORDER BY key, record_id LIMIT 1 OFFSET ?",
        (type_id, prop, STEP - 1),
    ).fetchone()
    while row is not None:
        keys.append(row[0])
        ids.append(int(row[1]))
        row = conn.execute(
            f"SELECT key, record_id {_KEYS} AND (key, record_id) > (?, ?)"
            " ORDER BY key, record_id LIMIT 1 OFFSET ?",
            (type_id, prop, row[0], row[1], STEP - 1),
        ).fetchone()
    if keys:
        rest = conn.execute(
            f"SELECT COUNT(*) {_KEYS} AND (key, record_id) > (?, ?)",
            (type_id, prop, keys[-1], ids[-1]),
        ).fetchone()[0]
    else:
        rest = conn.execute(f"SELECT COUNT(*) {_KEYS}", (type_id, prop)).fetchone()[0]
    return _Marks(keys, ids, len(keys) * STEP + int(rest))


def _rank(conn: sqlite3.Connection, type_id: str, prop: str, marks: _Marks, bound: Bound) -> int:
    """Keys below ``bound`` (``<=`` when inclusive, ``<`` otherwise)."""
    op = "<=" if bound.inclusive else "<"
    # marks strictly inside the range: the last of them and its rank
    cut = (bisect.bisect_right if bound.inclusive else bisect.bisect_left)(marks.keys, bound.key)
    if cut == 0:
        row = conn.execute(
            f"SELECT COUNT(*) {_KEYS} AND key {op} ?", (type_id, prop, bound.key)
        ).fetchone()
        return int(row[0])
    last = cut - 1
    row = conn.execute(
        f"SELECT COUNT(*) {_KEYS} AND (key, record_id) > (?, ?) AND key {op} ?",
        (type_id, prop, marks.keys[last], marks.ids[last], bound.key),
    ).fetchone()
    return cut * STEP + int(row[0])
