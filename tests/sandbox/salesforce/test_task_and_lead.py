"""Task with its polymorphic WhoId / WhatId lookups, and Lead, through simple-salesforce."""

from __future__ import annotations

import subprocess
import sys

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox.core.process import RunningSandbox
from tests.sandbox.salesforce.test_query_api import client

pytestmark = pytest.mark.xdist_group("sf_query")


@pytest.fixture
def sf(clean_sandbox: RunningSandbox) -> Salesforce:
    return client(clean_sandbox.env)


def test_describe_reports_polymorphic_lookups(sf: Salesforce) -> None:
    fields = {f["name"]: f for f in sf.Task.describe()["fields"]}
    who, what = fields["WhoId"], fields["WhatId"]
    assert who["referenceTo"] == ["Contact", "Lead"]
    assert (who["relationshipName"], who["polymorphicForeignKey"], who["type"]) == (
        "Who", True, "reference",
    )  # fmt: skip
    assert {"Account", "Project__c", "Opportunity"} <= set(what["referenceTo"])
    assert (what["relationshipName"], what["polymorphicForeignKey"]) == ("What", True)
    assert fields["Status"]["type"] == "picklist" and not fields["Status"]["nillable"]
    assert [v["value"] for v in fields["Status"]["picklistValues"] if v["defaultValue"]] == [
        "Not Started"
    ]
    assert fields["ActivityDate"]["type"] == "date"
    assert fields["Subject"]["type"] == "combobox"
    for name in ("Type", "Description", "Priority", "OwnerId"):
        assert name in fields
    assert fields["OwnerId"]["polymorphicForeignKey"] is False or fields["OwnerId"]["referenceTo"]
    lead = {f["name"] for f in sf.Lead.describe()["fields"]}
    assert {"FirstName", "LastName", "Company", "Email", "Status", "IsConverted"} <= lead
    children = {
        (c["childSObject"], c["field"]): c["relationshipName"]
        for c in sf.Contact.describe()["childRelationships"]
    }
    assert children[("Task", "WhoId")] == "Tasks"


def test_task_lookups_take_any_of_their_targets(sf: Salesforce) -> None:
    contact = sf.Contact.create({"LastName": "Lovelace", "FirstName": "Ada"})["id"]
    lead = sf.Lead.create({"LastName": "Hopper", "Company": "Navy"})["id"]
    project = sf.Project__c.create({"Name": "Engine"})["id"]
    account = sf.Account.create({"Name": "Acme"})["id"]
    on_contact = sf.Task.create(
        {"Subject": "Call", "WhoId": contact, "WhatId": project, "ActivityDate": "2026-12-01"}
    )["id"]
    sf.Task.create({"Subject": "Email", "WhoId": lead, "Priority": "High"})
    sf.Task.create({"Subject": "Other", "WhatId": account, "Status": "Completed"})
    task = sf.Task.get(on_contact)
    assert (task["WhoId"], task["WhatId"], task["Status"], task["Priority"]) == (
        contact, project, "Not Started", "Normal",
    )  # fmt: skip
    assert task["ActivityDate"] == "2026-12-01" and task["IsClosed"] is False
    rows = sf.query(
        "SELECT Subject, Who.Name, Who.Type, What.Name, What.Type, IsHighPriority, IsClosed "
        "FROM Task ORDER BY Subject"
    )["records"]
    shaped = [
        (
            r["Subject"],
            r["Who"] and (r["Who"]["Name"], r["Who"]["Type"]),
            r["What"] and (r["What"]["Name"], r["What"]["Type"]),
            r["IsHighPriority"],
            r["IsClosed"],
        )
        for r in rows
    ]
    assert shaped == [
        ("Call", ("Ada Lovelace", "Contact"), ("Engine", "Project__c"), False, False),
        ("Email", ("Hopper", "Lead"), None, True, False),
        ("Other", None, ("Acme", "Account"), False, True),
    ]
    assert rows[0]["Who"]["attributes"]["url"].endswith(f"/sobjects/Contact/{contact}")
    filtered = sf.query(f"SELECT Subject FROM Task WHERE WhoId = '{lead}'")["records"]
    assert [r["Subject"] for r in filtered] == ["Email"]
    with pytest.raises(SalesforceMalformedRequest) as wrong:
        sf.Task.create({"Subject": "x", "WhoId": account})  # an Account is not a Who
    assert wrong.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_seeded_tasks_link_to_real_records(clean_sandbox: RunningSandbox) -> None:
    """`crm-sandbox seed --salesforce Task=N` after the records tasks point at."""
    command = [
        sys.executable, "-m", "crm_sandbox.cli", "seed",
        "--data-dir", str(clean_sandbox.data_dir.path),
        "--salesforce", "Account=20,Contact=40,Lead=15,Project__c=30,Task=300",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    sf = client(clean_sandbox.env)
    tasks = sf.query_all("SELECT WhoId, WhatId, Status, Who.Type, What.Type FROM Task")["records"]
    assert len(tasks) == 300
    who_types = {t["Who"]["Type"] for t in tasks if t["WhoId"]}
    what_types = {t["What"]["Type"] for t in tasks if t["WhatId"]}
    assert who_types == {"Contact", "Lead"}
    assert {"Account", "Project__c"} <= what_types
    assert all(t["Who"] is not None for t in tasks if t["WhoId"])  # every id resolves
    assert all(t["What"] is not None for t in tasks if t["WhatId"])
    assert not any(t["WhatId"] for t in tasks if (t["WhoId"] or "").startswith("00Q"))
    assert len({t["Status"] for t in tasks}) > 2


def test_sosl_finds_tasks_by_subject(sf: Salesforce) -> None:
    """Subject is a combobox (text with suggested values): ALL FIELDS and NAME search it."""
    task = sf.Task.create({"Subject": "Apollo kickoff call"})["id"]
    found = sf.search("FIND {Apollo} RETURNING Task(Id, Subject)")["searchRecords"]
    assert [(r["Id"], r["Subject"]) for r in found] == [(task, "Apollo kickoff call")]
    by_name = sf.search("FIND {kickoff} IN NAME FIELDS RETURNING Task(Id)")["searchRecords"]
    assert [r["Id"] for r in by_name] == [task]
