"""Data that must not go missing without a word (issue 12), through the plugins' CLIs.

Each test drives both legs as the two-way job runs them (``TwoWay``), edits the two
sides through their APIs, and reads both sides back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.process import RunningSandbox, start, stop
from crm_sync.stops import EXIT_INPUT
from crm_sync.sync.ledger import open_ledger
from crm_sync.vocabulary import Direction
from tests.e2e.two_way_helpers import FORWARD, REVERSE, HubSpot, Salesforce, TwoWay, all_writes
from tests.e2e.two_way_helpers import mappings_dir as write_mappings

pytestmark = pytest.mark.e2e


@pytest.fixture
def sync(clean_sandbox: Any, tmp_path: Path) -> TwoWay:
    return TwoWay(dict(clean_sandbox.env), tmp_path, tmp_path / "mappings")


def live_projects(hs: HubSpot, salesforce_id: str) -> dict[str, dict[str, Any]]:
    """HubSpot projects carrying ``salesforce_id``, by HubSpot id."""
    records = hs.records("project", ["project_name", "salesforce_id"])
    return {i: r for i, r in records.items() if r["salesforce_id"] == salesforce_id}


def test_restored_salesforce_record_is_live_again(clean_sandbox: Any, sync: TwoWay) -> None:
    """A project deleted in Salesforce (archived in HubSpot by the forward leg) and then
    restored from the recycle bin is created in HubSpot again, and both legs treat the
    pair as live afterwards: a HubSpot edit reaches Salesforce, a rerun writes nothing."""
    write_mappings(sync.mappings)
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    project = sf.create("Project__c", {"Name": "Restored", "Status__c": "Planned"})
    sync.run()
    assert len(live_projects(hs, project)) == 1

    sf.delete("Project__c", project)
    sync.run()
    assert live_projects(hs, project) == {}

    restored = clean_sandbox.control("POST", "salesforce/undelete", {"ids": [project]})
    assert restored[0]["success"] is True, restored
    forward = sync.leg(FORWARD)
    assert forward.ok, forward.stderr
    again = live_projects(hs, project)
    assert [r["project_name"] for r in again.values()] == ["Restored"], forward.stderr
    reverse = sync.leg(REVERSE)
    assert reverse.ok, reverse.stderr

    (hs_id,) = again
    hs.update("project", hs_id, {"project_name": "Edited after restore"})
    sync.run()
    assert sf.rows("Project__c", "Name")[project]["Name"] == "Edited after restore"
    clean_sandbox.clear_stats()
    sync.run()
    assert all_writes(clean_sandbox.stats()) == {}


def refused_write_back(clean_sandbox: Any, sync: TwoWay) -> tuple[str, str, str]:
    """A company born in HubSpot, created in Salesforce by the reverse leg while HubSpot
    refuses every write (so its ``salesforce_id`` write-back too): (company id, Account
    Id, the reverse leg's stderr). Faults are cleared again."""
    write_mappings(sync.mappings)
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    sync.run()
    company = hs.create("companies", {"name": "Born in HubSpot", "phone": "200"})
    clean_sandbox.set_faults(refuse=1.0, only="hubspot")
    reverse = sync.leg(REVERSE)
    clean_sandbox.set_faults()
    (account,) = [
        a["Id"] for a in sf.rows("Account", "HubSpot_Id__c").values()
        if a["HubSpot_Id__c"] == company
    ]  # fmt: skip
    return company, account, reverse.stderr


def test_refused_id_write_back_stays_a_dead_letter_until_written(
    clean_sandbox: Any, sync: TwoWay
) -> None:
    """A HubSpot-born company is created in Salesforce, but HubSpot refuses the write-back
    of its new ``salesforce_id``: the dead letter stays open until the id is written, and
    a later Salesforce edit updates that company instead of creating a second one."""
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    company, account_id, stderr = refused_write_back(clean_sandbox, sync)
    account = {"Id": account_id}
    ledger = open_ledger(sync.ledger_url)
    try:
        letters = ledger.dead_letters("account", Direction.HS_TO_SF)
        assert [d.source_id for d in letters] == [company], stderr
        assert letters[0].error.code == "WRITE_BACK_FAILED"

        sync.run()
        sync.run()
        assert hs.records("companies", ["salesforce_id"])[company]["salesforce_id"] == account["Id"]
        assert ledger.dead_letters("account", Direction.HS_TO_SF) == []
    finally:
        ledger.close()

    sf.update("Account", account["Id"], {"Phone": "300"})
    forward = sync.leg(FORWARD)
    assert forward.ok, forward.stderr
    twins = {
        i: r
        for i, r in hs.records("companies", ["name", "phone", "salesforce_id"]).items()
        if r["salesforce_id"] == account["Id"]
    }
    assert twins == {
        company: {"name": "Born in HubSpot", "phone": "300", "salesforce_id": account["Id"]}
    }


def test_salesforce_edit_before_the_write_back_retry_updates_the_same_company(
    clean_sandbox: Any, sync: TwoWay
) -> None:
    """A Salesforce edit reaches the forward leg between a refused id write-back and its
    retry: the forward leg writes that company by HubSpot id with ``salesforce_id`` (an
    upsert on ``salesforce_id`` would make a second, name-less company), which completes
    the write-back: only then is its dead letter resolved. A no-op rerun writes nothing."""
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    company, account, stderr = refused_write_back(clean_sandbox, sync)
    sf.update("Account", account, {"Phone": "300"})
    ledger = open_ledger(sync.ledger_url)
    try:
        letters = ledger.dead_letters("account", Direction.HS_TO_SF)
        assert [(d.source_id, d.error.code) for d in letters] == [(company, "WRITE_BACK_FAILED")], (
            stderr
        )

        clean_sandbox.clear_stats()
        forward = sync.leg(FORWARD)
        assert forward.ok, forward.stderr
        companies = hs.records("companies", ["name", "phone", "salesforce_id"])
        mine = {
            i: r
            for i, r in companies.items()
            if r["salesforce_id"] == account or r["name"] == "Born in HubSpot"
        }
        assert mine == {
            company: {"name": "Born in HubSpot", "phone": "300", "salesforce_id": account}
        }, forward.stderr
        calls = clean_sandbox.stats()["hubspot"]["calls"]
        assert sum(n for k, n in calls.items() if "batch/update" in k) == 1, calls
        assert not any("batch/upsert" in k for k in calls), calls
        assert ledger.dead_letters("account", Direction.HS_TO_SF) == []
    finally:
        ledger.close()

    sync.run()
    assert sf.rows("Account", "Phone")[account]["Phone"] == "300"
    clean_sandbox.clear_stats()
    sync.run()
    assert all_writes(clean_sandbox.stats()) == {}
    assert len([r for r in hs.records("companies", ["salesforce_id"]).values()
                if r["salesforce_id"] == account]) == 1  # fmt: skip


@pytest.fixture
def other_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """A second org and portal (its own data dir: other org id, other portal id)."""
    data_dir = DataDir(tmp_path_factory.mktemp("other-sandbox"))
    handle = start(data_dir)
    try:
        yield handle
    finally:
        stop(data_dir)


def test_ledger_of_another_org_and_portal_is_refused(
    clean_sandbox: Any, other_sandbox: RunningSandbox, sync: TwoWay
) -> None:
    """A ledger built against one org and portal, pointed at another, stops both legs
    with one line naming the ledger, the two accounts and what to do (exit 2, an input
    to fix); nothing is written."""
    write_mappings(sync.mappings)
    sf = Salesforce(sync.env)
    sf.create("Account", {"Name": "First org"})
    sync.run()

    moved = TwoWay(dict(other_sandbox.env), sync.workdir, sync.mappings)
    Salesforce(moved.env).create("Account", {"Name": "Second org"})
    other_sandbox.clear_stats()
    for direction, target in ((FORWARD, "target-hubspot-custom"),
                              (REVERSE, "target-salesforce-custom")):  # fmt: skip
        run = moved.leg(direction)
        assert run.returncodes[2] == EXIT_INPUT, run.stderr
        err = (sync.workdir / f"{direction}-target.err").read_text()
        assert "Traceback" not in err
        lines = [line for line in err.splitlines() if "belongs to" in line]
        assert len(lines) == 1, err
        assert lines[0].startswith(f"{target} stopped: the ledger ")
        assert str(sync.workdir / "ledger.sqlite") in lines[0]
        assert "give each org/portal pair its own ledger_url" in lines[0]
    assert all_writes(other_sandbox.stats()) == {}


def company_links(hs: HubSpot, project_id: str) -> set[str]:
    """The companies a HubSpot project is associated with (v4 associations, any label)."""
    body = hs._call("GET", f"/crm/v4/objects/project/{project_id}/associations/companies")
    return {str(item["toObjectId"]) for item in body["results"]}


def test_reparented_projects_keep_only_their_new_company(clean_sandbox: Any, sync: TwoWay) -> None:
    """Merging Account L into W moves L's projects to W and deletes L: in HubSpot each
    project ends associated with W's company only (the lookup implies that set)."""
    write_mappings(sync.mappings)
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    loser = sf.create("Account", {"Name": "L Corp"})
    winner = sf.create("Account", {"Name": "W Corp"})
    projects = [
        sf.create("Project__c", {"Name": f"P{i}", "Status__c": "Planned", "Account__c": loser})
        for i in range(2)
    ]
    sync.run()
    companies = {
        r["salesforce_id"]: i for i, r in hs.records("companies", ["salesforce_id"]).items()
    }
    on_hs = {r["salesforce_id"]: i for i, r in hs.records("project", ["salesforce_id"]).items()}
    assert {p: company_links(hs, on_hs[p]) for p in projects} == {
        p: {companies[loser]} for p in projects
    }

    merged = clean_sandbox.control(
        "POST", "salesforce/merge", {"object": "Account", "master": winner, "merge": [loser]}
    )
    assert merged["success"] is True, merged
    assert {r["Account__c"] for r in sf.rows("Project__c", "Account__c").values()} == {winner}
    sync.run()
    assert {p: company_links(hs, on_hs[p]) for p in projects} == {
        p: {companies[winner]} for p in projects
    }
    clean_sandbox.clear_stats()
    sync.run()
    assert all_writes(clean_sandbox.stats()) == {}
