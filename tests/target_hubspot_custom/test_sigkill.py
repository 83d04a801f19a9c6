"""The target killed with SIGKILL at random points, then rerun: nothing lost, nothing doubled.

The target CLI (``target-hubspot-custom --config ... < messages``) replays a recorded
messages file of mapped project records against the sandbox (with latency, so a run
takes a few seconds and the kills land inside batches: before, during and after the
upserts of a batch, and between the writes and the ledger commit). Each iteration kills
it after a random delay; a final run goes to the end. HubSpot must then hold exactly the
source set (unique ``salesforce_id``, current names), and the ledger one link per record.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from crm_sync.sync.ledger import open_ledger

from tests.target_hubspot_custom.test_target_sandbox import record, schema_message

N = 1500
KILLS = 4


def write_messages(path: Path) -> None:
    with path.open("w") as handle:
        handle.write(json.dumps(schema_message()) + "\n")
        for i in range(N):
            handle.write(json.dumps(record(i, f"Project {i} v2")) + "\n")
            if (i + 1) % 250 == 0:
                handle.write(json.dumps({"type": "STATE", "value": {"upto": i + 1}}) + "\n")


def hubspot_projects(env: dict[str, str]) -> list[dict[str, Any]]:
    session = requests.Session()
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    session.trust_env = False
    session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_HS_ACCESS_TOKEN']}"
    out: list[dict[str, Any]] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 100, "properties": "salesforce_id,project_name"}
        if after:
            params["after"] = after
        reply = session.get(
            f"{env['CRM_SANDBOX_HS_BASE_URL']}/crm/v3/objects/project", params=params
        )
        reply.raise_for_status()
        body = reply.json()
        out += body["results"]
        after = (body.get("paging") or {}).get("next", {}).get("after")
        if not after:
            return out


def test_sigkill_at_random_points_then_rerun(clean_sandbox: Any, tmp_path: Path) -> None:
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
    rng = random.Random(7)
    killed = 0
    for _ in range(KILLS):
        with messages.open() as stdin:
            proc = subprocess.Popen(
                cli, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=child_env
            )
            time.sleep(rng.uniform(0.8, 3.0))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                killed += 1
            proc.communicate(timeout=60)
    assert killed >= 2, "the kills should land while the target runs"
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
