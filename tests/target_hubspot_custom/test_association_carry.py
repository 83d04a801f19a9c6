"""Associations held to fill a batch survive a killed run (issue 11, the call minimum).

The target carries each written batch's partial association call into the next batch
and parks what it holds in the ledger (``held_for_batch``) with the batch, so the STATE
after the batch may go out before those associations exist in HubSpot. Here the run is
killed right after that STATE: the held associations are in the ledger, none in HubSpot.
The next run (resuming after the STATE, one more project) makes them with its own at the
end, in one call, and nothing stays pending.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.bench_target_hubspot import account_schema_message, schema_message
from crm_sync.http import ResilientSession
from crm_sync.hubspot import HubSpotClient, HubSpotSettings
from crm_sync.ledger import LedgerStore, PendingReason
from crm_sync.sync.ledger import open_ledger
from crm_sync.vocabulary import Direction
from tests.target_hubspot_custom.test_pending_reasons_run import _project, _record, write_config

TARGET = str(Path(sys.executable).parent / "target-hubspot-custom")
UPSERT = "POST /crm/v3/objects/{objectType}/batch/upsert"
ASSOCIATE = "POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/associate/default"
ACCOUNT = "0015g0000000000000"


def _calls(sandbox: Any, route: str) -> int:
    return int(sandbox.stats().get("hubspot", {}).get("calls", {}).get(route, 0))


def _line(message: dict) -> bytes:
    return (json.dumps(message) + "\n").encode()


def _held(ledger_url: str) -> dict[str, PendingReason | None]:
    with LedgerStore(ledger_url) as store:
        return {
            p.from_id: p.reason for p in store.pending_associations("project", Direction.SF_TO_HS)
        }


def test_held_associations_outlive_a_kill_after_their_state(
    clean_sandbox: Any, tmp_path: Path
) -> None:
    env = clean_sandbox.env
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    config = write_config(tmp_path, env, ledger_url, batch_size_rows=3)
    child_env = {k: v for k, v in os.environ.items() if k != "REQUESTS_CA_BUNDLE"}
    first = [
        account_schema_message(),
        _record("account", ACCOUNT, name="Synced Co"),
        schema_message(),
        *(_project(n, "account", ACCOUNT) for n in range(3)),  # a full batch of 3
    ]
    clean_sandbox.clear_stats()
    proc = subprocess.Popen(
        [TARGET, "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=child_env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(b"".join(_line(m) for m in first))
        proc.stdin.flush()
        # the account's and the projects' upserts answered: the ledger exists; then the
        # projects' batch is committed with its associations held (or made: none held)
        while _calls(clean_sandbox, UPSERT) < 2 and proc.poll() is None:
            pass
        held: dict[str, PendingReason | None] = {}
        while len(held) < 3 and not _calls(clean_sandbox, ASSOCIATE) and proc.poll() is None:
            held = _held(ledger_url)
        assert held == {f"a0B5g0000{n:09d}": PendingReason.HELD_FOR_BATCH for n in range(3)}
        proc.stdin.write(_line({"type": "STATE", "value": {"bookmark": 3}}))
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline()) == {"bookmark": 3}  # STATE went out
        assert _calls(clean_sandbox, ASSOCIATE) == 0
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)

    clean_sandbox.clear_stats()
    resumed = [account_schema_message(), schema_message(), _project(3, "account", ACCOUNT)]
    done = subprocess.run(
        [TARGET, "--config", str(config)],
        input="".join(json.dumps(m) + "\n" for m in resumed),
        capture_output=True,
        text=True,
        env=child_env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert _calls(clean_sandbox, ASSOCIATE) == 1  # the 3 held + the new one
    assert _held(ledger_url) == {}

    ledger = open_ledger(ledger_url)
    company = ledger.destination_ids("account", Direction.SF_TO_HS, [ACCOUNT])[ACCOUNT]
    projects = ledger.destination_ids(
        "project", Direction.SF_TO_HS, [f"a0B5g0000{n:09d}" for n in range(4)]
    )
    ledger.close()
    client = HubSpotClient(
        HubSpotSettings(
            base_url=env["CRM_SANDBOX_HS_BASE_URL"],
            access_token=env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        ),
        ResilientSession(ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"]),
    )
    body = client.read_associations(
        client.resolve_object_type("project"),
        "companies",
        [{"id": hs_id} for hs_id in projects.values()],
    )
    found = {str(r["from"]["id"]): {str(t["toObjectId"]) for t in r["to"]} for r in body["results"]}
    assert found == {hs_id: {company} for hs_id in projects.values()}
