"""The forward leg writes each new HubSpot id back to Salesforce's ``HubSpot_Id__c``.

Through the plugins' CLIs as the two-way job runs them (``TwoWay``, the shipped specs and
meltano.yml's settings: the target has the tap's Salesforce login). The write-back moves
the Salesforce records' ``SystemModstamp``, so the next forward run reads them again: it
must find nothing to write on either side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crm_sync.stops import EXIT_QUOTA
from crm_sync.sync.ledger import open_ledger
from crm_sync.vocabulary import Direction
from tests.e2e.two_way_helpers import FORWARD, HubSpot, Salesforce, TwoWay, all_writes
from tests.e2e.two_way_helpers import mappings_dir as write_mappings

pytestmark = pytest.mark.e2e


@pytest.fixture
def sync(clean_sandbox: Any, tmp_path: Path) -> TwoWay:
    write_mappings(tmp_path / "mappings")
    return TwoWay(dict(clean_sandbox.env), tmp_path, tmp_path / "mappings")


def synced(hs: HubSpot, obj: str) -> dict[str, str]:
    """Salesforce id -> HubSpot id of the HubSpot records the forward leg made."""
    records = hs.records(obj, ["salesforce_id"])
    return {r["salesforce_id"]: i for i, r in records.items() if r["salesforce_id"]}


def hubspot_ids(sf: Salesforce, obj: str) -> dict[str, str | None]:
    return {i: r["HubSpot_Id__c"] for i, r in sf.rows(obj, "HubSpot_Id__c").items()}


def sf_updates(stats: dict[str, Any]) -> int:
    """Salesforce sObject-collections updates served (the write-back's calls)."""
    calls = stats["salesforce"]["calls"]
    return sum(n for k, n in calls.items() if k.startswith("PATCH ") and k.endswith("/sobjects"))


def test_forward_run_writes_every_hubspot_id_back_and_nothing_echoes(
    clean_sandbox: Any, sync: TwoWay
) -> None:
    """After one forward run every synced Account and Project__c holds its HubSpot id, in
    one collections update per 200 records; the following two-way runs write nothing."""
    clean_sandbox.seed(salesforce={"Account": 5, "Project__c": 40})
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    forward = sync.leg(FORWARD)
    assert forward.ok, forward.stderr

    companies, projects = synced(hs, "companies"), synced(hs, "project")
    assert len(companies) == 5 and projects, forward.stderr
    accounts = hubspot_ids(sf, "Account")
    assert {i: accounts[i] for i in companies} == companies
    rows = hubspot_ids(sf, "Project__c")
    assert {i: rows[i] for i in projects} == projects
    # Draft projects (the spec's filter) are not synced and get no id
    assert all(v is None for i, v in rows.items() if i not in projects)
    # one update per mapping at the end of the run (fewer than 200 records each)
    assert sf_updates(clean_sandbox.stats()) == 2

    clean_sandbox.clear_stats()
    sync.run()  # the forward tap reads the written-back records again: an echo
    assert all_writes(clean_sandbox.stats()) == {}
    clean_sandbox.clear_stats()
    sync.run()
    assert all_writes(clean_sandbox.stats()) == {}


def test_refused_write_back_is_a_dead_letter_until_the_next_run_writes_it(
    clean_sandbox: Any, sync: TwoWay
) -> None:
    """Salesforce refuses every write-back: the companies are in HubSpot, each Account's
    id is a ``WRITE_BACK_FAILED`` dead letter (not done); the next run writes the ids,
    closes the letters, creates no second company, and the run after writes nothing."""
    clean_sandbox.seed(salesforce={"Account": 4})
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    clean_sandbox.set_faults(refuse=1.0, only="salesforce")
    refused = sync.leg(FORWARD)
    clean_sandbox.set_faults()
    assert refused.ok, refused.stderr
    assert "id write-back(s) to Account.HubSpot_Id__c" in refused.stderr
    companies = synced(hs, "companies")
    assert len(companies) == 4
    assert set(hubspot_ids(sf, "Account").values()) == {None}
    ledger = open_ledger(sync.ledger_url)
    try:
        letters = ledger.dead_letters("account", Direction.SF_TO_HS)
        assert sorted(d.source_id for d in letters) == sorted(companies)
        assert {d.error.code for d in letters} == {"WRITE_BACK_FAILED"}

        again = sync.leg(FORWARD)  # nothing changed in Salesforce: the letters replay
        assert again.ok, again.stderr
        accounts = hubspot_ids(sf, "Account")
        assert accounts == companies
        assert ledger.dead_letters("account", Direction.SF_TO_HS) == []
    finally:
        ledger.close()
    assert synced(hs, "companies") == companies  # no twin

    sync.run()  # the written-back Accounts come again: an echo, nothing written
    clean_sandbox.clear_stats()
    sync.run()
    assert all_writes(clean_sandbox.stats()) == {}


def test_a_mapping_opts_out_of_the_write_back(clean_sandbox: Any, tmp_path: Path) -> None:
    """``salesforce: {write_back: false}`` in a spec: its records get no HubSpot id (no
    Salesforce write at all); the other mappings' still do."""
    account = {"object": "Account", "id_field": "HubSpot_Id__c", "write_back": False}
    write_mappings(tmp_path / "mappings", account={"salesforce": account})
    sync = TwoWay(dict(clean_sandbox.env), tmp_path, tmp_path / "mappings")
    clean_sandbox.seed(salesforce={"Account": 3, "Project__c": 10})
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    forward = sync.leg(FORWARD)
    assert forward.ok, forward.stderr
    assert len(synced(hs, "companies")) == 3
    assert set(hubspot_ids(sf, "Account").values()) == {None}
    projects = synced(hs, "project")
    rows = hubspot_ids(sf, "Project__c")
    assert projects and {i: rows[i] for i in projects} == projects
    assert sf_updates(clean_sandbox.stats()) == 1


def test_a_quota_stop_of_the_write_back_leaves_the_ids_queued_for_the_next_run(
    clean_sandbox: Any, sync: TwoWay
) -> None:
    """The accounts' write-back call brings the org's usage past ``sf_max_api_share``: the
    run stops cleanly (exit 3) before the projects' write-back, the projects are in HubSpot
    and linked, each project's id still waits in the ledger's queue (no dead letter); the
    next run (share lifted) writes the ids and makes no twin."""
    clean_sandbox.seed(salesforce={"Account": 3, "Project__c": 10})
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    sync.target_settings[FORWARD] = {"sf_max_api_share": "0.0000001"}  # one call reaches it
    stopped = sync.leg(FORWARD)
    assert stopped.returncodes[-1] == EXIT_QUOTA, stopped.stderr
    companies, projects = synced(hs, "companies"), synced(hs, "project")
    assert len(companies) == 3 and projects, stopped.stderr
    assert {i: hubspot_ids(sf, "Account")[i] for i in companies} == companies
    assert {hubspot_ids(sf, "Project__c")[i] for i in projects} == {None}
    ledger = open_ledger(sync.ledger_url)
    try:
        assert ledger.dead_letters("project", Direction.SF_TO_HS) == []
        assert ledger.waiting_write_backs("project", Direction.SF_TO_HS) == len(projects)
        assert ledger.count_records("project") == len(projects)  # linked: in HubSpot

        sync.target_settings.clear()
        again = sync.leg(FORWARD)
        assert again.ok, again.stderr
        rows = hubspot_ids(sf, "Project__c")
        assert {i: rows[i] for i in projects} == projects
        assert ledger.dead_letters("project", Direction.SF_TO_HS) == []
        assert ledger.waiting_write_backs("project", Direction.SF_TO_HS) == 0
    finally:
        ledger.close()
    assert synced(hs, "project") == projects
