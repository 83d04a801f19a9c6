"""Bulk API 1.0 query jobs through simple-salesforce's ``sf.bulk`` and raw requests.

simple-salesforce makes JSON jobs; the raw requests cover CSV and XML jobs, PK
chunking, batch timing on the sandbox clock and the async API's error documents.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
import requests
import xmltodict
from simple_salesforce.exceptions import SalesforceGeneralError, SalesforceMalformedRequest

from crm_sandbox.core.process import RunningSandbox
from tests.sandbox.salesforce.test_org_api import client_at
from tests.sandbox.salesforce.test_query_api import client

pytestmark = pytest.mark.xdist_group("sf_query")

NS = "http://www.force.com/2009/06/asyncapi/dataload"


class Async:
    """Raw calls to /services/async/61.0 with the X-SFDC-Session header."""

    def __init__(self, env: dict[str, str]) -> None:
        self.base = f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/async/61.0/job"
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
        self.token = env["CRM_SANDBOX_SF_ACCESS_TOKEN"]

    def call(
        self, method: str, path: str, body: str = "", content_type: str = "application/json",
        **headers: str,
    ) -> requests.Response:  # fmt: skip
        sent = {"X-SFDC-Session": self.token, "Content-Type": content_type}
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        return self.session.request(method, self.base + path, data=body, headers=sent)

    def csv_job(self, operation: str = "query", **headers: str) -> str:
        body = json.dumps({"operation": operation, "object": "Project__c", "contentType": "CSV"})
        reply = self.call("POST", "", body, **headers)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["id"])

    def batches(self, job_id: str) -> list[dict[str, Any]]:
        text = self.call("GET", f"/{job_id}/batch").text
        return xmltodict.parse(text, force_list=("batchInfo",))["batchInfoList"]["batchInfo"]

    def csv_rows(self, job_id: str, batch_id: str) -> list[dict[str, str]]:
        listing = self.call("GET", f"/{job_id}/batch/{batch_id}/result").text
        ids = xmltodict.parse(listing, force_list=("result",))["result-list"]["result"]
        rows: list[dict[str, str]] = []
        for result_id in ids:
            reply = self.call("GET", f"/{job_id}/batch/{batch_id}/result/{result_id}")
            assert reply.headers["content-type"].startswith("text/csv")
            rows.extend(csv.DictReader(io.StringIO(reply.text)))
        return rows


@pytest.fixture
def seeded(clean_sandbox: RunningSandbox) -> RunningSandbox:
    clean_sandbox.seed(salesforce={"Account": 3, "Project__c": 250})
    return clean_sandbox


def test_simple_salesforce_bulk_query_json(seeded: RunningSandbox) -> None:
    sf = client(seeded.env)
    rows = sf.bulk.Project__c.query(
        "SELECT Id, Name, Account__r.Name, Is_Active__c, Budget__c, SystemModstamp FROM Project__c",
        wait=0,
    )
    assert len(rows) == len({r["Id"] for r in rows}) == 250
    first = rows[0]
    assert list(first) == [
        "attributes", "Id", "Name", "Account__r", "Is_Active__c", "Budget__c", "SystemModstamp",
    ]  # fmt: skip
    assert first["attributes"]["type"] == "Project__c"
    assert isinstance(first["SystemModstamp"], int)  # Bulk 1.0 JSON: epoch milliseconds
    assert isinstance(first["Is_Active__c"], bool)
    rest = sf.query(f"SELECT SystemModstamp FROM Project__c WHERE Id = '{first['Id']}'")
    stamp = rest["records"][0]["SystemModstamp"]
    from datetime import datetime

    expected = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000
    assert first["SystemModstamp"] == int(expected)


def test_simple_salesforce_query_all_sees_deleted_rows(seeded: RunningSandbox) -> None:
    sf = client(seeded.env)
    victim = sf.query("SELECT Id FROM Project__c LIMIT 1")["records"][0]["Id"]
    sf.Project__c.delete(victim)
    live = sf.bulk.Project__c.query("SELECT Id FROM Project__c", wait=0)
    everything = sf.bulk.Project__c.query_all("SELECT Id, IsDeleted FROM Project__c", wait=0)
    assert victim not in {r["Id"] for r in live} and len(live) == 249
    assert {r["Id"]: r["IsDeleted"] for r in everything}[victim] is True
    lazy = sf.bulk.Project__c.query("SELECT Id FROM Project__c", lazy_operation=True, wait=0)
    assert sum(len(chunk) for chunk in lazy) == 249
    assert sf.bulk.Project__c.query("SELECT Id FROM Project__c WHERE Name = 'none'", wait=0) == []


def test_simple_salesforce_failed_batch_raises(seeded: RunningSandbox) -> None:
    sf = client(seeded.env)
    with pytest.raises(SalesforceGeneralError) as failed:
        sf.bulk.Project__c.query("SELECT Nme FROM Project__c", wait=0)
    assert "InvalidBatch : Failed to process query: INVALID_FIELD" in str(failed.value)


def test_csv_job_lifecycle_and_counts(seeded: RunningSandbox) -> None:
    api = Async(seeded.env)
    job_id = api.csv_job()
    added = api.call("POST", f"/{job_id}/batch", "SELECT Id, Name FROM Project__c", "text/csv")
    assert added.status_code == 201
    batch = xmltodict.parse(added.text)["batchInfo"]
    assert batch["@xmlns"] == NS and batch["state"] == "Queued" and batch["jobId"] == job_id
    closed = api.call("POST", f"/{job_id}", json.dumps({"state": "Closed"}))
    assert closed.json()["state"] == "Closed"
    info = xmltodict.parse(api.call("GET", f"/{job_id}/batch/{batch['id']}").text)["batchInfo"]
    assert (info["state"], info["numberRecordsProcessed"]) == ("Completed", "250")
    rows = api.csv_rows(job_id, batch["id"])
    assert len(rows) == len({r["Id"] for r in rows}) == 250
    raw = api.call("GET", f"/{job_id}/batch/{batch['id']}/result").text
    result_id = xmltodict.parse(raw)["result-list"]["result"]
    text = api.call("GET", f"/{job_id}/batch/{batch['id']}/result/{result_id}").text
    assert text.startswith('"Id","Name"\n"a0')  # every value quoted, as Bulk 1.0 writes CSV
    job = api.call("GET", f"/{job_id}").json()
    assert job["numberBatchesCompleted"] == job["numberBatchesTotal"] == 1
    assert job["numberRecordsProcessed"] == 250 and job["apiVersion"] == 61.0
    late = api.call("POST", f"/{job_id}/batch", "SELECT Id FROM Project__c", "text/csv")
    assert late.status_code == 400
    assert xmltodict.parse(late.text)["error"]["exceptionCode"] == "InvalidJobState"
    request = api.call("GET", f"/{job_id}/batch/{batch['id']}/request")
    assert request.text == "SELECT Id, Name FROM Project__c"
    batches_left = client(seeded.env).limits()["DailyBulkApiBatches"]
    assert batches_left == {"Max": 15000, "Remaining": 14999}


def test_empty_csv_result_says_records_not_found(seeded: RunningSandbox) -> None:
    api = Async(seeded.env)
    job_id = api.csv_job()
    added = api.call("POST", f"/{job_id}/batch", "SELECT Id FROM Project__c WHERE Name = 'x'",
                     "text/csv")  # fmt: skip
    batch_id = xmltodict.parse(added.text)["batchInfo"]["id"]
    listing = api.call("GET", f"/{job_id}/batch/{batch_id}/result").text
    result_id = xmltodict.parse(listing)["result-list"]["result"]
    body = api.call("GET", f"/{job_id}/batch/{batch_id}/result/{result_id}").text
    assert body == "Records not found for this query"


def test_pk_chunking_splits_the_batch(seeded: RunningSandbox) -> None:
    api = Async(seeded.env)
    job_id = api.csv_job("queryAll", Sforce_Enable_PKChunking="true; chunkSize=100")
    soql = "SELECT Id, Name FROM Project__c WHERE Name != 'x'"
    original = xmltodict.parse(api.call("POST", f"/{job_id}/batch", soql, "text/csv").text)
    batches = api.batches(job_id)
    assert batches[0]["id"] == original["batchInfo"]["id"]
    assert batches[0]["state"] == "NotProcessed"
    chunks = batches[1:]
    assert [b["state"] for b in chunks] == ["Completed"] * 3
    assert [int(b["numberRecordsProcessed"]) for b in chunks] == [100, 100, 50]
    seen = [row["Id"] for b in chunks for row in api.csv_rows(job_id, b["id"])]
    assert len(seen) == len(set(seen)) == 250
    assert seen == sorted(seen)  # chunks are Id ranges, in Id order


def test_batch_waits_for_latency_on_the_sandbox_clock(seeded: RunningSandbox) -> None:
    seeded.clock(freeze=True)
    seeded.set_faults(latency_ms=200)
    try:
        api = Async(seeded.env)
        job_id = api.csv_job()
        added = api.call("POST", f"/{job_id}/batch", "SELECT Id FROM Project__c", "text/csv")
        batch_id = xmltodict.parse(added.text)["batchInfo"]["id"]
        status = api.call("GET", f"/{job_id}/batch/{batch_id}")
        assert xmltodict.parse(status.text)["batchInfo"]["state"] == "Queued"
        early = api.call("GET", f"/{job_id}/batch/{batch_id}/result")
        assert xmltodict.parse(early.text)["error"]["exceptionCode"] == "InvalidBatch"
        seeded.clock(advance_ms=200)
        status = api.call("GET", f"/{job_id}/batch/{batch_id}")
        assert xmltodict.parse(status.text)["batchInfo"]["state"] == "Completed"
    finally:
        seeded.set_faults()


def test_xml_job(seeded: RunningSandbox) -> None:
    api = Async(seeded.env)
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="{NS}"><operation>query'
        "</operation><object>Account</object><contentType>XML</contentType></jobInfo>"
    )
    created = api.call("POST", "", body, "application/xml; charset=UTF-8")
    assert created.status_code == 201 and created.headers["content-type"] == "application/xml"
    job = xmltodict.parse(created.text)["jobInfo"]
    assert (job["state"], job["contentType"], job["apiVersion"]) == ("Open", "XML", "61.0")
    added = api.call("POST", f"/{job['id']}/batch", "SELECT Id, Name FROM Account",
                     "application/xml")  # fmt: skip
    batch_id = xmltodict.parse(added.text)["batchInfo"]["id"]
    listing = api.call("GET", f"/{job['id']}/batch/{batch_id}/result").text
    result_id = xmltodict.parse(listing)["result-list"]["result"]
    result = api.call("GET", f"/{job['id']}/batch/{batch_id}/result/{result_id}").text
    records = xmltodict.parse(result, force_list=("records",))["queryResult"]["records"]
    assert len(records) == 3 and records[0]["type"] == "Account" and records[0]["Name"]


def test_async_api_error_documents(seeded: RunningSandbox) -> None:
    api = Async(seeded.env)
    api.token = "not-a-session"
    refused = api.call("GET", "/7505g0000000001AAA", content_type="application/xml")
    assert refused.status_code == 400
    assert xmltodict.parse(refused.text)["error"] == {
        "@xmlns": NS,
        "exceptionCode": "InvalidSessionId",
        "exceptionMessage": "Invalid session id",
    }
    refused_json = api.call("GET", "/7505g0000000001AAA")
    assert refused_json.json()["exceptionCode"] == "InvalidSessionId"
    api.token = seeded.env["CRM_SANDBOX_SF_ACCESS_TOKEN"]
    missing = api.call("GET", "/7505g0000000001AAA")
    assert missing.status_code == 400 and missing.headers["content-type"] == "application/json"
    assert missing.json()["exceptionCode"] == "InvalidJob"
    unknown = api.call("POST", "", json.dumps({"operation": "query", "object": "Nope__c"}))
    assert unknown.json()["exceptionCode"] == "InvalidJob"
    wrong_url = api.call("GET", "s/750")  # /services/async/61.0/jobs/750
    assert (wrong_url.status_code, wrong_url.json()["exceptionCode"]) == (400, "InvalidUrl")
    xml_ingest = api.call("POST", "", json.dumps({"operation": "insert", "object": "Account"}))
    assert xml_ingest.json()["exceptionCode"] == "InvalidJob"  # XML ingest is not served
    no_key = api.call("POST", "", json.dumps({"operation": "upsert", "object": "Account",
                                             "contentType": "JSON"}))  # fmt: skip
    assert no_key.json()["exceptionMessage"] == "External ID was blank for upsert operation"


def test_simple_salesforce_bulk_writes(clean_sandbox: RunningSandbox) -> None:
    sf = client(clean_sandbox.env)
    created = sf.bulk.Account.insert(
        [{"Name": f"Bulk {i}", "HubSpot_Id__c": f"hs-{i}"} for i in range(5)] + [{"Nme": "x"}],
        batch_size=4,
    )
    assert [r["success"] for r in created] == [True] * 5 + [False]
    assert all(r["created"] for r in created[:5]) and created[5]["id"] is None
    assert created[5]["errors"][0]["statusCode"] == "INVALID_FIELD"
    ids = [r["id"] for r in created[:5]]
    upserted = sf.bulk.Account.upsert(
        [{"HubSpot_Id__c": "hs-0", "Name": "Bulk zero"}, {"HubSpot_Id__c": "hs-9", "Name": "New"}],
        "HubSpot_Id__c",
    )
    assert [(r["success"], r["created"]) for r in upserted] == [(True, False), (True, True)]
    assert upserted[0]["id"] == ids[0]
    updated = sf.bulk.Account.update([{"Id": ids[1], "Name": "Bulk one"}])
    assert updated[0]["success"] and not updated[0]["created"]
    detailed = sf.bulk.Account.delete([{"Id": ids[2]}], include_detailed_results=True)
    assert detailed[0]["success"] and detailed[0]["Id"] == ids[2]  # request merged in
    sf.bulk.Account.hard_delete([{"Id": ids[3]}])
    names = {
        r["Id"]: r["Name"]
        for r in sf.query_all("SELECT Id, Name FROM Account", include_deleted=True)["records"]
    }
    assert names[ids[0]] == "Bulk zero" and names[ids[1]] == "Bulk one"
    assert ids[2] in names and ids[3] not in names  # recycle bin vs hard delete
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 4


def test_csv_ingest_batch(clean_sandbox: RunningSandbox) -> None:
    api = Async(clean_sandbox.env)
    body = json.dumps({"operation": "insert", "object": "Account", "contentType": "CSV"})
    job_id = api.call("POST", "", body).json()["id"]
    data = "Name,NumberOfEmployees\nCsv One,10\nCsv Two,many\n"
    added = api.call("POST", f"/{job_id}/batch", data, "text/csv")
    batch_id = xmltodict.parse(added.text)["batchInfo"]["id"]
    status = xmltodict.parse(api.call("GET", f"/{job_id}/batch/{batch_id}").text)["batchInfo"]
    assert (status["state"], status["numberRecordsProcessed"], status["numberRecordsFailed"]) == (
        "Completed", "2", "1",
    )  # fmt: skip
    rows = list(
        csv.DictReader(io.StringIO(api.call("GET", f"/{job_id}/batch/{batch_id}/result").text))
    )
    assert [(r["Success"], r["Created"]) for r in rows] == [("true", "true"), ("false", "false")]
    assert rows[0]["Id"].startswith("001") and rows[1]["Error"].startswith("INVALID_FIELD:")
    bad = api.call("POST", f"/{job_id}/batch", "Nme\nx\n", "text/csv")
    failed_id = xmltodict.parse(bad.text)["batchInfo"]["id"]
    failed = xmltodict.parse(api.call("GET", f"/{job_id}/batch/{failed_id}").text)["batchInfo"]
    assert failed["state"] == "Failed" and "Field name not found : Nme" in failed["stateMessage"]
    job = api.call("GET", f"/{job_id}").json()
    assert (job["numberRecordsProcessed"], job["numberRecordsFailed"]) == (2, 1)


@pytest.mark.parametrize("version", ["30.0", "69.0"])
def test_bulk_v1_at_a_version_the_org_does_not_list(
    clean_sandbox: RunningSandbox, version: str
) -> None:
    """simple-salesforce's sf.bulk at a retired version (v21.0-v30.0 since Summer '25) or an
    unreleased one: the async API's 400 InvalidVersion, as Salesforce documents for retired
    versions; at a listed version the same call works."""
    env = clean_sandbox.env
    sf = client_at(env, version)
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.bulk.Account.query("SELECT Id FROM Account", wait=0)
    assert refused.value.status == 400
    assert refused.value.content["exceptionCode"] == "InvalidVersion"
    assert client(env).bulk.Account.query("SELECT Id FROM Account", wait=0) == []
