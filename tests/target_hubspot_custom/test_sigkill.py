"""The target killed with SIGKILL at points of its progress, then rerun: nothing lost or doubled.

The target CLI (``target-hubspot-custom --config ... < messages``) replays a recorded
messages file of mapped project records against the sandbox. Each iteration kills it when
it reaches a point of progress the test observes, never after a guessed delay, so the
kills land the same on a fast machine and a slow one: once the sandbox has answered the
k-th batch upsert of that run, the kill lands between HubSpot's reply and the ledger
commit, or while the next call of the batch (or of the next batch) is in flight.

The sandbox adds latency to each call, so after an observed point the target always has
calls left to make: the kill, sent as soon as the point is seen, finds it running. A final
run goes to the end. HubSpot must then hold exactly the source set (unique
``salesforce_id``, current names), and the ledger one link per record.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crm_sync.sync.ledger import open_ledger
from tests.e2e.hubspot_reads import hubspot_records
from tests.target_hubspot_custom.test_target_sandbox import record, schema_message

N = 1500
UPSERT_ROUTE = "POST /crm/v3/objects/{objectType}/batch/upsert"
# the killed runs, in order: each is killed once the sandbox has answered this many upserts
KILL_AFTER_UPSERTS = [3, 1, 2, 4]


def write_messages(path: Path) -> None:
    with path.open("w") as handle:
        handle.write(json.dumps(schema_message()) + "\n")
        for i in range(N):
            handle.write(json.dumps(record(i, f"Project {i} v2")) + "\n")
            if (i + 1) % 250 == 0:
                handle.write(json.dumps({"type": "STATE", "value": {"upto": i + 1}}) + "\n")


def hubspot_projects(env: dict[str, str]) -> list[dict[str, Any]]:
    return hubspot_records(env, "project", ["salesforce_id", "project_name"])


def upserts_answered(sandbox: Any) -> int:
    return int(sandbox.stats().get("hubspot", {}).get("calls", {}).get(UPSERT_ROUTE, 0))


def wait_for_upserts(sandbox: Any, proc: subprocess.Popen, count: int) -> bool:
    """Poll the sandbox's call count until ``count`` upserts are answered (or the child ends)."""
    while proc.poll() is None:
        if upserts_answered(sandbox) >= count:
            return True
    return False


def test_sigkill_at_progress_points_then_rerun(clean_sandbox: Any, tmp_path: Path) -> None:
    env = clean_sandbox.env
    clean_sandbox.set_faults(latency_ms=40)
    messages = tmp_path / "messages.singer"
    write_messages(messages)
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
                "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
                "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
                "ledger_url": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
                "max_workers": 2,
                "batch_size_rows": 300,
            }
        )
    )
    cli = [str(Path(sys.executable).parent / "target-hubspot-custom"), "--config", str(config)]
    child_env = {k: v for k, v in os.environ.items() if k != "REQUESTS_CA_BUNDLE"}
    killed = []
    for count in KILL_AFTER_UPSERTS:
        clean_sandbox.clear_stats()
        with messages.open() as stdin:
            proc = subprocess.Popen(
                cli, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=child_env
            )
            if wait_for_upserts(clean_sandbox, proc, count) and proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                killed.append(count)
            proc.communicate(timeout=120)
    assert killed == KILL_AFTER_UPSERTS, "every kill should land while the target runs"
    with messages.open() as stdin:
        done = subprocess.run(
            cli, stdin=stdin, capture_output=True, text=True, env=child_env, timeout=300
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert '"upto": 1500' in done.stdout  # the last STATE, after everything is durable

    clean_sandbox.set_faults()
    projects = hubspot_projects(env)
    ids = [p["properties"]["salesforce_id"] for p in projects]
    assert len(ids) == len(set(ids)) == N  # nothing lost, nothing duplicated
    expected = {f"a01{i:012d}AAA": f"Project {i} v2" for i in range(N)}
    assert {
        p["properties"]["salesforce_id"]: p["properties"]["project_name"] for p in projects
    } == expected
    ledger = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    assert ledger.count_records("project") == N


@pytest.fixture(autouse=True)
def _no_latency_after(clean_sandbox: Any) -> Any:
    yield
    clean_sandbox.set_faults()
