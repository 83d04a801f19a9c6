"""50,000 projects through the target CLI: batches, made and pending associations mixed.

The messages file is the benchmark's (:mod:`bench.bench_target_hubspot`): 1,000
accounts, of which the last 1 % come after the projects, then 50,000 projects, 80 % of
them associated with an account. The accounts sink holds fewer records than a batch, so
it is drained when the first project batch names it; associations to an account already
synced are made with their project's batch, only those to the late accounts are parked
as pending and made at the end of the run.

Checked: the HubSpot calls are the minimum over the whole run however the records fall
into batches: a batch upsert per 100 records and ceil(A / 100) association batches for
the A associations (each written batch's partial association call is carried into the
next batch's, the last remainder made with the parked ones at the end; cut per batch it
would take more calls, parked it would come too late), nothing stays
pending, every project's ledger base remembers its account, and HubSpot holds the
association of each project sampled (all those of the late accounts among them).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.bench_target_hubspot import (
    account_id,
    associated_account,
    late_accounts,
    write_messages,
)
from crm_sync.http import ResilientSession
from crm_sync.hubspot import HubSpotClient, HubSpotSettings
from crm_sync.sync.associations import ASSOC_KEY
from crm_sync.sync.ledger import open_ledger
from crm_sync.vocabulary import Direction

pytestmark = pytest.mark.slow

PROJECTS = 50_000
ACCOUNTS = 1_000
BATCH = 5_000
UPSERT = "POST /crm/v3/objects/{objectType}/batch/upsert"
ASSOCIATE = "POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/associate/default"


def project_id(n: int) -> str:
    return f"a0B5g0000{n:09d}"


def per_batch_association_calls() -> int:
    """What cutting the associations at each written batch would take (more calls)."""
    late = set(range(ACCOUNTS - late_accounts(ACCOUNTS), ACCOUNTS))
    calls, parked = 0, 0
    for start in range(0, PROJECTS, BATCH):
        linked = [associated_account(n, ACCOUNTS) for n in range(start, start + BATCH)]
        made = sum(1 for a in linked if a is not None and a not in late)
        parked += sum(1 for a in linked if a in late)
        calls += math.ceil(made / 100)
    return calls + math.ceil(parked / 100)


def test_fifty_thousand_projects_mix_batches_pending_and_made(
    clean_sandbox: Any, tmp_path: Path
) -> None:
    env = clean_sandbox.env
    clean_sandbox.set_faults(hs_ten_second_max=1_000_000)  # limits lifted: our code only
    messages = tmp_path / "messages.singer"
    associations = write_messages(messages, PROJECTS, ACCOUNTS)
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
                "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
                "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
                "ledger_url": ledger_url,
                "rate_limit_per_10s": 100_000,  # only our own code is measured
                "batch_size_rows": BATCH,
            }
        )
    )
    cli = [str(Path(sys.executable).parent / "target-hubspot-custom"), "--config", str(config)]
    child_env = {k: v for k, v in os.environ.items() if k != "REQUESTS_CA_BUNDLE"}
    late = {account_id(a) for a in range(ACCOUNTS - late_accounts(ACCOUNTS), ACCOUNTS)}
    ledger = open_ledger(ledger_url)
    clean_sandbox.clear_stats()
    with messages.open() as stdin:
        done = subprocess.run(
            cli, stdin=stdin, capture_output=True, text=True, env=child_env, timeout=600
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f'"upto": {PROJECTS}' in done.stdout  # the last STATE, once all is durable

    calls = clean_sandbox.stats()["hubspot"]["calls"]
    assert calls[UPSERT] == math.ceil(PROJECTS / 100) + sum(
        math.ceil(n / 100) for n in (ACCOUNTS - late_accounts(ACCOUNTS), late_accounts(ACCOUNTS))
    )
    assert calls[ASSOCIATE] == math.ceil(associations / 100)
    assert calls[ASSOCIATE] < per_batch_association_calls()  # the batches do not cut them
    assert ledger.pending_associations("project") == []
    # The limits stay lifted for the checks below (clean_sandbox restores them after the
    # test): on a fast machine the run's own calls still fill HubSpot's 10-s window.

    wanted = {project_id(n): associated_account(n, ACCOUNTS) for n in range(PROJECTS)}
    states = ledger.load("project", Direction.SF_TO_HS, list(wanted))
    assert len(states) == PROJECTS
    remembered = {
        sid: (state.base or {}).get("hubspot", {}).get(ASSOC_KEY + "Account__c")
        for sid, state in states.items()
    }
    assert remembered == {sid: None if a is None else account_id(a) for sid, a in wanted.items()}
    assert sum(1 for a in wanted.values() if a is not None) == associations

    # HubSpot itself: every 50th project and every project of a late account.
    companies = ledger.destination_ids(
        "account", Direction.SF_TO_HS, [account_id(a) for a in range(ACCOUNTS)]
    )
    sample = [
        sid
        for n, (sid, a) in enumerate(wanted.items())
        if a is not None and (n % 50 == 0 or account_id(a) in late)
    ]
    hs_of = {sid: states[sid].destination_id for sid in sample}
    client = HubSpotClient(
        HubSpotSettings(
            base_url=env["CRM_SANDBOX_HS_BASE_URL"],
            access_token=env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        ),
        ResilientSession(ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"]),
    )
    project_type = client.resolve_object_type("project")
    found: dict[str, set[str]] = {}
    ids = [hs_of[sid] for sid in sample]
    for start in range(0, len(ids), 100):
        inputs = [{"id": str(i)} for i in ids[start : start + 100]]
        body = client.read_associations(project_type, "companies", inputs)
        for result in body.get("results", []):
            found[str(result["from"]["id"])] = {str(t["toObjectId"]) for t in result["to"]}
    assert {sid: found.get(str(hs_of[sid])) for sid in sample} == {
        sid: {companies[account_id(wanted[sid])]}
        for sid in sample  # type: ignore[arg-type]
    }
