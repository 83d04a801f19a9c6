"""The target's run output says which associations keep waiting, and why (issue 12 item 8).

Projects name an account that is synced, one that never arrives, and a record of a
mapping that never ran. The first run parks two associations with their reasons and
says nothing of them (they may resolve at its end); the second run, finding them still
pending, logs one WARNING per reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.bench_target_hubspot import account_schema_message, schema_message
from crm_sync.ledger import LedgerStore, PendingReason
from crm_sync.vocabulary import Direction

TARGET = str(Path(sys.executable).parent / "target-hubspot-custom")


def _record(stream: str, sid: str, **values: object) -> dict:
    body = {"salesforce_id": sid, "_crm_source_id": sid, "_crm_associations": [], **values}
    body["_crm_source_modified_at"] = "2026-01-01T00:00:00.000Z"
    return {"type": "RECORD", "stream": stream, "record": body}


def _project(n: int, to_mapping: str, to_id: str) -> dict:
    link = {"to_mapping": to_mapping, "lookup": "Account__c", "source_id": to_id}
    return _record("project", f"a0B5g0000{n:09d}", project_name=f"P{n}", _crm_associations=[link])


MESSAGES = [
    account_schema_message(),
    _record("account", "0015g0000000000000", name="Synced Co"),
    schema_message(),
    _project(0, "account", "0015g0000000000000"),
    _project(1, "account", "0015g0000000000777"),  # never sent
    _project(2, "contact", "0035g0000000000001"),  # a mapping that never runs
    {"type": "STATE", "value": {"bookmark": 1}},
]


def write_config(tmp_path: Path, env: dict[str, str], ledger_url: str, **extra: object) -> Path:
    """The target's config file for the sandbox ``env`` and the ledger at ``ledger_url``."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "ledger_url": ledger_url,
        **extra,
    }))  # fmt: skip
    return config


def test_stuck_associations_are_warned_about_per_reason(clean_sandbox, tmp_path: Path) -> None:
    env = clean_sandbox.env
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    config = write_config(tmp_path, env, ledger_url)
    stdin = "".join(json.dumps(m) + "\n" for m in MESSAGES)

    def run() -> str:
        done = subprocess.run([TARGET, "--config", str(config)], input=stdin,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stderr

    first = run()
    assert "still pending after more than one run" not in first
    with LedgerStore(ledger_url) as store:
        reasons = {
            p.from_id: p.reason for p in store.pending_associations("project", Direction.SF_TO_HS)
        }
    assert reasons == {
        "a0B5g0000000000001": PendingReason.TARGET_NOT_SYNCED,
        "a0B5g0000000000002": PendingReason.TARGET_MAPPING_NOT_RUN,
    }
    warned = [line for line in run().splitlines() if "still pending" in line]
    assert len(warned) == 2, warned
    assert all("| WARNING  |" in line for line in warned), warned
    assert any(
        "project: 1 association(s) still pending after more than one run: target_not_synced "
        "(the related record is not synced yet); e.g. Account__c -> account "
        "0015g0000000000777 is not synced yet" in line
        for line in warned
    ), warned
    assert any("target_mapping_not_run" in line and "mapping 'contact'" in line for line in warned)
