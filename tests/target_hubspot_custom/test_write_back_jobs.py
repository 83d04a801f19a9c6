"""The forward target's Bulk write-back jobs run beside its HubSpot writes, on the sandbox.

Every ``sf_bulk_threshold`` queued ids go as one Bulk 2.0 update job on the sink's
write-back thread while the writer thread goes on with the next batches; the end of the
run waits for the last job and writes the rest by collections update. Each id is written
once, the queue ends empty, and the run report's API calls still count every call the
stream made, those of the write-back thread included.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from target_hubspot_custom.target import TargetHubSpotCustom
from target_hubspot_custom.writeback import SalesforceWriteBack

from crm_sync.sync.batch import BatchWrite
from crm_sync.sync.ledger import open_ledger
from crm_sync.sync.writeback import Items
from crm_sync.vocabulary import Direction
from tests.e2e.two_way_helpers import HubSpot, Salesforce
from tests.target_hubspot_custom.test_target_sandbox import record, run_target, schema_message

PROJECTS, THRESHOLD, BATCH = 450, 100, 50
RUN_WIDE = (
    ("hubspot", "GET /account-info/v3/details"),
    ("salesforce", "GET /services/oauth2/userinfo"),
)
"""The target's own calls, charged to no stream: the ledger's check of the accounts."""


def calls(stats: dict[str, Any], api: str, start: str = "", end: str = "") -> int:
    return sum(n for k, n in stats[api]["calls"].items() if k.startswith(start) and k.endswith(end))


def forward_config(env: Mapping[str, str], tmp_path: Path) -> dict[str, Any]:
    """The forward target on the sandbox: a job of ``THRESHOLD`` ids, batches of ``BATCH``."""
    return {
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


def of_project(n: int, sf_id: str, **changes: Any) -> dict[str, Any]:
    """The mapper's record of the seeded project ``sf_id`` (its id field read blank)."""
    message = record(n)
    message["record"] |= {"salesforce_id": sf_id, "_crm_source_id": sf_id, **changes}
    return message


def assert_queue_emptied(config: Mapping[str, Any]) -> None:
    """Every queued id was written: none waits, none is a dead letter."""
    ledger = open_ledger(config["ledger_url"])
    try:
        assert ledger.waiting_write_backs("project", Direction.SF_TO_HS) == 0
        assert ledger.dead_letters("project", Direction.SF_TO_HS) == []
    finally:
        ledger.close()


def test_bulk_jobs_of_ids_run_beside_the_writes_and_every_call_is_counted(
    clean_sandbox: Any, tmp_path: Path
) -> None:
    clean_sandbox.seed(salesforce={"Account": 1, "Project__c": PROJECTS})
    env = clean_sandbox.env
    org = Salesforce(env)
    sf_ids = sorted(org.rows("Project__c", "Name"))
    config = forward_config(env, tmp_path)
    messages = [schema_message(), *(of_project(n, sf_id) for n, sf_id in enumerate(sf_ids))]
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
    assert_queue_emptied(config)
    [report] = json.loads(Path(config["plan_path"]).read_text())["streams"]
    run_wide = [stats[api]["calls"].get(route) for api, route in RUN_WIDE]
    assert run_wide == [1, 1]
    charged = calls(stats, "hubspot") + calls(stats, "salesforce") - sum(run_wide)
    assert report["counts"]["api_calls"] == charged


GUARD_S = 60
"""How long a held Bulk job waits to be released before it fails the run (a guard
against a hang, never a wait for something to happen)."""


class HeldJobs:
    """Every Bulk write-back job waits until ``released``; ``entered`` is set once one
    waits. The release comes from the write-back itself: once a batch queues
    ``source_id`` with another id than ``first`` (:meth:`SalesforceWriteBack.after_write`,
    on the writer thread, before that batch's commit and the next recording)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, source_id: str) -> None:
        self.entered, self.released = threading.Event(), threading.Event()
        self.first: str | None = None
        bulk, after_write = SalesforceWriteBack._bulk, SalesforceWriteBack.after_write

        def held(back: SalesforceWriteBack, items: Items) -> Any:
            self.entered.set()
            if not self.released.wait(GUARD_S):
                raise AssertionError("the record was never queued again with a new id")
            return bulk(back, items)

        def queued(back: SalesforceWriteBack, plans: Any, write: BatchWrite, *args: Any) -> Any:
            linked = after_write(back, plans, write, *args)
            ids = dict(write.write_backs)
            if source_id in ids:
                if self.first is None:
                    self.first = ids[source_id]
                elif ids[source_id] != self.first:
                    self.released.set()
            return linked

        monkeypatch.setattr(SalesforceWriteBack, "_bulk", held)
        monkeypatch.setattr(SalesforceWriteBack, "after_write", queued)


def test_a_record_created_again_while_its_id_is_in_a_job_ends_with_the_new_id(
    clean_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project's HubSpot record is archived and created again within one run (deleted
    in Salesforce, then restored) while the job writing its first HubSpot id is in flight:
    recording the job keeps the newer queued id, and the end of the run writes it, so
    the Salesforce record ends naming the live HubSpot record, not the archived one."""
    clean_sandbox.seed(salesforce={"Account": 1, "Project__c": 220})
    env = clean_sandbox.env
    org = Salesforce(env)
    sf_ids = sorted(org.rows("Project__c", "Name"))
    replaced = sf_ids[5]
    jobs = HeldJobs(monkeypatch, replaced)

    def lines() -> Iterator[str]:
        yield json.dumps(schema_message())
        for n in range(THRESHOLD):  # two batches: their ids go as one held job
            yield json.dumps(of_project(n, sf_ids[n]))
        assert jobs.entered.wait(GUARD_S)
        deleted = "2026-01-02T00:00:00.000Z"
        yield json.dumps(of_project(5, replaced, _sdc_deleted_at=deleted,
                                    _crm_source_modified_at=deleted))  # fmt: skip
        for n in range(THRESHOLD, THRESHOLD + BATCH - 1):  # the deletion's batch
            yield json.dumps(of_project(n, sf_ids[n]))
        restored = "2026-01-03T00:00:00.000Z"  # undeleted: created again in HubSpot
        yield json.dumps(of_project(5, replaced, _crm_source_modified_at=restored))
        for n in range(THRESHOLD + BATCH - 1, 220):
            yield json.dumps(of_project(n, sf_ids[n]))
        yield json.dumps({"type": "STATE", "value": {"bookmark": 1}})

    config = forward_config(env, tmp_path)
    with contextlib.redirect_stdout(io.StringIO()):
        TargetHubSpotCustom(config=config).listen(lines())  # type: ignore[arg-type]

    assert jobs.first is not None and jobs.released.is_set()
    live = {
        r["salesforce_id"]: hs_id
        for hs_id, r in HubSpot(env).records("project", ["salesforce_id"]).items()
    }
    assert live[replaced] != jobs.first
    written = org.rows("Project__c", "HubSpot_Id__c")
    assert written[replaced]["HubSpot_Id__c"] == live[replaced]
    assert all(written[i]["HubSpot_Id__c"] == live[i] for i in sf_ids)
    assert_queue_emptied(config)
