"""Formula and roll-up fields stay fresh (issue 14, feature 1), through `meltano run forward`.

``Account.Total_Project_Budget__c`` / ``Number_Of_Projects__c`` roll up the account's
projects: editing a project's budget changes them without bumping the account's
SystemModstamp, so the incremental read never sees it. The project's copy of
``account.yml`` maps both roll-ups to company properties (which the portal's admin
added) with ``refresh: {fields: formulas, every: 1d}``; the cadence is advanced on the
sandbox clock, never by waiting.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import lay_out_project
from tests.e2e.two_way_helpers import HubSpot, Salesforce, write_calls

pytestmark = pytest.mark.e2e

DAY_MS = int(timedelta(days=1).total_seconds() * 1000)
ROLLUPS = {"Total_Project_Budget__c": "total_project_budget",
           "Number_Of_Projects__c": "number_of_projects"}  # fmt: skip
PROPS = ["name", "salesforce_id", *ROLLUPS.values()]
WRITE = "upsert"  # the target writes by upsert on salesforce_id, linked or not


def account_spec() -> dict[str, Any]:
    return {
        "name": "account",
        "salesforce": {"object": "Account", "id_field": "HubSpot_Id__c"},
        "hubspot": {"object": "companies", "id_property": "salesforce_id"},
        "create": {"to_hubspot": True, "to_salesforce": False},
        "conflict": "newest",
        "fields": [
            {"salesforce": "Name", "hubspot": "name", "rule": "two_way"},
            *(
                {"salesforce": sf, "hubspot": hs, "rule": "always_salesforce"}
                for sf, hs in ROLLUPS.items()
            ),
        ],
        "refresh": {"fields": "formulas", "every": "1d"},
    }


def meltano(root: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["meltano", "run", "forward"], cwd=root, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stderr


def hubspot_calls(stats: dict[str, Any]) -> dict[str, int]:
    return {k: n for k, n in stats["hubspot"]["calls"].items() if n}


def companies(hs: HubSpot) -> dict[str, dict[str, Any]]:
    """Company properties by Salesforce account id."""
    return {r["salesforce_id"]: r for r in hs.records("companies", PROPS).values()}


def test_rollups_refresh_on_their_cadence_with_minimum_calls(
    clean_sandbox: Any, meltano_project: Any, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    lay_out_project(root, installed=meltano_project.root)  # the session's plugin venvs
    specs = root / "transforms" / "mappings"
    (specs / "account.yml").write_text(yaml.safe_dump(account_spec(), sort_keys=False))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CRM_SANDBOX_", "MELTANO_"))},
        **clean_sandbox.env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.pop("REQUESTS_CA_BUNDLE", None)
    sf, hs = Salesforce(clean_sandbox.env), HubSpot(clean_sandbox.env)
    for name, label in (("total_project_budget", "Total project budget"),
                        ("number_of_projects", "Number of projects")):  # fmt: skip
        hs._call("POST", "/crm/v3/properties/companies", json={
            "name": name, "label": label, "type": "number", "fieldType": "number",
            "groupName": "companyinformation"})  # fmt: skip
    acme, other = sf.create("Account", {"Name": "Acme"}), sf.create("Account", {"Name": "Other"})
    projects = [
        sf.create("Project__c", {"Name": f"P{n}", "Status__c": "Planned", "Budget__c": 100.0,
                                 "Account__c": acme})
        for n in range(2)
    ]  # fmt: skip
    sf.create("Project__c", {"Name": "Q", "Status__c": "Planned", "Budget__c": 40.0,
                             "Account__c": other})  # fmt: skip

    meltano(root, env)  # the first import carries the roll-ups as they are
    first = companies(hs)
    assert float(first[acme]["total_project_budget"]) == 200.0
    assert float(first[acme]["number_of_projects"]) == 2.0
    assert float(first[other]["total_project_budget"]) == 40.0

    # The import wrote each new company's id into HubSpot_Id__c, which moved the accounts'
    # SystemModstamp: the next run reads them once more and writes nothing to HubSpot.
    clean_sandbox.clear_stats()
    meltano(root, env)
    assert write_calls(clean_sandbox.stats(), "hubspot") == {}

    stamp = sf.rows("Account", "SystemModstamp")[acme]["SystemModstamp"]
    for project in projects:
        sf.update("Project__c", project, {"Budget__c": 350.0})
    assert sf.rows("Account", "SystemModstamp, Total_Project_Budget__c")[acme] == {
        "Id": acme, "SystemModstamp": stamp, "Total_Project_Budget__c": 700.0}  # fmt: skip

    clean_sandbox.clear_stats()
    log = meltano(root, env)  # the projects' edits go; the refresh is not due
    assert "not due until" in log
    assert float(companies(hs)[acme]["total_project_budget"]) == 200.0
    assert not any("/objects/companies" in k for k in write_calls(clean_sandbox.stats(), "hubspot"))

    clean_sandbox.clock(advance_ms=DAY_MS + 60_000)
    clean_sandbox.clear_stats()
    log = meltano(root, env)  # due: every account's roll-ups re-read, Acme's changed
    assert "refreshing Total_Project_Budget__c, Number_Of_Projects__c" in log
    refreshed = hubspot_calls(clean_sandbox.stats())  # before this test reads HubSpot
    now = companies(hs)
    assert float(now[acme]["total_project_budget"]) == 700.0
    assert float(now[other]["total_project_budget"]) == 40.0  # unchanged, not rewritten

    clean_sandbox.clear_stats()
    meltano(root, env)  # not due again: the calls any idle run makes (schemas, portal check)
    idle = hubspot_calls(clean_sandbox.stats())
    assert write_calls(clean_sandbox.stats(), "hubspot") == {}
    extra = {k: n - idle.get(k, 0) for k, n in refreshed.items() if n != idle.get(k, 0)}
    # The minimum for one changed company: its current values, then one batch write.
    assert extra == {
        "POST /crm/v3/objects/{objectType}/batch/read": 1,
        f"POST /crm/v3/objects/{{objectType}}/batch/{WRITE}": 1,
    }, (refreshed, idle)

    clean_sandbox.clock(advance_ms=DAY_MS + 60_000)
    clean_sandbox.clear_stats()
    log = meltano(root, env)  # due, nothing changed: not one HubSpot call more than idle
    assert "refreshing" in log
    assert hubspot_calls(clean_sandbox.stats()) == idle
