"""Tasks and activities (issue 14, feature 7): Task <-> tasks through `meltano run`.

The shipped ``task.yml`` maps Salesforce's standard Task to HubSpot's standard tasks
(0-27): value maps for status, priority and type (the task-type choice), the due date
(a Salesforce date) as ``hs_timestamp`` (a HubSpot datetime, midnight UTC; compared as a
date, so a HubSpot task's time of day is kept), the
polymorphic ``WhatId`` as an association to a company or a project, picked by the
referenced id's key prefix, and ``WhoId`` as an association to the task's contact (a
Lead's id makes none, with a ``lookup_unmapped`` warning: no mapping syncs leads). The
shipped meltano.yml reads Task and Contact (forward), tasks and contacts with their
company, project and contact associations (reverse).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.e2e.conftest import REPO
from tests.e2e.two_way_helpers import HubSpot, Salesforce, all_writes

pytestmark = pytest.mark.e2e

TASK_FIELDS = "Subject, Status, Priority, Type, ActivityDate, WhoId, WhatId, HubSpot_Id__c"
HS_PROPS = ["hs_task_subject", "hs_task_status", "hs_task_priority", "hs_task_type",
            "hs_timestamp", "salesforce_id"]  # fmt: skip


def values(field: str) -> dict[str, str]:
    spec = yaml.safe_load((REPO / "transforms" / "mappings" / "task.yml").read_text())
    return dict(next(f for f in spec["fields"] if f["salesforce"] == field)["values"])


def associated(hs: HubSpot, to_object: str, task_ids: list[str]) -> dict[str, set[str]]:
    """HubSpot task id -> ids of its ``to_object`` records (v4 batch read)."""
    body = hs._call("POST", f"/crm/v4/associations/tasks/{to_object}/batch/read",
                    json={"inputs": [{"id": i} for i in task_ids]})  # fmt: skip
    return {str(r["from"]["id"]): {str(t["toObjectId"]) for t in r["to"]} for r in body["results"]}


def run(project: Any, job: str) -> str:
    """Run a meltano job; its stderr (the plugins' logs)."""
    done = project.run("run", job)
    assert done.returncode == 0, done.stderr.decode()[-4000:]
    return done.stderr.decode()


def fresh_start(project: Any) -> None:
    """Forget the ledger and both legs' bookmarks (the sandbox was just cleaned)."""
    (project.root / ".meltano" / "crm-sync" / "sandbox-ledger.sqlite").unlink(missing_ok=True)
    for state_id in ("sandbox:forward", "sandbox:reverse"):
        project.run("state", "clear", "--force", state_id)


def test_tasks_both_ways_with_their_polymorphic_who_and_what(
    clean_sandbox: Any, meltano_project: Any
) -> None:
    clean_sandbox.seed(
        salesforce={"Account": 4, "Contact": 10, "Lead": 3, "Project__c": 12, "Task": 40}
    )
    fresh_start(meltano_project)
    env = meltano_project.sandbox_env
    sf, hs = Salesforce(env), HubSpot(env)
    # A task on a Draft project: project.yml's filter leaves the project out, so the
    # forward leg parks the task's association (it is never made in HubSpot).
    draft = sf.create("Project__c", {"Name": "Still a draft", "Status__c": "Draft"})
    on_draft = sf.create(
        "Task", {"Subject": "Scope the draft", "ActivityDate": "2026-12-02", "WhatId": draft}
    )

    # --- forward: Salesforce Tasks arrive as HubSpot tasks, associated by WhoId's and
    # WhatId's type
    logs = run(meltano_project, "forward")
    tasks = sf.rows("Task", TASK_FIELDS)
    dated = {i: r for i, r in tasks.items() if r["ActivityDate"]}  # the spec's filter
    records = hs.records("tasks", HS_PROPS)
    by_sf = {r["salesforce_id"]: (hid, r) for hid, r in records.items()}
    assert set(by_sf) == set(dated)
    status, priority, kind = values("Status"), values("Priority"), values("Type")
    for sf_id, row in dated.items():
        hid, rec = by_sf[sf_id]
        assert rec["hs_task_subject"] == row["Subject"]
        assert rec["hs_task_status"] == status[row["Status"]]
        assert rec["hs_task_priority"] == priority[row["Priority"]]
        assert rec["hs_task_type"] == (kind[row["Type"]] if row["Type"] else rec["hs_task_type"])
        assert rec["hs_timestamp"].startswith(row["ActivityDate"] + "T00:00:00")
    companies = {
        r["salesforce_id"]: i for i, r in hs.records("companies", ["salesforce_id"]).items()
    }
    projects = {r["salesforce_id"]: i for i, r in hs.records("project", ["salesforce_id"]).items()}
    hs_ids = [by_sf[i][0] for i in dated]
    to_company, to_project = associated(hs, "companies", hs_ids), associated(hs, "project", hs_ids)
    seen = {"001": 0, "a0X": 0}
    for sf_id, row in dated.items():
        hid, what = by_sf[sf_id][0], row["WhatId"]
        want_company = {companies[what]} if what and what in companies else set()
        want_project = {projects[what]} if what and what in projects else set()
        assert to_company.get(hid, set()) == want_company, (sf_id, what)
        assert to_project.get(hid, set()) == want_project, (sf_id, what)
        if what and (want_company or want_project):
            seen[what[:3]] += 1
    assert seen["001"] and seen["a0X"], seen  # both kinds of WhatId were associated

    # WhoId: a contact's task is associated with the HubSpot contact; a lead's with none,
    # and map-crm warns once per such task, naming its WhoId.
    contacts = {r["salesforce_id"]: i for i, r in hs.records("contacts", ["salesforce_id"]).items()}
    to_contact = associated(hs, "contacts", hs_ids)
    leads = [(i, row["WhoId"]) for i, row in dated.items() if (row["WhoId"] or "")[:3] == "00Q"]
    for sf_id, row in dated.items():
        who = row["WhoId"]
        want = {contacts[who]} if who and who.startswith("003") else set()
        assert to_contact.get(by_sf[sf_id][0], set()) == want, (sf_id, who)
    assert leads and any(to_contact.values()), "seed a task of each kind of WhoId"
    warned = [line for line in logs.splitlines() if "[lookup_unmapped]" in line]
    assert len(warned) == len(leads)
    for sf_id, who in leads:
        assert any(sf_id in line and f"WhoId {who} (Lead)" in line for line in warned), who

    # --- reverse: a HubSpot task arrives as a Salesforce Task of the chosen type
    company_sf = next(iter(companies))
    created = {
        "hs_task_subject": "Follow up from HubSpot",
        "hs_timestamp": "2026-12-01T15:30:00Z",
        "hs_task_type": "TODO",
        "hs_task_status": "NOT_STARTED",
        "hs_task_priority": "HIGH",
    }
    new = hs.create("tasks", created)
    unprioritised = hs.create("tasks", {**created, "hs_task_subject": "No priority",
                                        "hs_task_priority": "NONE"})  # fmt: skip
    company = companies[company_sf]
    contact_sf = next(iter(contacts))
    hs._call("PUT", f"/crm/v4/objects/tasks/{new}/associations/default/companies/{company}")
    hs._call(
        "PUT", f"/crm/v4/objects/tasks/{new}/associations/default/contacts/{contacts[contact_sf]}"
    )
    run(meltano_project, "reverse")
    sf_after = sf.rows("Task", TASK_FIELDS)
    # The reverse leg leaves the Salesforce tasks' lookups alone, those whose association
    # the forward leg could not make included (a Draft project: its filter leaves it out).
    assert sf_after[on_draft]["WhatId"] == draft
    assert {i: (sf_after[i]["WhoId"], sf_after[i]["WhatId"]) for i in tasks} == {
        i: (row["WhoId"], row["WhatId"]) for i, row in tasks.items()
    }
    [made] = [r for r in sf_after.values() if r["HubSpot_Id__c"] == new]
    assert made["Subject"] == "Follow up from HubSpot"
    assert made["Type"] == "Other"  # the chosen type: HubSpot's TODO becomes Other
    assert (made["Status"], made["Priority"]) == ("Not Started", "High")
    assert made["ActivityDate"] == "2026-12-01"
    [none] = [r for r in sf_after.values() if r["HubSpot_Id__c"] == unprioritised]
    assert none["Priority"] == "None"  # the value the org's admin added for HubSpot's NONE
    assert (made["WhatId"], made["WhoId"]) == (company_sf, contact_sf)
    assert hs.records("tasks", ["salesforce_id"])[new]["salesforce_id"] == made["Id"]

    # --- rerun: the HubSpot-made tasks keep their priority and their due date's time of
    # day (the Salesforce date compares as a date): nothing is written either way.
    clean_sandbox.clear_stats()
    run(meltano_project, "forward")
    assert all_writes(clean_sandbox.stats()) == {}
    after = hs.records("tasks", ["hs_task_priority", "hs_timestamp"])
    assert after[new]["hs_task_priority"] == "HIGH"
    assert after[unprioritised]["hs_task_priority"] == "NONE"
    assert after[new]["hs_timestamp"].startswith("2026-12-01T15:30:00")
    run(meltano_project, "reverse")
    run(meltano_project, "forward")
    run(meltano_project, "reverse")
    assert all_writes(clean_sandbox.stats()) == {}
