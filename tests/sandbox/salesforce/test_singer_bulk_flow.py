"""singer-io tap-salesforce's BULK mode, replayed request by request against the sandbox.

The calls, headers, bodies and parsing below are those of singer-io/tap-salesforce's
``tap_salesforce/salesforce/bulk.py`` (``Bulk._bulk_query``, the PK-chunking retry
``_bulk_query_with_pk_chunking`` / ``_poll_on_pk_chunked_batch_status``, ``job_exists``),
with xmltodict parsing the XML replies as the tap does. Polling sleeps are left out: a
sandbox batch is complete at the first poll unless latency is asked for.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import xmltodict

from crm_sandbox.core.process import RunningSandbox

pytestmark = pytest.mark.xdist_group("sf_query")

STREAM = "Project__c"
FIELDS = ["Id", "Name", "Status__c", "SystemModstamp"]
START = "2000-01-01T00:00:00Z"


class SingerBulk:
    """The tap's Bulk class, reduced to its HTTP conversation."""

    bulk_url = "{}/services/async/61.0/{}"

    def __init__(self, env: dict[str, str]) -> None:
        self.instance_url = env["CRM_SANDBOX_SF_INSTANCE_URL"]
        self.access_token = env["CRM_SANDBOX_SF_ACCESS_TOKEN"]
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
        self.calls: list[str] = []

    def _make_request(
        self, method: str, url: str, headers: dict[str, str], body: str | None = None,
        stream: bool = False,
    ) -> requests.Response:  # fmt: skip
        self.calls.append(f"{method} {url.removeprefix(self.instance_url)}")
        if method == "GET":
            resp = self.session.get(url, headers=headers, stream=stream)
        else:
            resp = self.session.post(url, headers=headers, data=body)
        resp.raise_for_status()
        return resp

    def _get_bulk_headers(self) -> dict[str, str]:
        return {"X-SFDC-Session": self.access_token, "Content-Type": "application/json"}

    def check_bulk_quota_usage(self) -> dict[str, int]:
        url = f"{self.instance_url}/services/data/v61.0/limits"
        headers = {"Authorization": f"Bearer {self.access_token}"}
        return self._make_request("GET", url, headers).json()["DailyBulkApiBatches"]

    def query_string(self, order_by_clause: bool = True) -> str:
        query = "SELECT {} FROM {}".format(",".join(FIELDS), STREAM)
        where = f" WHERE SystemModstamp >= {START} "
        return query + where + (" ORDER BY SystemModstamp ASC" if order_by_clause else "")

    def create_job(self, pk_chunking: bool = False) -> str:
        url = self.bulk_url.format(self.instance_url, "job")
        body = {"operation": "queryAll", "object": STREAM, "contentType": "CSV"}
        headers = self._get_bulk_headers()
        headers["Sforce-Disable-Batch-Retry"] = "true"
        if pk_chunking:
            headers["Sforce-Enable-PKChunking"] = f"true; chunkSize={100000}"
        return self._make_request("POST", url, headers, json.dumps(body)).json()["id"]

    def add_batch(self, job_id: str, order_by_clause: bool = True) -> str:
        url = self.bulk_url.format(self.instance_url, f"job/{job_id}/batch")
        headers = self._get_bulk_headers()
        headers["Content-Type"] = "text/csv"
        resp = self._make_request("POST", url, headers, self.query_string(order_by_clause))
        return xmltodict.parse(resp.text)["batchInfo"]["id"]

    def close_job(self, job_id: str) -> None:
        url = self.bulk_url.format(self.instance_url, f"job/{job_id}")
        self._make_request("POST", url, self._get_bulk_headers(), json.dumps({"state": "Closed"}))

    def get_batch(self, job_id: str, batch_id: str) -> dict[str, Any]:
        url = self.bulk_url.format(self.instance_url, f"job/{job_id}/batch/{batch_id}")
        resp = self._make_request("GET", url, self._get_bulk_headers())
        return xmltodict.parse(resp.text)["batchInfo"]

    def get_batches(self, job_id: str) -> list[dict[str, Any]]:
        url = self.bulk_url.format(self.instance_url, f"job/{job_id}/batch")
        resp = self._make_request("GET", url, self._get_bulk_headers())
        parsed = xmltodict.parse(resp.text, xml_attribs=False, force_list=("batchInfo",))
        return parsed["batchInfoList"]["batchInfo"]

    def job_exists(self, job_id: str) -> bool:
        url = self.bulk_url.format(self.instance_url, f"job/{job_id}")
        try:
            self._make_request("GET", url, self._get_bulk_headers())
            return True
        except requests.RequestException as ex:
            assert ex.response is not None
            json_reply = ex.response.headers["Content-Type"] == "application/json"
            if json_reply and ex.response.json()["exceptionCode"] == "InvalidJob":
                return False
            raise

    def get_batch_results(self, job_id: str, batch_id: str) -> Iterator[dict[str, str]]:
        headers = self._get_bulk_headers()
        url = self.bulk_url.format(self.instance_url, f"job/{job_id}/batch/{batch_id}/result")
        listing = self._make_request("GET", url, headers)
        results = xmltodict.parse(listing.text, xml_attribs=False, force_list={"result"})
        for result in results["result-list"]["result"]:
            headers["Content-Type"] = "text/csv"
            with tempfile.NamedTemporaryFile(mode="w+", encoding="utf8") as csv_file:
                resp = self._make_request("GET", f"{url}/{result}", headers, stream=True)
                for chunk in resp.iter_content(chunk_size=1024, decode_unicode=True):
                    if chunk:
                        csv_file.write(chunk.replace("\0", ""))
                csv_file.seek(0)
                reader = csv.reader(csv_file, delimiter=",", quotechar='"')
                column_name_list = next(reader)
                for line in reader:
                    yield dict(zip(column_name_list, line, strict=True))


@pytest.fixture
def seeded(clean_sandbox: RunningSandbox) -> RunningSandbox:
    clean_sandbox.seed(salesforce={"Account": 2, "Project__c": 300})
    return clean_sandbox


def test_bulk_query_flow(seeded: RunningSandbox) -> None:
    tap = SingerBulk(seeded.env)
    quota = tap.check_bulk_quota_usage()
    assert quota["Max"] == quota["Remaining"] > 0
    job_id = tap.create_job()
    batch_id = tap.add_batch(job_id)
    tap.close_job(job_id)
    status = tap.get_batch(job_id, batch_id)
    assert status["state"] == "Completed"
    records = list(tap.get_batch_results(job_id, batch_id))
    assert len(records) == len({r["Id"] for r in records}) == 300
    assert list(records[0]) == FIELDS
    stamps = [r["SystemModstamp"] for r in records]
    assert stamps == sorted(stamps) and stamps[0].endswith("Z")
    assert tap.job_exists(job_id)
    assert [call.split("/services/")[1].split("/", 2)[0] for call in tap.calls] == [
        "data", "async", "async", "async", "async", "async", "async", "async",
    ]  # fmt: skip
    assert tap.check_bulk_quota_usage()["Remaining"] == quota["Remaining"] - 1


def test_pk_chunking_retry_flow(seeded: RunningSandbox) -> None:
    tap = SingerBulk(seeded.env)
    job_id = tap.create_job(pk_chunking=True)
    tap.add_batch(job_id, order_by_clause=False)
    batches = tap.get_batches(job_id)  # _poll_on_pk_chunked_batch_status, first look
    assert not [b for b in batches if b["state"] in ("Queued", "InProgress")]
    completed = [b["id"] for b in batches if b["state"] == "Completed"]
    assert [b["state"] for b in batches] == ["NotProcessed", "Completed"]
    tap.close_job(job_id)
    records = [r for batch_id in completed for r in tap.get_batch_results(job_id, batch_id)]
    assert len(records) == len({r["Id"] for r in records}) == 300


def test_job_exists_answers_invalid_job_in_json(seeded: RunningSandbox) -> None:
    tap = SingerBulk(seeded.env)
    assert tap.job_exists("7505g0000000042AAA") is False
