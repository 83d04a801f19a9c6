"""Every read sees every committed write, whichever connection or process made it.

In WAL mode a connection whose cursor still has unread rows keeps reading the snapshot
of when that statement started, so writes committed through another connection stay
invisible to it (the "COUNT() says 2,500 while Bulk says 2,501" report). These tests pin
such a snapshot on purpose and check the next read is fresh; no timing is involved.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from crm_sandbox.core.app import assemble
from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.db import Database
from crm_sandbox.core.process import RunningSandbox, SandboxError, start
from crm_sandbox.core.tls import ensure_tls


def _databases(tmp_path: Path) -> tuple[Database, Database]:
    server, other = Database(tmp_path / "org.sqlite"), Database(tmp_path / "org.sqlite")
    with server.transaction() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
    return server, other


def _count(db: Database) -> int:
    with db.reading() as conn:
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])


def test_a_half_read_cursor_does_not_hide_later_commits(tmp_path: Path) -> None:
    server, other = _databases(tmp_path)
    with server.reading() as conn:
        half_read = conn.execute("SELECT x FROM t")
        half_read.fetchone()  # rows left unread: the statement stays active
    with other.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (99)")
    assert _count(server) == 11
    assert half_read is not None  # the cursor object itself is still alive


def test_a_write_transaction_starts_from_the_newest_commit(tmp_path: Path) -> None:
    server, other = _databases(tmp_path)
    with server.reading() as conn:
        half_read = conn.execute("SELECT x FROM t")
        half_read.fetchone()
    with other.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (99)")
    # a pinned old snapshot would make BEGIN IMMEDIATE fail with SQLITE_BUSY_SNAPSHOT
    with server.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (100)")
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 12
    assert half_read is not None


def test_counts_agree_after_seeding_and_writes_from_two_processes(
    clean_sandbox: RunningSandbox,
) -> None:
    """Seed 2,500 rows, write through the server and through a second process on the
    same data directory (what the CLI does when the server does not answer in time);
    COUNT(), a REST query and a Bulk 2.0 job must all count the same rows."""
    env = clean_sandbox.env
    clean_sandbox.seed(salesforce={"Project__c": 2500})
    session = requests.Session()
    session.trust_env = False
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"
    base = f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/data/v62.0"

    def count() -> int:
        reply = session.get(f"{base}/query", params={"q": "SELECT COUNT() FROM Project__c"})
        return int(reply.json()["totalSize"])

    assert count() == 2500
    second = assemble(clean_sandbox.data_dir)  # another process's view of the org
    try:
        second.control.seed({"salesforce": {"Project__c": 1}, "seed": 7})
    finally:
        second.close()
    created = session.post(f"{base}/sobjects/Project__c", json={"Name": "after"})
    assert created.status_code == 201, created.text
    session.patch(f"{base}/sobjects/Project__c/{created.json()['id']}", json={"Name": "x"})
    assert count() == 2502
    job = session.post(
        f"{base}/jobs/query", json={"operation": "query", "query": "SELECT Id FROM Project__c"}
    ).json()
    assert session.get(f"{base}/jobs/query/{job['id']}").json()["state"] == "JobComplete"
    page = session.get(f"{base}/jobs/query/{job['id']}/results")
    ids = [row["Id"] for row in csv.DictReader(io.StringIO(page.text))]
    assert len(ids) == len(set(ids)) == 2502
    rest = session.get(f"{base}/query", params={"q": "SELECT Id FROM Project__c"}).json()
    assert rest["totalSize"] == count() == 2502
    stats = clean_sandbox.stats()["salesforce"]["records"]["Project__c"]
    assert stats == 2502, json.dumps(stats)


def test_no_second_writer_beside_a_silent_server(tmp_path: Path) -> None:
    """A live server that does not answer (yet) gets neither a twin nor CLI writes."""
    data_dir = DataDir(tmp_path / "data")
    data_dir.ensure()
    ensure_tls(data_dir)
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    data_dir.write_json("runtime.json", {"pid": os.getpid(), "port": port, "host": "127.0.0.1"})
    with pytest.raises(SandboxError, match="does not answer"):
        start(data_dir, timeout=0.5)
    assert data_dir.read_json("runtime.json")["pid"] == os.getpid()  # nothing spawned
    seeded = subprocess.run(
        [sys.executable, "-m", "crm_sandbox.cli", "seed", "--data-dir", str(data_dir.path),
         "--salesforce", "Account=1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert seeded.returncode != 0 and "does not answer" in seeded.stderr
    assert not data_dir.db_path("salesforce").exists()
