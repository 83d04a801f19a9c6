"""One writer per mapping: a lock per mapping held in (or beside) the ledger.

Runs of different mappings may write one ledger at once; two runs of the same mapping
at once would interleave their batches, so the second is refused when it starts.
The lock goes away with the process that holds it, even on SIGKILL:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) keyed by the
  mapping, on a connection kept for the life of the run; the server drops it when
  that connection closes (process exit included). The connection's
  ``application_name`` names the holder, so a refusal can say who holds it.
- SQLite: an exclusive ``flock`` on a file beside the ledger file
  (``<ledger>.lock-<mapping>``), which the kernel releases when the process dies; the
  file holds the holder's host and pid for the message.
- An in-memory SQLite ledger lives in one process: nothing to lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, func, select, text

from crm_sync.ledger_errors import MappingLockedError

_APPLICATION_PREFIX = "crm-sync "
"""``application_name`` of a lock's connection: this prefix, then the holder."""


def holder_name() -> str:
    """Who this process is, as a lock holder: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def advisory_key(mapping: str) -> int:
    """The PostgreSQL advisory lock key (a signed 64-bit int) of a mapping."""
    digest = hashlib.sha256(f"crm-sync mapping {mapping}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _refusal(mapping: str, holder: str | None) -> MappingLockedError:
    by = f" (held by {holder})" if holder else ""
    return MappingLockedError(
        f"mapping {mapping!r} is already being synced by another run{by}; refusing to start "
        "a second run of it (wait for that run to finish, or run a different mapping)"
    )


_Handle = Connection | IO[str] | None


@dataclass
class _Held:
    handle: _Handle
    count: int = 0


_PROCESS_HELD: dict[tuple[str, str], _Held] = {}
"""Locks this process holds, by (ledger URL, mapping): the lock stops other processes;
within one process (two target instances in a test, a rerun after an error) it is
shared and counted, released when the last holder lets go."""


class MappingLocks:
    """The mapping locks this process holds on one ledger (re-entrant per mapping)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ledger = engine.url.render_as_string(hide_password=True)
        self._held: set[str] = set()

    @property
    def held(self) -> frozenset[str]:
        return frozenset(self._held)

    def acquire(self, mapping: str) -> None:
        """Take ``mapping``'s lock or raise :class:`MappingLockedError` at once (no wait)."""
        if mapping in self._held:
            return
        key = (self._ledger, mapping)
        held = _PROCESS_HELD.get(key)
        if held is None:
            if self.engine.dialect.name == "postgresql":
                held = _Held(self._acquire_advisory(mapping))
            else:
                held = _Held(self._acquire_file(mapping))
            _PROCESS_HELD[key] = held
        held.count += 1
        self._held.add(mapping)

    def release_all(self) -> None:
        for mapping in list(self._held):
            self.release(mapping)

    def release(self, mapping: str) -> None:
        if mapping not in self._held:
            return
        self._held.discard(mapping)
        key = (self._ledger, mapping)
        held = _PROCESS_HELD[key]
        held.count -= 1
        if held.count:
            return
        del _PROCESS_HELD[key]
        if isinstance(held.handle, Connection):
            held.handle.execute(select(func.pg_advisory_unlock(advisory_key(mapping))))
            held.handle.close()
        elif held.handle is not None:
            held.handle.close()  # closing the descriptor drops the flock

    # ------------------------------------------------------------------ PostgreSQL
    def _acquire_advisory(self, mapping: str) -> Connection:
        key = advisory_key(mapping)
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            connection.execute(
                text("SELECT set_config('application_name', :name, false)"),
                {"name": f"{_APPLICATION_PREFIX}{holder_name()}"[:63]},
            )
            if connection.execute(select(func.pg_try_advisory_lock(key))).scalar():
                return connection
            holder = self._advisory_holder(connection, key)
        except BaseException:
            connection.close()
            raise
        connection.close()
        raise _refusal(mapping, holder)

    @staticmethod
    def _advisory_holder(connection: Connection, key: int) -> str | None:
        """The ``application_name`` of the session holding ``key`` (pg_locks splits it)."""
        unsigned = key & 0xFFFFFFFFFFFFFFFF
        row = connection.execute(
            text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.objsubid = 1 AND l.classid::bigint = :high AND l.objid::bigint = :low"
            ),
            {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF},
        ).first()
        name = str(row[0]) if row and row[0] else ""
        return name.removeprefix(_APPLICATION_PREFIX) or None

    # ------------------------------------------------------------------ SQLite
    def _acquire_file(self, mapping: str) -> IO[str] | None:
        database = self.engine.url.database
        if database in (None, "", ":memory:"):
            return None
        path = lock_file(Path(database), mapping)
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or None
            handle.close()
            raise _refusal(mapping, holder) from None
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(holder_name())
        handle.flush()
        return handle


def lock_file(database: Path, mapping: str) -> Path:
    """The file beside a SQLite ledger whose ``flock`` is ``mapping``'s lock."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", mapping)
    if safe != mapping:  # keep two names that sanitise alike apart
        safe += "-" + hashlib.sha256(mapping.encode()).hexdigest()[:8]
    return database.with_name(f"{database.name}.lock-{safe}")


__all__ = ["MappingLockedError", "MappingLocks", "advisory_key", "lock_file"]
