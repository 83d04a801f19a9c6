"""Bulk API 2.0 query jobs: create, wait, stream the CSV result pages.

Pages are read straight off the socket through the ``csv`` module (constant memory,
multi-line quoted cells handled); a page cut short by a dropped connection is fetched
again and the rows already yielded are skipped, so nothing is lost or duplicated.
"""

from __future__ import annotations

import codecs
import csv
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import requests
import urllib3
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

if TYPE_CHECKING:
    from collections.abc import Callable

    from tap_salesforce_custom.client import SalesforceClient

LOGGER = logging.getLogger("tap-salesforce-custom")
_STREAM_ERRORS = (
    requests.exceptions.ChunkedEncodingError,
    requests.ConnectionError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.ReadTimeoutError,
)


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


class BulkJobFailed(RuntimeError):
    """The job ended Failed or Aborted; the message carries Salesforce's reason."""


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
            route="jobs/query",
        )
        self.job_id = str(job["id"])
        LOGGER.info("Bulk 2.0 %s job %s created", self.operation, self.job_id)
        return self.job_id

    def wait(self) -> dict[str, Any]:
        """Poll with growing intervals (1 s, 2 s, … up to 20 s) until the job ends."""
        assert self.job_id
        deadline = time.monotonic() + self.timeout_seconds
        delay = self.poll_seconds
        while True:
            job = self.client.get_json(f"jobs/query/{self.job_id}", route="jobs/query/{id}")
            state = job.get("state")
            if state == "JobComplete":
                return dict(job)
            if state in ("Failed", "Aborted"):
                raise BulkJobFailed(
                    f"Bulk query job {self.job_id} {state}: {job.get('errorMessage') or ''}"
                )
            if time.monotonic() > deadline:
                raise BulkJobFailed(f"Bulk query job {self.job_id} still {state} at timeout")
            time.sleep(delay)
            delay = min(delay * 2, self.max_poll_seconds)

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
    ) -> Iterator[dict[str, Any]]:
        done = 0
        retrying = Retrying(
            retry=retry_if_exception_type(_STREAM_ERRORS),
            stop=stop_after_attempt(self.client.max_tries),
            wait=wait_exponential(multiplier=self.client.retry_wait, max=30),
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
                    route="jobs/query/{id}/results",
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
