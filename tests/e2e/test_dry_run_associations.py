"""The preview shows associations (issue 14, feature 9), through `meltano run`.

A dry run of either leg plans the project-to-company associations (forward: HubSpot
associations; reverse: the Salesforce lookups folded into the writes or parked until
their record is there); the real run that follows makes (or parks) exactly as many.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.e2e.two_way_helpers import HubSpot, Salesforce

pytestmark = pytest.mark.e2e


def salesforce_ids(hs: HubSpot, obj: str) -> dict[str, str | None]:
    """HubSpot id -> the Salesforce id it holds, of every ``obj`` record."""
    return {h: r["salesforce_id"] for h, r in hs.records(obj, ["salesforce_id"]).items()}


def associations(plan_file: Any) -> dict[str, tuple[int, int]]:
    streams = json.loads(plan_file.read_text())["streams"]
    return {
        s["mapping"]: (s["counts"]["associations_made"], s["counts"]["associations_pending"])
        for s in streams
    }


def test_meltano_dry_run_plans_the_associations_the_run_makes(
    clean_sandbox: Any, meltano_project: Any
) -> None:
    clean_sandbox.seed(salesforce={"Account": 4, "Project__c": 30})
    crm = meltano_project.root / ".meltano" / "crm-sync"
    (crm / "sandbox-ledger.sqlite").unlink(missing_ok=True)
    plan_file = crm / "plan.json"
    dry = meltano_project.run(
        "run", "--full-refresh", "forward", env={"TARGET_HUBSPOT_CUSTOM_DRY_RUN": "true"}
    )
    assert dry.returncode == 0, dry.stderr.decode()[-4000:]
    planned = associations(plan_file)
    assert planned["project"][0] > 0, planned
    clean_sandbox.clear_stats()
    real = meltano_project.run("run", "--full-refresh", "forward")
    assert real.returncode == 0, real.stderr.decode()[-4000:]
    made, pending = associations(plan_file)["project"]
    assert planned["project"][0] == made + pending, (planned, made, pending)
    assert made > 0


@pytest.fixture
def hubspot_creates_projects(meltano_project: Any) -> Iterator[None]:
    """The project mapping lets HubSpot create Salesforce projects (in the project copy)."""
    spec_file = meltano_project.root / "transforms" / "mappings" / "project.yml"
    shipped = spec_file.read_text()
    spec = yaml.safe_load(shipped)
    spec["create"]["to_salesforce"] = True
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    try:
        yield
    finally:
        spec_file.write_text(shipped)


@pytest.mark.usefixtures("hubspot_creates_projects")
def test_meltano_reverse_dry_run_plans_the_lookups_the_run_sets(
    clean_sandbox: Any, meltano_project: Any
) -> None:
    """The reverse leg folds lookups into its writes: its preview counts them too.

    Five projects made in HubSpot: three on companies Salesforce already has (lookups the
    run sets at once), two on a company only HubSpot has (its Account is created by the
    same run; the lookups wait for it), and one project on no company.
    """
    clean_sandbox.seed(salesforce={"Account": 3})
    crm = meltano_project.root / ".meltano" / "crm-sync"
    (crm / "sandbox-ledger.sqlite").unlink(missing_ok=True)
    plan_file = crm / "plan-salesforce.json"  # target-salesforce-custom's plan_path
    forward = meltano_project.run("run", "--full-refresh", "forward")
    assert forward.returncode == 0, forward.stderr.decode()[-4000:]

    env = meltano_project.sandbox_env
    sf, hs = Salesforce(env), HubSpot(env)
    synced = [hid for hid, sf_id in salesforce_ids(hs, "companies").items() if sf_id]
    assert len(synced) == 3, synced
    only_hubspot = hs.create("companies", {"name": "Only in HubSpot"})
    companies = [*synced, only_hubspot, only_hubspot]
    made_in_hubspot: dict[str, str | None] = {}
    for i, company in enumerate(companies):
        project = hs.create("project", {"project_name": f"From HubSpot {i}"})
        hs._call(
            "PUT", f"/crm/v4/objects/project/{project}/associations/default/companies/{company}"
        )
        made_in_hubspot[project] = company
    made_in_hubspot[hs.create("project", {"project_name": "On no company"})] = None

    dry = meltano_project.run(
        "run", "--full-refresh", "reverse", env={"TARGET_SALESFORCE_CUSTOM_DRY_RUN": "true"}
    )
    assert dry.returncode == 0, dry.stderr.decode()[-4000:]
    planned = associations(plan_file)["project"][0]
    assert planned == len(companies), planned
    assert not [r for r in sf.rows("Project__c", "HubSpot_Id__c").values() if r["HubSpot_Id__c"]]

    real = meltano_project.run("run", "--full-refresh", "reverse")
    assert real.returncode == 0, real.stderr.decode()[-4000:]
    made, pending = associations(plan_file)["project"]
    assert made + pending == planned, (planned, made, pending)
    # each project's lookup names its company's Account (the new one's id written back)
    account_of = salesforce_ids(hs, "companies")
    rows = sf.rows("Project__c", "HubSpot_Id__c, Account__c")
    lookups = {r["HubSpot_Id__c"]: r["Account__c"] for r in rows.values() if r["HubSpot_Id__c"]}
    wanted = {p: (account_of[c] if c else None) for p, c in made_in_hubspot.items()}
    assert lookups == wanted, lookups
    assert made == planned and pending == 0
