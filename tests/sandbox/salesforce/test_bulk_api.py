"""Bulk API 2.0 query and ingest jobs through simple-salesforce's ``sf.bulk2``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import requests

from crm_sandbox.core.process import RunningSandbox
from tests.sandbox.salesforce.test_query_api import client

pytestmark = pytest.mark.xdist_group("sf_query")


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def jobs_session(env: dict[str, str]) -> requests.Session:
    """Plain HTTPS calls to the jobs resources with the sandbox's token and CA."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"
    return session


def test_bulk_query_pages_with_locators(clean_sandbox: RunningSandbox, tmp_path: Path) -> None:
    clean_sandbox.seed(salesforce={"Account": 3, "Project__c": 2500})
    sf = client(clean_sandbox.env)
    pages = list(
        sf.bulk2.Project__c.query(
            "SELECT Id, Name, Account__r.Name, Is_Active__c, SystemModstamp FROM Project__c",
            max_records=1000,
            wait=0.1,
        )
    )
    assert len(pages) == 3
    records = [row for page in pages for row in rows_of(page)]
    assert len(records) == len({r["Id"] for r in records}) == 2500
    assert list(records[0]) == ["Id", "Name", "Account__r.Name", "Is_Active__c", "SystemModstamp"]
    assert records[0]["Is_Active__c"] in ("true", "false")
    assert records[0]["SystemModstamp"].endswith("Z")
    results = sf.bulk2.Project__c.download(
        "SELECT Id FROM Project__c", path=str(tmp_path), max_records=2000, wait=0.1
    )
    assert sum(r["number_of_records"] for r in results) == 2500


def test_bulk_query_job_resources(clean_sandbox: RunningSandbox) -> None:
    env = clean_sandbox.env
    base = f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/data/v62.0/jobs/query"
    session = jobs_session(env)
    clean_sandbox.seed(salesforce={"Project__c": 5})
    job = session.post(base, json={"operation": "queryAll", "query": "SELECT Id FROM Project__c"})
    assert job.status_code == 200
    assert job.json()["state"] == "UploadComplete" and job.json()["object"] == "Project__c"
    info = session.get(f"{base}/{job.json()['id']}").json()
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 5
    page = session.get(f"{base}/{info['id']}/results")
    assert page.headers["Sforce-Locator"] == "null"
    assert page.headers["Sforce-NumberOfRecords"] == "5"
    assert [j["id"] for j in session.get(base).json()["records"]] == [info["id"]]
    assert session.delete(f"{base}/{info['id']}").status_code == 204
    assert session.get(f"{base}/{info['id']}").status_code == 404
    bad = session.post(base, json={"operation": "query", "query": "SELECT Nme FROM Account"})
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_FIELD"


def test_bulk_insert_with_per_record_failures(
    clean_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    sf = client(clean_sandbox.env)
    path = tmp_path / "projects.csv"
    path.write_text(
        "Name,Status__c,Budget__c,HubSpot_Id__c\n"
        "One,Draft,10.5,hs-1\n"
        "Two,Not A Status,3,hs-2\n"
        "Three,Done,,hs-3\n"
    )
    (result,) = sf.bulk2.Project__c.insert(str(path), wait=0.1)
    assert (result["numberRecordsProcessed"], result["numberRecordsFailed"]) == (3, 1)
    ok = rows_of(sf.bulk2.Project__c.get_successful_records(result["job_id"]))
    assert [r["Name"] for r in ok] == ["One", "Three"]
    assert all(r["sf__Created"] == "true" and r["sf__Id"].startswith("a0X") for r in ok)
    failed = rows_of(sf.bulk2.Project__c.get_failed_records(result["job_id"]))
    assert [r["Name"] for r in failed] == ["Two"]
    assert failed[0]["sf__Error"].startswith("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:")
    live = sf.query("SELECT Name, Budget__c FROM Project__c ORDER BY Name")["records"]
    assert [(r["Name"], r["Budget__c"]) for r in live] == [("One", 10.5), ("Three", None)]

    upsert = tmp_path / "upsert.csv"
    upsert.write_text("HubSpot_Id__c,Name\nhs-1,One v2\nhs-9,Nine\n")
    (result,) = sf.bulk2.Project__c.upsert(str(upsert), external_id_field="HubSpot_Id__c", wait=0.1)
    assert result["numberRecordsFailed"] == 0
    ok = rows_of(sf.bulk2.Project__c.get_successful_records(result["job_id"]))
    assert [(r["Name"], r["sf__Created"]) for r in ok] == [("One v2", "false"), ("Nine", "true")]

    ids = [r["Id"] for r in sf.query("SELECT Id FROM Project__c")["records"]]
    delete = tmp_path / "delete.csv"
    delete.write_text("Id\n" + "\n".join(ids) + "\n")
    (result,) = sf.bulk2.Project__c.delete(str(delete), wait=0.1)
    assert result["numberRecordsProcessed"] == len(ids) and result["numberRecordsFailed"] == 0
    assert sf.query("SELECT COUNT() FROM Project__c")["totalSize"] == 0
    assert sf.query_all("SELECT Id FROM Project__c", include_deleted=True)["totalSize"] == 3


def test_bulk_ingest_errors(clean_sandbox: RunningSandbox) -> None:
    env = clean_sandbox.env
    base = f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/data/v62.0/jobs/ingest"
    session = jobs_session(env)
    bad = session.post(base, json={"object": "Nope__c", "operation": "insert"})
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALIDENTITY"
    bad = session.post(base, json={"object": "Account", "operation": "merge"})
    assert bad.status_code == 400
    job = session.post(base, json={"object": "Account", "operation": "insert"}).json()
    assert job["state"] == "Open" and job["contentUrl"].endswith(f"/{job['id']}/batches")
    put = session.put(f"{base}/{job['id']}/batches", data="Nmae\nx\n",
                      headers={"Content-Type": "text/csv"})  # fmt: skip
    assert put.status_code == 201
    session.patch(f"{base}/{job['id']}", json={"state": "UploadComplete"})
    info = session.get(f"{base}/{job['id']}").json()
    assert info["state"] == "Failed"
    assert info["errorMessage"] == "InvalidBatch : Field name not found : Nmae"


def test_unprocessed_records_of_an_aborted_job_through_simple_salesforce(
    clean_sandbox: RunningSandbox,
) -> None:
    """simple-salesforce (and other clients) ask for ``unprocessedRecords``; the docs spell
    the segment ``unprocessedrecords``: both answer with the rows an aborted job never ran."""
    env = clean_sandbox.env
    base = f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/data/v62.0/jobs/ingest"
    session = jobs_session(env)
    job = session.post(base, json={"object": "Account", "operation": "insert"}).json()
    session.put(f"{base}/{job['id']}/batches", data="Name\nKept back\n",
                headers={"Content-Type": "text/csv"})  # fmt: skip
    assert session.patch(f"{base}/{job['id']}", json={"state": "Aborted"}).ok
    sf = client(env)
    assert rows_of(sf.bulk2.Account.get_unprocessed_records(job["id"])) == [{"Name": "Kept back"}]
    lower = session.get(f"{base}/{job['id']}/unprocessedrecords/")
    assert lower.ok and rows_of(lower.text) == [{"Name": "Kept back"}]


def test_a_blank_one_column_record_is_skipped_as_salesforce_reads_csv(
    clean_sandbox: RunningSandbox,
) -> None:
    """A one-column record with an empty value is a blank line (jsforce) or ``""``
    (simple-salesforce, Python's csv); Salesforce's CSV reader skips both as blank records,
    so the job counts and writes only the others. A line of separators is a record."""
    sf = client(clean_sandbox.env)
    records = [{"Name": "First"}, {"Name": ""}, {"Name": "Last"}]
    (result,) = sf.bulk2.Account.insert(records=records, wait=0.1)
    assert (result["numberRecordsProcessed"], result["numberRecordsFailed"]) == (2, 0)
    names = sf.query("SELECT Name FROM Account ORDER BY Name")["records"]
    assert [r["Name"] for r in names] == ["First", "Last"]

    env = clean_sandbox.env
    base = f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/data/v62.0/jobs/ingest"
    session = jobs_session(env)
    job = session.post(base, json={"object": "Account", "operation": "insert"}).json()
    body = 'Name\nBlank next\n\n""\n\nAfter blanks\n'
    session.put(f"{base}/{job['id']}/batches", data=body, headers={"Content-Type": "text/csv"})
    session.patch(f"{base}/{job['id']}", json={"state": "UploadComplete"})
    info = session.get(f"{base}/{job['id']}").json()
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (2, 0)
    job = session.post(base, json={"object": "Account", "operation": "insert"}).json()
    session.put(f"{base}/{job['id']}/batches", data="Name,Phone\n,\n",
                headers={"Content-Type": "text/csv"})  # fmt: skip
    session.patch(f"{base}/{job['id']}", json={"state": "UploadComplete"})
    info = session.get(f"{base}/{job['id']}").json()
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (1, 1)
