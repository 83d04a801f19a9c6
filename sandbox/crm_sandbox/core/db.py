"""SQLite plumbing shared by the sandbox's stores.

Each store owns one SQLite file in the data directory. The server process is the
only writer while it runs (the CLI goes through its control API then), so a store
may cache its schema; WAL mode lets other processes read at the same time.

Durability: a commit reaches the operating system before it returns, so the files
survive a killed server (tests and benches kill it); with ``synchronous=OFF`` SQLite never
waits for the disk (no fsync at checkpoints), so a power cut could lose recent writes, which a
test double may. The fsyncs cost the sandbox ~40 % of a commit's CPU time and twice its
wall time on a forward leg's association batches (measured on this 2-core machine).

Read-your-writes: a connection in WAL mode reads from a snapshot that stays pinned as
long as any of its statements is still active, i.e. a cursor was left with rows
unread. Such a connection then misses every write committed through another
connection (another sandbox process on the same data directory, the CLI's in-process
fallback) until that cursor happens to be garbage-collected: a COUNT() that disagrees
with a Bulk job seconds apart. So every cursor made inside a block is closed when the
outermost block ends, and each block starts from the newest committed state.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class _TrackedConnection(sqlite3.Connection):
    """A connection that remembers the cursors ``execute`` made, to release them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursors: weakref.WeakSet[sqlite3.Cursor] = weakref.WeakSet()

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        cursor = self.cursor()
        self.cursors.add(cursor)
        return cursor.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        cursor = self.cursor()
        self.cursors.add(cursor)
        return cursor.executemany(sql, parameters)

    def release_statements(self) -> None:
        """Close every cursor still open: no statement keeps an old snapshot pinned."""
        for cursor in list(self.cursors):
            cursor.close()
        self.cursors.clear()


class Database:
    """One SQLite connection guarded by a re-entrant lock, with explicit transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.conn: _TrackedConnection = sqlite3.connect(
            str(path),
            check_same_thread=False,
            isolation_level=None,
            timeout=30.0,
            factory=_TrackedConnection,
        )
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")  # see the module doc: durability
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA temp_store=MEMORY")
        # A checkpoint every 10,000 WAL pages (~40 MB) instead of 1,000: a page written by
        # many commits in between is copied back once (on a 100k forward leg the HubSpot
        # file's page writes fell 12 % and its page reads 30 %).
        self.conn.execute("PRAGMA wal_autocheckpoint=10000")
        self.conn.release_statements()
        self._depth = 0
        """Open transaction blocks (a nested block joins the outer transaction)."""
        self._blocks = 0
        """Open blocks of either kind; the outermost one releases statements on exit."""
        self.after_commit: list[Callable[[], None]] = []
        self.after_rollback: list[Callable[[], None]] = []
        """Hooks run (under the lock) when an outermost transaction ends: caches of
        derived data apply or drop what the transaction reported to them."""

    @contextmanager
    def _block(self) -> Iterator[None]:
        with self.lock:
            self._blocks += 1
            try:
                yield
            finally:
                self._blocks -= 1
                if self._blocks == 0:
                    self.conn.release_statements()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block atomically; nested blocks join the outer transaction."""
        with self._block():
            outer = self._depth == 0
            if outer and self._blocks == 1:
                self.conn.release_statements()  # BEGIN on the newest committed state
            if outer:
                self.conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self.conn.execute("ROLLBACK")
                    for hook in self.after_rollback:
                        hook()
                raise
            else:
                self._depth -= 1
                if outer:
                    self.conn.execute("COMMIT")
                    for hook in self.after_commit:
                        hook()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock for a read that sees every write committed before it began."""
        with self._block():
            yield self.conn

    def close(self) -> None:
        with self.lock:
            self.conn.release_statements()
            self.conn.close()
