"""HubSpot's daily limit, and this sync's share of it, stop the target cleanly.

``max_daily_share`` is read against the portal's ``X-HubSpot-RateLimit-Daily`` /
``-Daily-Remaining`` headers. Once the share is used the target makes no further call,
exits 3 with one line, and still prints the run report of what it wrote; the rerun
(after the reset; here: without the share) writes the rest and nothing twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from crm_sync.ledger import LedgerStore
from crm_sync.stops import EXIT_QUOTA
from tests.stops.test_bad_inputs import hs_daily_used
from tests.target_hubspot_custom.test_target_sandbox import record, schema_message

TARGET = str(Path(sys.executable).parent / "target-hubspot-custom")
RECORDS = 1000


def _run(config: dict, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    messages = [schema_message(), *(record(i) for i in range(RECORDS))]
    messages.append({"type": "STATE", "value": {"bookmark": 1}})
    return subprocess.run(
        [TARGET, "--config", str(path)],
        input="".join(json.dumps(m) + "\n" for m in messages),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_share_of_the_daily_limit_stops_with_a_report_and_resumes(clean_sandbox, tmp_path):
    env = clean_sandbox.env
    daily_max = 650_000  # the sandbox's default portal limit (Professional)
    used = hs_daily_used(env)
    config = {
        "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "ledger_url": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "max_workers": 1,
        # portal id, schemas, properties, then a few of the ten upserts
        "max_daily_share": (used + 8) / daily_max,
    }
    first = _run(config, tmp_path)
    assert first.returncode == EXIT_QUOTA, first.stderr[-3000:]
    lines = first.stderr.strip().splitlines()
    assert lines[-1].startswith("target-hubspot-custom stopped: HubSpot API quota share reached:")
    assert "Traceback" not in first.stderr
    assert "crm-sync run report" in first.stderr  # what was written before the stop
    written = clean_sandbox.stats()["hubspot"]["records"].get("project", 0)
    assert 0 < written < RECORDS
    with LedgerStore(config["ledger_url"]) as store:
        assert store.count_records("project") == written  # the ledger knows each of them
        runs = store.runs(mapping="project")
    assert [r.counts["created"] for r in runs] == [written]  # the run log counts them

    del config["max_daily_share"]  # the next day
    second = _run(config, tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert clean_sandbox.stats()["hubspot"]["records"]["project"] == RECORDS
