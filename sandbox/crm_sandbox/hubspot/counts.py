"""Fast exact counts for search ``total``: key-range counts in O(one bucket), not O(range).

SQLite's B-tree has no rank, so ``COUNT(*)`` of a range walks every row of it (~100 ms
per million). The taps' incremental page (``modified >= T``) asks for such a count on
every page. So the first large count over a property's keys lays *marks*: every
``STEP``-th ``(key, record_id)`` in index order, found by ``OFFSET`` jumps (a few hundred
ms at 1,000,000 keys, once), with the number of keys in each bucket between two marks.
The number of keys below any bound is the sum of the buckets below it plus a count of
the keys between the last of them and the bound (one bucket at most).

Writes keep the buckets exact: every key added or removed is reported here and applied
when its transaction commits (dropped on rollback, or on a rollback to a savepoint). A
bucket grown past ``4 * STEP`` (new modification times all land in the last one) makes
the property's marks be laid again. Live records per type are counted the same way.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
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
    marks: list[tuple[Any, int]]
    buckets: list[int]
    """``buckets[i]``: keys in ``(marks[i-1], marks[i]]``; the last one is past every mark."""
    keys: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.keys = [m[0] for m in self.marks]


class RangeCounts:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._marks: dict[tuple[str, str], _Marks] = {}
        self._live: dict[str, int] = {}
        self._pending: list[tuple[str, str, Any, int, int]] = []
        db.after_commit.append(self._commit)
        db.after_rollback.append(self._pending.clear)

    # -- writes -----------------------------------------------------------------------------
    def changed(self, type_id: str, prop: str, key: Any, record_id: int, delta: int) -> None:
        """A key added (+1) or removed (-1) inside the open transaction; ``prop`` "" is the
        live-records count of the type."""
        self._pending.append((type_id, prop, key, record_id, delta))

    def savepoint(self) -> int:
        return len(self._pending)

    def rollback_to(self, mark: int) -> None:
        del self._pending[mark:]

    def forget(self) -> None:
        """After a rebuild or wipe: lay everything again when next asked."""
        with self._lock:
            self._marks.clear()
            self._live.clear()

    def _commit(self) -> None:
        pending, self._pending[:] = list(self._pending), []
        if not pending:
            return
        with self._lock:
            for type_id, prop, key, record_id, delta in pending:
                if not prop:
                    if type_id in self._live:
                        self._live[type_id] += delta
                    continue
                marks = self._marks.get((type_id, prop))
                if marks is None:
                    continue
                at = bisect.bisect_left(marks.marks, (key, record_id))
                marks.buckets[at] += delta
                if marks.buckets[at] > 4 * STEP:
                    del self._marks[type_id, prop]

    # -- reads ------------------------------------------------------------------------------
    def live(self, conn: sqlite3.Connection, type_id: str) -> int:
        """Live records of a type."""
        with self._lock:
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
            marks = self._marks.get((type_id, prop))
            if marks is None:
                small = _count_small(conn, type_id, prop, low, high)
                if small is not None:
                    return small
                marks = self._marks[type_id, prop] = _lay(conn, type_id, prop)
            above = sum(marks.buckets) if high is None else _rank(conn, type_id, prop, marks, high)
            if low is None:
                return above
            below = _rank(conn, type_id, prop, marks, Bound(low.key, not low.inclusive))
            return max(0, above - below)


def _count_small(
    conn: sqlite3.Connection, type_id: str, prop: str, low: Bound | None, high: Bound | None
) -> int | None:
    """The count when it is at most ``2 * STEP`` (an EQ, a narrow range), else None."""
    where, params = "", []
    if low is not None:
        where += f" AND key {'>=' if low.inclusive else '>'} ?"
        params.append(low.key)
    if high is not None:
        where += f" AND key {'<=' if high.inclusive else '<'} ?"
        params.append(high.key)
    cap = 2 * STEP
    row = conn.execute(
        f"SELECT COUNT(*) FROM (SELECT 1 {_KEYS}{where} LIMIT ?)",
        (type_id, prop, *params, cap + 1),
    ).fetchone()
    return None if int(row[0]) > cap else int(row[0])


def _lay(conn: sqlite3.Connection, type_id: str, prop: str) -> _Marks:
    marks: list[tuple[Any, int]] = []
    row = conn.execute(
        f"SELECT key, record_id {_KEYS} ORDER BY key, record_id LIMIT 1 OFFSET ?",
        (type_id, prop, STEP - 1),
    ).fetchone()
    while row is not None:
        marks.append((row[0], int(row[1])))
        row = conn.execute(
            f"SELECT key, record_id {_KEYS} AND (key, record_id) > (?, ?)"
            " ORDER BY key, record_id LIMIT 1 OFFSET ?",
            (type_id, prop, row[0], row[1], STEP - 1),
        ).fetchone()
    if marks:
        rest = conn.execute(
            f"SELECT COUNT(*) {_KEYS} AND (key, record_id) > (?, ?)",
            (type_id, prop, *marks[-1]),
        ).fetchone()[0]
    else:
        rest = conn.execute(f"SELECT COUNT(*) {_KEYS}", (type_id, prop)).fetchone()[0]
    return _Marks(marks, [STEP] * len(marks) + [int(rest)])


def _rank(conn: sqlite3.Connection, type_id: str, prop: str, marks: _Marks, bound: Bound) -> int:
    """Keys below ``bound`` (``<=`` when inclusive, ``<`` otherwise)."""
    op = "<=" if bound.inclusive else "<"
    # marks inside the range: the buckets up to the last of them are counted whole
    cut = (bisect.bisect_right if bound.inclusive else bisect.bisect_left)(marks.keys, bound.key)
    if cut == 0:
        row = conn.execute(
            f"SELECT COUNT(*) {_KEYS} AND key {op} ?", (type_id, prop, bound.key)
        ).fetchone()
        return int(row[0])
    row = conn.execute(
        f"SELECT COUNT(*) {_KEYS} AND (key, record_id) > (?, ?) AND key {op} ?",
        (type_id, prop, *marks.marks[cut - 1], bound.key),
    ).fetchone()
    return sum(marks.buckets[:cut]) + int(row[0])
