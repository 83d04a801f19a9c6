"""SQLite plumbing shared by the sandbox's stores.

Each store owns one SQLite file in the data directory. The server process is the
only writer while it runs (the CLI goes through its control API then), so a store
may cache its schema; WAL mode lets other processes read at the same time.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class Database:
    """One SQLite connection guarded by a re-entrant lock, with explicit transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30.0
        )
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA temp_store=MEMORY")
        self._depth = 0
        self.after_commit: list[Callable[[], None]] = []
        self.after_rollback: list[Callable[[], None]] = []
        """Hooks run (under the lock) when an outermost transaction ends: caches of
        derived data apply or drop what the transaction reported to them."""

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block atomically; nested blocks join the outer transaction."""
        with self.lock:
            outer = self._depth == 0
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
        """Hold the lock for a consistent read without starting a write transaction."""
        with self.lock:
            yield self.conn

    def close(self) -> None:
        with self.lock:
            self.conn.close()
