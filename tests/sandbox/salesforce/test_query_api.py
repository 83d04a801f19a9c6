"""query / queryAll / nextRecordsUrl through simple-salesforce (direct mode) and requests.

simple-salesforce cannot log in to a local host (it appends ``.salesforce.com`` to its
login domain), so it runs in its instance-URL + session-id mode with the sandbox CA,
configured only from what ``crm-sandbox env`` prints.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox.core.process import RunningSandbox

pytestmark = pytest.mark.xdist_group("sf_query")

SOQL = "SELECT Id, Name, SystemModstamp FROM Project__c ORDER BY SystemModstamp, Id"


def client(env: dict[str, str]) -> Salesforce:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    return Salesforce(
        instance_url=env["CRM_SANDBOX_SF_INSTANCE_URL"],
        session_id=env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
        version=env["CRM_SANDBOX_SF_API_VERSION"],
        session=session,
    )


@pytest.fixture(scope="module")
def seeded(sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    sandbox.set_faults()
    sandbox.clock(unfreeze=True)
    sandbox.reset()
    sandbox.seed(salesforce={"Account": 5, "Project__c": 4500})
    yield sandbox
    sandbox.reset()


def test_query_pages_of_2000_and_query_more(seeded: RunningSandbox) -> None:
    sf = client(seeded.env)
    first = sf.query(SOQL)
    assert (first["totalSize"], first["done"], len(first["records"])) == (4500, False, 2000)
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-2000")
    record = first["records"][0]
    assert list(record) == ["attributes", "Id", "Name", "SystemModstamp"]
    assert record["attributes"]["type"] == "Project__c"
    assert record["SystemModstamp"].endswith("+0000")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert (second["done"], len(second["records"])) == (False, 2000)
    third = sf.query_more(second["nextRecordsUrl"], identifier_is_url=True)
    assert (third["done"], len(third["records"])) == (True, 500)
    assert "nextRecordsUrl" not in third
    ids = [r["Id"] for page in (first, second, third) for r in page["records"]]
    assert len(set(ids)) == 4500


def test_query_all_and_iter_and_batch_size(seeded: RunningSandbox) -> None:
    sf = client(seeded.env)
    everything = sf.query_all(SOQL)
    assert everything["totalSize"] == 4500 and len(everything["records"]) == 4500
    assert sum(1 for _ in sf.query_all_iter("SELECT Id FROM Project__c")) == 4500
    small = sf.query(SOQL, headers={"Sforce-Query-Options": "batchSize=500"})
    assert len(small["records"]) == 500 and small["nextRecordsUrl"].endswith("-500")
    tiny = sf.query(SOQL, headers={"Sforce-Query-Options": "batchSize=5"})
    assert len(tiny["records"]) == 200  # clamped to Salesforce's minimum


def test_count_and_parent_relationships(seeded: RunningSandbox) -> None:
    sf = client(seeded.env)
    count = sf.query("SELECT COUNT() FROM Project__c")
    assert count == {"totalSize": 4500, "done": True, "records": []}
    rows = sf.query("SELECT Id, Account__r.Name FROM Project__c WHERE Account__c != null LIMIT 3")[
        "records"
    ]
    for row in rows:
        assert row["Account__r"]["attributes"]["type"] == "Account"
        assert isinstance(row["Account__r"]["Name"], str)


def test_fields_function_selects_groups_of_fields(seeded: RunningSandbox) -> None:
    """SOQL's FIELDS(ALL|STANDARD|CUSTOM), as a developer exploring an org types it."""
    sf = client(seeded.env)
    described = [f["name"] for f in sf.Project__c.describe()["fields"]]
    (row,) = sf.query("SELECT FIELDS(ALL) FROM Project__c LIMIT 1")["records"]
    assert list(row)[1:] == described
    (row,) = sf.query("SELECT Id, FIELDS(CUSTOM) FROM Project__c LIMIT 1")["records"]
    assert list(row)[1:] == ["Id"] + [n for n in described if n.endswith("__c")]
    rows = sf.query("SELECT FIELDS(STANDARD) FROM Project__c")["records"]
    assert len(rows) == 2000 and "Budget__c" not in rows[0] and "Name" in rows[0]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT FIELDS(ALL) FROM Project__c")  # unbounded: needs LIMIT <= 200
    assert info.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    assert "LIMIT of at most 200" in info.value.content[0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id, FIELDS(ALL) FROM Project__c LIMIT 5")
    assert info.value.content[0]["message"] == "duplicate field selected: Id"


def test_query_errors_have_salesforce_bodies(seeded: RunningSandbox) -> None:
    sf = client(seeded.env)
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Nme FROM Account")
    (body,) = info.value.content
    assert body["errorCode"] == "INVALID_FIELD"
    assert body["message"].startswith(
        "\nSELECT Nme FROM Account\n       ^\nERROR at Row:1:Column:8"
    )
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id FROM Account WHERE")
    assert info.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id FROM Nope__c")
    assert info.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_taps_resend_q_with_the_locator(seeded: RunningSandbox) -> None:
    env = seeded.env
    base = env["CRM_SANDBOX_SF_INSTANCE_URL"]
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"
    params = {"q": SOQL}
    reply = session.get(f"{base}/services/data/v61.0/queryAll", params=params).json()
    seen = [r["Id"] for r in reply["records"]]
    while not reply["done"]:
        locator = reply["nextRecordsUrl"].rsplit("/", 1)[-1]
        reply = session.get(f"{base}/services/data/v61.0/queryAll/{locator}", params=params)
        assert reply.status_code == 200, reply.text
        reply = reply.json()
        seen += [r["Id"] for r in reply["records"]]
    assert len(seen) == len(set(seen)) == 4500
    bad = session.get(f"{base}/services/data/v61.0/query/01g5g0000000999AAA-2000")
    assert bad.status_code == 400
    assert bad.json() == [
        {"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}
    ]


def test_cursor_is_a_snapshot_while_rows_change(clean_sandbox: RunningSandbox) -> None:
    clean_sandbox.seed(salesforce={"Project__c": 1000})
    sf = client(clean_sandbox.env)
    headers = {"Sforce-Query-Options": "batchSize=200"}
    page = sf.query(SOQL, headers=headers)
    ids = [r["Id"] for r in page["records"]]
    expected = {r["Id"] for r in sf.query_all("SELECT Id FROM Project__c")["records"]}
    # Touch rows the cursor has not returned yet (moving them to the end of the order),
    # delete some, add new ones: the walk still returns the original set exactly once.
    later = sorted(expected - set(ids))
    for record_id in later[:5]:
        sf.Project__c.update(record_id, {"Name": "moved"})
    sf.Project__c.delete(later[10])
    sf.Project__c.create({"Name": "new one"})
    while not page["done"]:
        page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True, headers=headers)
        ids += [r["Id"] for r in page["records"]]
    assert len(ids) == len(set(ids)) == 1000
    assert set(ids) == expected


def test_query_all_sees_deleted_rows(clean_sandbox: RunningSandbox) -> None:
    clean_sandbox.seed(salesforce={"Project__c": 3})
    sf = client(clean_sandbox.env)
    victim = sf.query("SELECT Id FROM Project__c LIMIT 1")["records"][0]["Id"]
    sf.Project__c.delete(victim)
    live = sf.query("SELECT Id, IsDeleted FROM Project__c")
    assert live["totalSize"] == 2 and victim not in {r["Id"] for r in live["records"]}
    everything = sf.query_all("SELECT Id, IsDeleted FROM Project__c", include_deleted=True)
    assert everything["totalSize"] == 3
    assert {r["Id"]: r["IsDeleted"] for r in everything["records"]}[victim] is True


def test_cursor_expires_after_15_idle_minutes(clean_sandbox: RunningSandbox) -> None:
    clean_sandbox.seed(salesforce={"Project__c": 300})
    sf = client(clean_sandbox.env)
    page = sf.query(SOQL, headers={"Sforce-Query-Options": "batchSize=200"})
    clean_sandbox.clock(advance_ms=16 * 60 * 1000)
    try:
        with pytest.raises(SalesforceMalformedRequest) as info:
            sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
    finally:  # the worker's sandbox is shared: put its clock back
        clean_sandbox.clock(advance_ms=-16 * 60 * 1000)
    assert info.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
