"""Quota stops of target-salesforce-custom lose nothing and duplicate nothing.

Two quotas meet the reverse leg: the HubSpot portal's daily limit, which the write-back
of new Salesforce ids spends (this sync's share of it: ``hs_max_daily_share``), and the
Salesforce org's daily API limit (``REQUEST_LIMIT_EXCEEDED`` ``TotalRequests``), which
the writes spend. Either ends the run with exit 3 and one line; what the stopped batch
did is in the ledger (ids linked, ids not written back kept as dead letters), and the
run after the reset finishes the rest without a second Salesforce record.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests

from crm_sync.ledger import LedgerStore
from crm_sync.salesforce import DEFAULT_MAX_API_SHARE
from crm_sync.stops import EXIT_QUOTA
from crm_sync.sync.ledger import open_ledger
from crm_sync.vocabulary import Direction
from tests.stops.test_bad_inputs import hs_daily_used
from tests.target_salesforce_custom.helpers import (
    HubSpotPortal,
    mapped,
    sf_writes,
    soql,
    target_config,
    write_mappings,
)
from tests.target_salesforce_custom.test_target_sandbox import projects, sf_projects

TARGET = str(Path(sys.executable).parent / "target-salesforce-custom")
HS_DAILY_MAX = 650_000  # the sandbox's default portal limit (Professional)
PROJECT_UPSERT = "/composite/sobjects/{sobject}/{field}"


@pytest.fixture
def portal(clean_sandbox) -> HubSpotPortal:
    return HubSpotPortal(clean_sandbox.env)


def run(config: Mapping[str, Any], messages: Sequence[Mapping[str, Any]], tmp: Path):
    """The target's executable on ``messages`` (and a STATE after them)."""
    path = tmp / "config.json"
    path.write_text(json.dumps(config))
    lines = [json.dumps(m) for m in messages]
    lines.append(json.dumps({"type": "STATE", "value": {"bookmark": 1}}))
    return subprocess.run(
        [TARGET, "--config", str(path)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def reverse_input(portal: HubSpotPortal, mappings: Path, ids: Sequence[str]) -> list[dict]:
    """The projects as tap-hubspot-custom reads them now, through map-crm."""
    return mapped(mappings, *portal.stream("project", portal.read("project", ids)))


def written_back(portal: HubSpotPortal, ids: Sequence[str]) -> dict[str, str]:
    """HubSpot id → the Salesforce id its ``salesforce_id`` names (where it names one)."""
    found = {r["id"]: r["properties"].get("salesforce_id") for r in portal.read("project", ids)}
    return {hs_id: sf_id for hs_id, sf_id in found.items() if sf_id}


def linked(config: Mapping[str, Any], ids: Sequence[str]) -> dict[str, str]:
    """HubSpot id → Salesforce id of the projects of ``ids`` the ledger links."""
    ledger = open_ledger(config["ledger_url"])
    try:
        states = ledger.load("project", Direction.HS_TO_SF, ids)
        return {i: str(s.destination_id) for i, s in states.items() if s.destination_id}
    finally:
        ledger.close()


def open_letters(config: Mapping[str, Any]) -> dict[str, str]:
    """Source id → error code of the project's open dead letters (reverse leg)."""
    ledger = open_ledger(config["ledger_url"])
    try:
        letters = ledger.dead_letters("project", Direction.HS_TO_SF)
        return {d.source_id: d.error.code for d in letters}
    finally:
        ledger.close()


def sf_daily(env: Mapping[str, str]) -> tuple[int, int]:
    """Calls the org has used today and its daily Max (``/limits``; the call counts itself)."""
    reply = requests.get(
        f"{env['CRM_SANDBOX_SF_INSTANCE_URL'].rstrip('/')}/services/data/"
        f"v{env['CRM_SANDBOX_SF_API_VERSION']}/limits",
        headers={"Authorization": f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"},
        verify=env["CRM_SANDBOX_CA_BUNDLE"],
        timeout=30,
    )
    daily = reply.json()["DailyApiRequests"]
    return int(daily["Max"]) - int(daily["Remaining"]), int(daily["Max"])


def sf_daily_used(env: Mapping[str, str]) -> int:
    return sf_daily(env)[0]


def upserts(stats: Mapping[str, Any]) -> int:
    calls = stats["salesforce"]["calls"]
    return sum(n for key, n in calls.items() if key.endswith(PROJECT_UPSERT))


def five_upserts(
    portal: HubSpotPortal, env: Mapping[str, str], tmp_path: Path
) -> tuple[Path, list[str], list[dict], dict[str, Any]]:
    """1,000 HubSpot projects (five upserts of 200, one at a time): the mappings, their ids,
    the reverse leg's input and the target's config."""
    mappings = write_mappings(tmp_path / "m")
    ids = portal.create("project", projects(1000))
    config = target_config(env, tmp_path, max_workers=1, bulk_threshold=10_000)
    return mappings, ids, reverse_input(portal, mappings, ids), config


def test_write_back_stops_at_its_share_of_the_portal_day(clean_sandbox, portal, tmp_path):
    env = clean_sandbox.env
    mappings = write_mappings(tmp_path / "m")
    n = 450  # five write-back calls of 100
    ids = portal.create("project", projects(n))
    messages = reverse_input(portal, mappings, ids)
    config = target_config(env, tmp_path, max_workers=1)
    # the portal id, the object's schema, then two of the five write-back calls
    config["hs_max_daily_share"] = (hs_daily_used(env) + 4) / HS_DAILY_MAX
    clean_sandbox.clear_stats()
    first = run(config, messages, tmp_path)
    assert first.returncode == EXIT_QUOTA, first.stderr[-3000:]
    assert "Traceback" not in first.stderr
    last = first.stderr.strip().splitlines()[-1]
    assert last.startswith("target-salesforce-custom stopped: HubSpot API quota share reached: "), (
        last
    )
    assert ">= hs_max_daily_share" in last and last.endswith("the state is resumable")
    assert "crm-sync run report" in first.stderr
    assert '"bookmark": 1' not in first.stdout  # the batch did not finish: no STATE
    # every project is in Salesforce once, and the ledger links each of them
    by_hs = sf_projects(env)
    assert set(by_hs) == set(ids)
    assert linked(config, ids) == {hs_id: row["Id"] for hs_id, row in by_hs.items()}
    # a part of the ids reached HubSpot; the rest wait as dead letters, none lost
    done = written_back(portal, ids)
    assert 0 < len(done) < n and len(done) % 100 == 0
    assert all(by_hs[hs_id]["Id"] == sf_id for hs_id, sf_id in done.items())
    letters = open_letters(config)
    assert set(letters) == set(ids) - set(done)
    assert set(letters.values()) == {"WRITE_BACK_FAILED"}

    # the next day (no share set); the tap's bookmark moved on: it reads nothing again
    del config["hs_max_daily_share"]
    clean_sandbox.clear_stats()
    second = run(config, messages[:1], tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert upserts(clean_sandbox.stats()) == 0  # Salesforce has them all already
    assert sf_projects(env) == by_hs
    assert written_back(portal, ids) == {hs_id: row["Id"] for hs_id, row in by_hs.items()}
    assert open_letters(config) == {}


def test_salesforce_daily_limit_mid_batch_commits_the_written_part(clean_sandbox, portal, tmp_path):
    env = clean_sandbox.env
    mappings, ids, messages, config = five_upserts(portal, env, tmp_path)
    n = len(ids)
    config["max_api_share"] = 2.0  # only Salesforce's own limit stops this run
    # three of the five upserts; the fourth is refused (TotalRequests)
    clean_sandbox.set_faults(sf_daily_max=sf_daily_used(env) + 3)
    clean_sandbox.clear_stats()
    first = run(config, messages, tmp_path)
    assert first.returncode == EXIT_QUOTA, first.stderr[-3000:]
    assert "Traceback" not in first.stderr
    last = first.stderr.strip().splitlines()[-1]
    assert last == (
        "target-salesforce-custom stopped: Salesforce daily API limit reached: "
        "TotalRequests Limit exceeded.; stopping cleanly, the state saved so far is "
        "resumable: rerun after the reset"
    ), last
    assert '"bookmark": 1' not in first.stdout
    clean_sandbox.set_faults()  # the next day (the test's own queries need calls too)
    written = sf_projects(env)
    assert 0 < len(written) < n and len(written) % 200 == 0
    # the written part is linked and its ids are written back to HubSpot
    assert linked(config, ids) == {hs_id: row["Id"] for hs_id, row in written.items()}
    assert written_back(portal, ids) == {hs_id: row["Id"] for hs_id, row in written.items()}
    assert open_letters(config) == {}
    with LedgerStore(config["ledger_url"]) as store:
        runs = store.runs(mapping="project")
    assert [r.counts["created"] for r in runs] == [len(written)]

    # the tap reads the same projects again (the state did not move)
    clean_sandbox.clear_stats()
    second = run(config, reverse_input(portal, mappings, ids), tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert upserts(clean_sandbox.stats()) == math.ceil((n - len(written)) / 200)
    by_hs = sf_projects(env)  # asserts no HubSpot id is in Salesforce twice
    assert set(by_hs) == set(ids)
    assert all(by_hs[hs_id]["Id"] == row["Id"] for hs_id, row in written.items())
    assert written_back(portal, ids) == {hs_id: row["Id"] for hs_id, row in by_hs.items()}
    assert linked(config, ids) == {hs_id: row["Id"] for hs_id, row in by_hs.items()}


@pytest.mark.parametrize("given", [True, False], ids=["max_api_share", "default-share"])
def test_salesforce_share_mid_batch_stops_cleanly_and_the_rerun_does_the_rest(
    clean_sandbox, portal, tmp_path, given
):
    """This sync's share of the org's day (``max_api_share``, or its default 0.8) reached
    after two of five upserts: exit 3 with one line before the org's own limit, the two
    upserts linked and written back; the next day's rerun makes only the three left, and
    no Salesforce record twice."""
    env = clean_sandbox.env
    mappings, ids, messages, config = five_upserts(portal, env, tmp_path)
    used, daily_max = sf_daily(env)
    # two upserts reach the share (the org id is read by OAuth userinfo, not counted);
    # the third is never sent
    if given:
        config["max_api_share"] = (used + 2) / daily_max
    else:  # an org whose Max puts 80 % between the second upsert and the third
        daily_max = math.floor((used + 2) / DEFAULT_MAX_API_SHARE)
        clean_sandbox.set_faults(sf_daily_max=daily_max)
    clean_sandbox.clear_stats()
    first = run(config, messages, tmp_path)
    clean_sandbox.set_faults()  # the next day
    assert first.returncode == EXIT_QUOTA, first.stderr[-3000:]
    assert "Traceback" not in first.stderr
    last = first.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "target-salesforce-custom stopped: Salesforce API quota share reached: "
        f"{used + 2} of {daily_max} daily requests used"
    ), last
    assert ">= max_api_share" in last and "resumable" in last
    assert upserts(clean_sandbox.stats()) == 2
    assert "crm-sync run report" in first.stderr
    assert '"bookmark": 1' not in first.stdout
    written = sf_projects(env)
    assert len(written) == 400
    assert linked(config, ids) == {hs_id: row["Id"] for hs_id, row in written.items()}
    assert written_back(portal, ids) == {hs_id: row["Id"] for hs_id, row in written.items()}
    assert open_letters(config) == {}

    config.pop("max_api_share", None)  # the share is of a fresh day's count
    clean_sandbox.clear_stats()
    second = run(config, reverse_input(portal, mappings, ids), tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert upserts(clean_sandbox.stats()) == 3
    by_hs = sf_projects(env)  # asserts no HubSpot id is in Salesforce twice
    assert set(by_hs) == set(ids)
    assert all(by_hs[hs_id]["Id"] == row["Id"] for hs_id, row in written.items())
    assert written_back(portal, ids) == {hs_id: row["Id"] for hs_id, row in by_hs.items()}
    assert linked(config, ids) == {hs_id: row["Id"] for hs_id, row in by_hs.items()}


def test_lookups_of_a_half_written_batch_are_not_written_again(clean_sandbox, portal, tmp_path):
    """Lookups folded into the part of a batch Salesforce accepted before a quota stop are
    in that part's committed base: the rerun upserts only the rest (no update of the
    written part to set its lookups again), every lookup lands, and a third run writes
    nothing. A lookup to a company not synced yet is parked by the rerun as before."""
    env = clean_sandbox.env
    mappings = write_mappings(tmp_path / "m", lookups=True)
    companies = portal.create("companies", [{"name": f"Co {i}"} for i in range(3)])
    config = target_config(env, tmp_path, max_workers=1, bulk_threshold=10_000)
    synced = companies[:2]  # the third company never reaches Salesforce
    company_stream = portal.stream("companies", portal.read("companies", synced))
    first = run(config, mapped(mappings, *company_stream), tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    rows = soql(env, "SELECT Id, HubSpot_Id__c FROM Account")
    accounts = {r["HubSpot_Id__c"]: r["Id"] for r in rows}
    n = 1000  # five upserts of 200
    ids = portal.create("project", projects(n))
    links = {hs_id: {"companies": [companies[i % 3]]} for i, hs_id in enumerate(ids)}

    def messages() -> list[dict]:
        return mapped(mappings, *portal.stream("project", portal.read("project", ids), links))

    used, daily_max = sf_daily(env)
    config["max_api_share"] = (used + 2) / daily_max  # two of the five upserts
    clean_sandbox.clear_stats()
    stopped = run(config, messages(), tmp_path)
    assert stopped.returncode == EXIT_QUOTA, stopped.stderr[-3000:]
    assert upserts(clean_sandbox.stats()) == 2
    written = soql(env, "SELECT HubSpot_Id__c, Account__c FROM Project__c")
    assert len(written) == 400
    want = {hs_id: accounts.get(companies[i % 3]) for i, hs_id in enumerate(ids)}
    assert {r["HubSpot_Id__c"]: r["Account__c"] for r in written} == {
        r["HubSpot_Id__c"]: want[r["HubSpot_Id__c"]] for r in written
    }

    del config["max_api_share"]
    clean_sandbox.clear_stats()
    rerun = run(config, messages(), tmp_path)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert upserts(clean_sandbox.stats()) == 3
    assert sf_writes(clean_sandbox.stats()) == 3  # nothing sent again to the written part
    rows = soql(env, "SELECT HubSpot_Id__c, Account__c FROM Project__c")
    assert {r["HubSpot_Id__c"]: r["Account__c"] for r in rows} == want
    ledger = open_ledger(config["ledger_url"])
    try:
        pending = ledger.pending_associations("project", Direction.HS_TO_SF)
    finally:
        ledger.close()
    assert {p.source_id for p in pending} == {i for i in ids if want[i] is None}

    clean_sandbox.clear_stats()
    again = run(config, messages(), tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert sf_writes(clean_sandbox.stats()) == 0
