"""The per-mapping lock: re-entrant in its process, refused in another, gone with its holder.

On a SQLite file (``flock`` beside it) and on a throwaway PostgreSQL (advisory lock).
The holder is a real second process that says when it holds the lock.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from crm_sync.ledger import LedgerStore
from crm_sync.ledger.lock import MappingLockedError, MappingLocks, advisory_key

HOLDER = """
import sys
from crm_sync.ledger import LedgerStore
from crm_sync.ledger.lock import MappingLocks
locks = MappingLocks(LedgerStore(sys.argv[1]).engine)
locks.acquire(sys.argv[2])
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def holder(ledger_url: str) -> Iterator[subprocess.Popen[str]]:
    """A second process holding mapping ``project``'s lock, once it said so.

    ``ledger_url`` (tests/core/conftest.py): a SQLite file, a PostgreSQL database.
    """
    LedgerStore(ledger_url).close()  # schema first, so the holder's start is quick
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, ledger_url, "project"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


def test_second_holder_of_a_mapping_is_refused_other_mappings_are_not(
    holder: subprocess.Popen[str], ledger_url: str
) -> None:
    store = LedgerStore(ledger_url)
    locks = MappingLocks(store.engine)
    with pytest.raises(MappingLockedError) as refused:
        locks.acquire("project")
    message = str(refused.value)
    assert "'project' is already being synced by another run" in message
    assert message.endswith(
        f"(held by {socket.gethostname()}:{holder.pid}); refusing to start a second run of it "
        "(wait for that run to finish, or run a different mapping)"
    )
    assert "\n" not in message
    locks.acquire("company")  # another mapping runs beside it
    locks.acquire("company")  # re-entrant in one process
    assert locks.held == {"company"}
    locks.release_all()
    store.close()


def test_lock_is_free_again_once_the_holder_is_killed(
    holder: subprocess.Popen[str], ledger_url: str
) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    store = LedgerStore(ledger_url)
    if store.engine.dialect.name == "postgresql":
        _until_server_dropped(store, "project")
    locks = MappingLocks(store.engine)
    locks.acquire("project")
    assert locks.held == {"project"}
    locks.release_all()
    store.close()


def _until_server_dropped(store: LedgerStore, mapping: str) -> None:
    """Wait (bounded) until PostgreSQL has seen the dead client's socket close."""
    unsigned = advisory_key(mapping) & 0xFFFFFFFFFFFFFFFF
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 "
        "AND classid::bigint = :high AND objid::bigint = :low"
    )
    deadline = time.monotonic() + 30
    with store.engine.connect() as connection:
        while connection.execute(
            query, {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF}
        ).scalar():
            assert time.monotonic() < deadline, "the server kept a dead client's lock"
            connection.rollback()  # a fresh snapshot of pg_locks


def test_one_process_shares_its_lock_and_frees_it_with_the_last_holder(ledger_url: str) -> None:
    first, second = LedgerStore(ledger_url), LedgerStore(ledger_url)
    a, b = MappingLocks(first.engine), MappingLocks(second.engine)
    a.acquire("project")
    b.acquire("project")  # a second target instance in the same process
    a.release_all()
    other = subprocess.run(
        [sys.executable, "-c", HOLDER, ledger_url, "project"], input="", capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert other.returncode == 1 and "already being synced" in other.stderr
    b.release_all()
    other = subprocess.run(
        [sys.executable, "-c", HOLDER, ledger_url, "project"], input="", capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert other.returncode == 0 and other.stdout.strip() == "held", other.stderr
    first.close()
    second.close()
