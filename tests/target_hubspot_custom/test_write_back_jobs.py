"""The forward target's Bulk write-back jobs run beside its HubSpot writes, on the sandbox.

Every ``sf_bulk_threshold`` queued ids go as one Bulk 2.0 update job on the sink's
write-back thread while the writer thread goes on with the next batches; the end of the
run waits for the last job and writes the rest by collections update. Each id is written
once, the queue ends empty, and the run report's API calls still count every call the
stream made, those of the write-back thread included.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from crm_sync.sync.ledger import open_ledger
from crm_sync.vocabulary import Direction
from tests.e2e.two_way_helpers import Salesforce
from tests.target_hubspot_custom.test_target_sandbox import record, run_target, schema_message

PROJECTS, THRESHOLD, BATCH = 450, 100, 50
RUN_WIDE = (
    ("hubspot", "GET /account-info/v3/details"),
    ("salesforce", "GET /services/oauth2/userinfo"),
)
"""The target's own calls, charged to no stream: the ledger's check of the accounts."""


def calls(stats: dict[str, Any], api: str, start: str = "", end: str = "") -> int:
    return sum(n for k, n in stats[api]["calls"].items() if k.startswith(start) and k.endswith(end))


def test_bulk_jobs_of_ids_run_beside_the_writes_and_every_call_is_counted(
    clean_sandbox: Any, tmp_path: Path
) -> None:
    clean_sandbox.seed(salesforce={"Account": 1, "Project__c": PROJECTS})
    env = clean_sandbox.env
    org = Salesforce(env)
    sf_ids = sorted(org.rows("Project__c", "Name"))
    config = {
        "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "sf_login_url": env["CRM_SANDBOX_SF_LOGIN_URL"],
        "sf_instance_url": env["CRM_SANDBOX_SF_INSTANCE_URL"],
        "sf_access_token": env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
        "sf_api_version": env["CRM_SANDBOX_SF_API_VERSION"],
        "ledger_url": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "plan_path": str(tmp_path / "plan.json"),
        "sf_bulk_threshold": THRESHOLD,
        "batch_size_rows": BATCH,
    }
    messages = [schema_message()]
    for n, sf_id in enumerate(sf_ids):
        message = record(n)
        message["record"] |= {"salesforce_id": sf_id, "_crm_source_id": sf_id}
        messages.append(message)
    clean_sandbox.clear_stats()
    run_target(config, messages)

    stats = clean_sandbox.stats()
    jobs = calls(stats, "salesforce", "POST ", "/jobs/ingest")
    assert jobs == PROJECTS // THRESHOLD
    assert calls(stats, "salesforce", "PATCH ", "/sobjects") == math.ceil(
        PROJECTS % THRESHOLD / 200
    )
    written = {i: r["HubSpot_Id__c"] for i, r in org.rows("Project__c", "HubSpot_Id__c").items()}
    assert None not in written.values() and len(set(written.values())) == PROJECTS
    ledger = open_ledger(config["ledger_url"])
    try:
        assert ledger.waiting_write_backs("project", Direction.SF_TO_HS) == 0
        assert ledger.dead_letters("project", Direction.SF_TO_HS) == []
    finally:
        ledger.close()
    [report] = json.loads(Path(config["plan_path"]).read_text())["streams"]
    run_wide = [stats[api]["calls"].get(route) for api, route in RUN_WIDE]
    assert run_wide == [1, 1]
    charged = calls(stats, "hubspot") + calls(stats, "salesforce") - sum(run_wide)
    assert report["counts"]["api_calls"] == charged
