"""Bulk API 2.0: query jobs (CSV result pages streamed) and ingest jobs (upsert/update).

Query result pages are read straight off the socket through the ``csv`` module (constant
memory, multi-line quoted cells handled); a page cut short by a dropped connection is
fetched again and the rows already yielded are skipped, so nothing is lost or duplicated.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from crm_sync.salesforce.results import SaveResult, bulk_errors
from crm_sync.salesforce.wire import csv_cell

if TYPE_CHECKING:
    from crm_sync.salesforce.client import SalesforceClient

LOGGER = logging.getLogger("crm_sync.salesforce")
_STREAM_ERRORS = (
    # requests wraps urllib3's ProtocolError / ReadTimeoutError raised by iter_content
    requests.exceptions.ChunkedEncodingError,
    requests.ConnectionError,
)
_DONE = ("JobComplete", "Failed", "Aborted")


class BulkJobFailed(RuntimeError):
    """The job ended Failed or Aborted (or outlived its timeout); the message says why."""


def _lines(response: requests.Response) -> Iterator[str]:
    """The body's lines, newline kept (so csv joins quoted multi-line cells), streamed."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    for chunk in response.iter_content(chunk_size=1 << 16):
        pending += decoder.decode(chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _wait_for(
    client: SalesforceClient,
    path: str,
    *,
    first_s: float,
    max_s: float,
    timeout_s: float,
) -> dict[str, Any]:
    """Poll a job with growing intervals until it ends; its last info."""
    deadline = time.monotonic() + timeout_s
    delay = first_s
    while True:
        job = dict(client.get_json(path, route=f"GET /{path.rsplit('/', 1)[0]}/{{id}}"))
        state = str(job.get("state"))
        if state in _DONE:
            return job
        if time.monotonic() > deadline:
            raise BulkJobFailed(f"Bulk job {job.get('id')} still {state} at timeout")
        time.sleep(delay)  # the server's job runs; nothing to observe but its state
        delay = min(delay * 2, max_s)


class BulkQuery:
    """One ``queryAll`` (or ``query``) job and its results."""

    def __init__(
        self,
        client: SalesforceClient,
        soql: str,
        *,
        include_deleted: bool = True,
        page_size: int = 50_000,
        poll_seconds: float = 1.0,
        max_poll_seconds: float = 20.0,
        timeout_seconds: float = 3600.0,
    ) -> None:
        self.client = client
        self.soql = soql
        self.operation = "queryAll" if include_deleted else "query"
        self.page_size = page_size
        self.poll_seconds = poll_seconds
        self.max_poll_seconds = max_poll_seconds
        self.timeout_seconds = timeout_seconds
        self.job_id: str | None = None

    def create(self) -> str:
        job = self.client.post_json(
            "jobs/query",
            {
                "operation": self.operation,
                "query": self.soql,
                "contentType": "CSV",
                "columnDelimiter": "COMMA",
                "lineEnding": "LF",
            },
            route="POST /jobs/query",
        )
        self.job_id = str(job["id"])
        LOGGER.info("Bulk 2.0 %s job %s created", self.operation, self.job_id)
        return self.job_id

    def wait(self) -> dict[str, Any]:
        """Poll with growing intervals (1 s, 2 s, … up to 20 s) until the job ends."""
        assert self.job_id
        job = _wait_for(
            self.client,
            f"jobs/query/{self.job_id}",
            first_s=self.poll_seconds,
            max_s=self.max_poll_seconds,
            timeout_s=self.timeout_seconds,
        )
        if job.get("state") != "JobComplete":
            raise BulkJobFailed(
                f"Bulk query job {self.job_id} {job.get('state')}: {job.get('errorMessage') or ''}"
            )
        return job

    def rows(self, convert: Callable[[dict[str, str]], dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Every result row, converted, page after page until the locator is ``null``."""
        if self.job_id is None:
            self.create()
        self.wait()
        locator: str | None = None
        while True:
            locator = yield from self._page(locator, convert)
            if not locator or locator == "null":
                return

    def _page(
        self, locator: str | None, convert: Callable[[dict[str, str]], dict[str, Any]]
    ) -> Generator[dict[str, Any], None, str | None]:
        done = 0
        settings = self.client.settings
        retrying = Retrying(
            retry=retry_if_exception_type(_STREAM_ERRORS),
            stop=stop_after_attempt(max(1, settings.max_retries)),
            wait=wait_exponential(multiplier=settings.retry_wait_s, max=30),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                params: dict[str, Any] = {"maxRecords": self.page_size}
                if locator:
                    params["locator"] = locator
                response = self.client.request(
                    "GET",
                    f"jobs/query/{self.job_id}/results",
                    params=params,
                    stream=True,
                    route="GET /jobs/query/{id}/results",
                    headers={"Accept": "text/csv"},
                )
                try:
                    for index, row in enumerate(csv.DictReader(_lines(response))):
                        if index < done:  # already yielded before the connection dropped
                            continue
                        yield convert(row)
                        done += 1
                finally:
                    response.close()
                return response.headers.get("Sforce-Locator")
        return None  # pragma: no cover - Retrying either returns or raises


def bulk_ingest(
    client: SalesforceClient,
    sobject: str,
    operation: str,
    key: str,
    records: Iterable[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    external_id_field: str | None = None,
    poll_s: float = 0.5,
    timeout_s: float = 1800.0,
) -> dict[str, SaveResult]:
    """Run one ingest job (``upsert`` or ``update``) and return results by ``key`` value.

    ``key`` is the column that identifies a record in the result files (the external id
    field of an upsert, ``Id`` of an update); records the job never reports are absent
    from the result, so the caller treats them as not written. Given ``columns`` (every
    key a record may have), ``records`` is read once, as it comes (a generator: no list
    of request bodies beside the CSV); without, it must be a sequence.
    """
    if columns is None:
        records = list(records)
        columns = list(dict.fromkeys(k for r in records for k in r))
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([csv_cell(record[c]) if c in record else "" for c in columns])
    spec: dict[str, Any] = {
        "object": sobject,
        "operation": operation,
        "contentType": "CSV",
        "lineEnding": "LF",
        "columnDelimiter": "COMMA",
    }
    if external_id_field:
        spec["externalIdFieldName"] = external_id_field
    job = client.send_json(
        "POST", "jobs/ingest", f"create {operation} job on {sobject}", spec,
        route="POST /jobs/ingest",
    )  # fmt: skip
    job_id = str(job.json()["id"])
    client.send_json(
        "PUT",
        f"jobs/ingest/{job_id}/batches",
        f"upload job {job_id}",
        data=buffer.getvalue(),  # UTF-8 bytes, as Bulk 2.0 reads them
        content_type="text/csv",
        route="PUT /jobs/ingest/{id}/batches",
    )
    client.send_json(
        "PATCH", f"jobs/ingest/{job_id}", f"close job {job_id}", {"state": "UploadComplete"},
        route="PATCH /jobs/ingest/{id}",
    )  # fmt: skip
    info = _wait_for(
        client, f"jobs/ingest/{job_id}", first_s=poll_s, max_s=poll_s, timeout_s=timeout_s
    )
    if info.get("state") != "JobComplete":
        raise BulkJobFailed(f"Bulk ingest job {job_id} on {sobject} ended {info.get('state')}")
    out: dict[str, SaveResult] = {}
    for row in _result_rows(client, job_id, "successfulResults"):
        created = str(row.get("sf__Created", "")).lower() == "true"
        out[row.get(key, "")] = SaveResult(row.get("sf__Id") or None, True, [], created)
    for row in _result_rows(client, job_id, "failedResults"):
        out[row.get(key, "")] = SaveResult(
            row.get("sf__Id") or None, False, bulk_errors(row.get("sf__Error", ""))
        )
    return out


def _result_rows(client: SalesforceClient, job_id: str, kind: str) -> Iterator[dict[str, str]]:
    """The rows of a result file one at a time (a row echoes every column sent)."""
    reply = client.send_json(
        "GET", f"jobs/ingest/{job_id}/{kind}", f"{kind} of job {job_id}",
        route=f"GET /jobs/ingest/{{id}}/{kind}",
    )  # fmt: skip
    yield from csv.DictReader(io.StringIO(reply.text))
