"""Formula and roll-up summary fields: values that change without bumping SystemModstamp.

``Project__c.Budget_Remaining__c`` is a formula (``Budget__c * (1 - Completion__c)``),
``Account.Total_Project_Budget__c`` / ``Number_Of_Projects__c`` roll up the account's
projects. Read through simple-salesforce: describe, REST, SOQL (SELECT and WHERE), Bulk 2.0.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox.core.clock import Clock
from crm_sandbox.core.db import Database
from crm_sandbox.core.process import RunningSandbox
from crm_sandbox.salesforce.org import default_schema
from crm_sandbox.salesforce.store import SalesforceStore
from tests.sandbox.salesforce.test_query_api import client

pytestmark = pytest.mark.xdist_group("sf_query")
USER = "0055g00000AAAAAAAA"


@pytest.fixture
def sf(clean_sandbox: RunningSandbox) -> Salesforce:
    return client(clean_sandbox.env)


def test_describe_reports_calculated_fields(sf: Salesforce) -> None:
    project = {f["name"]: f for f in sf.Project__c.describe()["fields"]}
    remaining = project["Budget_Remaining__c"]
    assert remaining["calculated"] is True
    assert remaining["calculatedFormula"] == "Budget__c * (1 - Completion__c)"
    assert remaining["type"] == "currency" and remaining["soapType"] == "xsd:double"
    assert not remaining["createable"] and not remaining["updateable"]
    assert project["Budget__c"]["calculated"] is False
    account = {f["name"]: f for f in sf.Account.describe()["fields"]}
    total, count = account["Total_Project_Budget__c"], account["Number_Of_Projects__c"]
    assert total["calculated"] and total["type"] == "currency" and not total["createable"]
    assert count["calculated"] and count["type"] == "double" and not count["updateable"]


def test_formula_follows_its_inputs_without_touching_the_modstamp(sf: Salesforce) -> None:
    account_id = sf.Account.create({"Name": "Acme"})["id"]
    project_id = sf.Project__c.create(
        {"Name": "P", "Budget__c": 1000.0, "Completion__c": 25.0, "Account__c": account_id}
    )["id"]
    record = sf.Project__c.get(project_id)
    assert record["Budget_Remaining__c"] == 750.0
    sf.Project__c.update(project_id, {"Completion__c": 60.0})
    assert sf.Project__c.get(project_id)["Budget_Remaining__c"] == 400.0
    sf.Project__c.update(project_id, {"Budget__c": 100.01, "Completion__c": 33.0})
    assert sf.Project__c.get(project_id)["Budget_Remaining__c"] == 67.01  # 67.0067, 2 places
    sf.Project__c.update(project_id, {"Completion__c": None})
    assert sf.Project__c.get(project_id)["Budget_Remaining__c"] is None  # blanks stay blank
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Project__c.update(project_id, {"Budget_Remaining__c": 5.0})
    assert refused.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_formula_in_soql_select_where_and_order(sf: Salesforce) -> None:
    for name, budget, done in (("A", 1000.0, 10.0), ("B", 1000.0, 90.0), ("C", 500.0, 0.0)):
        sf.Project__c.create({"Name": name, "Budget__c": budget, "Completion__c": done})
    rows = sf.query(
        "SELECT Name, Budget_Remaining__c FROM Project__c WHERE Budget_Remaining__c > 200 "
        "ORDER BY Budget_Remaining__c DESC"
    )["records"]
    assert [(r["Name"], r["Budget_Remaining__c"]) for r in rows] == [("A", 900.0), ("C", 500.0)]


def test_rollups_track_children_without_touching_the_parent_modstamp(sf: Salesforce) -> None:
    account_id = sf.Account.create({"Name": "Acme"})["id"]
    other_id = sf.Account.create({"Name": "Other"})["id"]

    def account(record_id: str) -> dict:
        return sf.query(
            "SELECT Total_Project_Budget__c, Number_Of_Projects__c, SystemModstamp "
            f"FROM Account WHERE Id = '{record_id}'"
        )["records"][0]

    before = account(account_id)
    assert (before["Total_Project_Budget__c"], before["Number_Of_Projects__c"]) == (0.0, 0.0)
    first = sf.Project__c.create({"Name": "1", "Budget__c": 100.0, "Account__c": account_id})
    second = sf.Project__c.create({"Name": "2", "Budget__c": 50.0, "Account__c": account_id})
    now = account(account_id)
    assert (now["Total_Project_Budget__c"], now["Number_Of_Projects__c"]) == (150.0, 2.0)
    sf.Project__c.update(second["id"], {"Budget__c": 70.0})
    assert account(account_id)["Total_Project_Budget__c"] == 170.0
    sf.Project__c.update(first["id"], {"Account__c": other_id})  # reparented
    assert account(account_id)["Total_Project_Budget__c"] == 70.0
    assert account(other_id)["Total_Project_Budget__c"] == 100.0
    sf.Project__c.delete(second["id"])
    after = account(account_id)
    assert (after["Total_Project_Budget__c"], after["Number_Of_Projects__c"]) == (0.0, 0.0)
    assert after["SystemModstamp"] == before["SystemModstamp"]
    filtered = sf.query("SELECT Name FROM Account WHERE Number_Of_Projects__c = 1")["records"]
    assert [r["Name"] for r in filtered] == ["Other"]


def test_seeded_rollups_and_bulk_results(clean_sandbox: RunningSandbox, sf: Salesforce) -> None:
    clean_sandbox.seed(salesforce={"Account": 5, "Project__c": 60})
    accounts = sf.query_all(
        "SELECT Id, Total_Project_Budget__c, Number_Of_Projects__c FROM Account"
    )["records"]
    projects = sf.query_all("SELECT Account__c, Budget__c FROM Project__c")["records"]
    for acc in accounts:
        mine = [p["Budget__c"] for p in projects if p["Account__c"] == acc["Id"]]
        assert acc["Number_Of_Projects__c"] == len(mine)
        assert acc["Total_Project_Budget__c"] == pytest.approx(sum(mine))
    pages = sf.bulk2.Project__c.query(
        "SELECT Id, Budget__c, Completion__c, Budget_Remaining__c FROM Project__c", wait=0.1
    )
    rows = [r for page in pages for r in csv.DictReader(io.StringIO(page))]
    assert len(rows) == 60
    for row in rows:
        expected = float(row["Budget__c"]) * (1 - float(row["Completion__c"]) / 100)
        assert float(row["Budget_Remaining__c"]) == pytest.approx(expected)


def test_full_rollup_refresh_recomputes_and_zeroes(tmp_path: Path) -> None:
    """The one-pass refresh seeding uses: grouped sums in, zeros where no child is left."""
    store = SalesforceStore(Database(tmp_path / "sf.db"), default_schema(), Clock(), USER)
    a, b = (store.create("Account", {"Name": n}).id for n in ("A", "B"))
    store.create("Project__c", {"Name": "1", "Budget__c": 5.0, "Account__c": a})
    gone = store.create("Project__c", {"Name": "2", "Budget__c": 7.0, "Account__c": b}).id
    with store.db.transaction() as conn:  # stale values, and a child deleted behind its back
        conn.execute('UPDATE "sobj_Account" SET "Total_Project_Budget__c" = 99')
        conn.execute('UPDATE "sobj_Project__c" SET "IsDeleted" = 1 WHERE "Id" = ?', (gone,))
    store.refresh_rollups(store.object("Project__c"))
    totals = {
        r["Id"]: (r["Total_Project_Budget__c"], r["Number_Of_Projects__c"])
        for r in (store.fetch_row(store.object("Account"), i) for i in (a, b))
        if r
    }
    assert totals == {a: (5.0, 1), b: (0, 0)}
