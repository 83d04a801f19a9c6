"""Salesforce REST calls of the target: sObject collections and Bulk API 2.0 ingest.

Every call goes through one :class:`crm_sync.http.ResilientSession` (retries on 5xx,
429, resets and the transient error codes; call counting; a daily ``REQUEST_LIMIT_EXCEEDED``
raises :class:`~crm_sync.http.QuotaExhausted`), authenticated by the shared
:class:`~crm_sync.salesforce_auth.SalesforceAuthenticator`. A 401 ``INVALID_SESSION_ID``
logs in again and resends the call once. Collections answer 200 with one result per
record in input order (API_NOTES §5); this module returns those results as
:class:`SaveResult` and leaves the per-record decisions to the writer.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crm_sync.convert.codec import SALESFORCE
from crm_sync.vocabulary import RecordError

if TYPE_CHECKING:
    import requests

    from crm_sync.http import ResilientSession
    from crm_sync.salesforce_auth import SalesforceAuthenticator

COLLECTION_LIMIT = 200
"""Records per sObject collections write (API_NOTES Part 1 §5)."""
RETRIEVE_LIMIT = 2000
"""Ids per collections retrieve (``POST /composite/sobjects/{O}``)."""
BULK_NULL = "#N/A"
"""How a Bulk 2.0 CSV cell clears a field (an empty cell leaves it unchanged)."""


class SalesforceError(RuntimeError):
    """A whole call Salesforce refused (after retries): status, errorCode and message."""

    def __init__(self, response: requests.Response, what: str) -> None:
        self.status = response.status_code
        self.error_code, self.message = _first_error(response)
        super().__init__(f"{what}: HTTP {self.status} {self.error_code}: {self.message[:500]}")


@dataclass(slots=True)
class SaveResult:
    """One record's outcome of a collections or bulk write."""

    id: str | None
    success: bool
    errors: list[RecordError] = field(default_factory=list)
    created: bool | None = None

    @property
    def codes(self) -> set[str]:
        return {e.code for e in self.errors}

    def error_text(self) -> str:
        return "; ".join(str(e) for e in self.errors) or "UNKNOWN_ERROR: no result"

    @classmethod
    def from_json(cls, item: Mapping[str, Any] | None) -> SaveResult:
        if not isinstance(item, Mapping):
            return cls(None, False, [RecordError("UNKNOWN_ERROR", "no result for the record")])
        errors = [
            RecordError(
                str(e.get("statusCode") or e.get("errorCode") or "UNKNOWN_ERROR"),
                str(e.get("message") or ""),
                tuple(e.get("fields") or ()),
            )
            for e in item.get("errors") or []
        ]
        return cls(item.get("id"), bool(item.get("success")), errors, item.get("created"))


def _first_error(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "UNKNOWN_ERROR", response.text[:500]
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("errorCode", "UNKNOWN_ERROR")), str(body[0].get("message", ""))
    if isinstance(body, dict):
        return str(body.get("errorCode") or body.get("error") or "UNKNOWN_ERROR"), str(
            body.get("message") or body.get("error_description") or ""
        )
    return "UNKNOWN_ERROR", response.text[:500]


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def wire_value(value: Any) -> Any:
    """A value as Salesforce's REST JSON takes it (the Salesforce codec's form)."""
    return SALESFORCE.encode_any(value)


def csv_cell(value: Any) -> str:
    """A value as a Bulk 2.0 CSV cell; None clears the field (``#N/A``)."""
    value = wire_value(value)
    if value is None or value == "":
        return BULK_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class SalesforceClient:
    """The org's REST API under ``/services/data/v{api_version}`` for one object at a time."""

    def __init__(
        self,
        session: ResilientSession,
        auth: SalesforceAuthenticator,
        api_version: str = "62.0",
        bulk_poll_s: float = 0.2,
        bulk_timeout_s: float = 1800.0,
    ) -> None:
        self.session = session
        self.auth = auth
        self.api_version = api_version.lstrip("v")
        self.bulk_poll_s = bulk_poll_s
        self.bulk_timeout_s = bulk_timeout_s
        self.api_usage: tuple[int, int] | None = None

    # ------------------------------------------------------------------ plumbing
    @property
    def base(self) -> str:
        self.auth.token()  # logs in first when needed: the token reply names the instance
        instance = (self.auth.instance_url or "").rstrip("/")
        return f"{instance}/services/data/v{self.api_version}"

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        body: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        data: str | None = None,
        content_type: str = "application/json",
    ) -> requests.Response:
        payload = data if data is not None else (None if body is None else json.dumps(body))
        headers = {"Content-Type": content_type} if payload is not None else {}
        for attempt in (1, 2):
            token = self.auth.token()
            response = self.session.request(
                method,
                f"{self.base}{path}",
                params=params,
                data=payload,
                headers={**headers, "Authorization": f"Bearer {token}"},
            )
            self._note_usage(response)
            if response.status_code == 401 and attempt == 1:
                self.auth.invalidate(token)  # an expired session: log in, send again
                continue
            if response.status_code >= 400:
                raise SalesforceError(response, what)
            return response
        raise AssertionError("unreachable")

    def _note_usage(self, response: requests.Response) -> None:
        info = response.headers.get("Sforce-Limit-Info", "")
        used, _, rest = info.partition("api-usage=")[2].partition("/")
        if used.isdigit() and rest.split(",")[0].isdigit():
            self.api_usage = (int(used), int(rest.split(",")[0]))

    @property
    def quota_left(self) -> int | None:
        """Daily API requests left, from the last ``Sforce-Limit-Info`` header."""
        return None if self.api_usage is None else self.api_usage[1] - self.api_usage[0]

    @staticmethod
    def _results(response: requests.Response, expected: int) -> list[SaveResult]:
        body = response.json()
        items = list(body) if isinstance(body, list) else []
        items += [None] * (expected - len(items))
        return [SaveResult.from_json(item) for item in items[:expected]]

    # ------------------------------------------------------------------ collections
    def retrieve(
        self, sobject: str, ids: Sequence[str], fields: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Live records by Id (≤2000 per call); deleted or unknown ids are absent."""
        found: dict[str, dict[str, Any]] = {}
        for part in chunks(list(ids), RETRIEVE_LIMIT):
            reply = self._call(
                "POST",
                f"/composite/sobjects/{sobject}",
                f"retrieve {sobject}",
                {"ids": list(part), "fields": list(fields)},
            )
            for record in reply.json() or []:
                if isinstance(record, dict) and record.get("Id"):
                    found[str(record["Id"])] = record
        return found

    def upsert(
        self, sobject: str, external_id_field: str, records: Sequence[Mapping[str, Any]]
    ) -> list[SaveResult]:
        """Upsert ≤200 records by an external-id field (``allOrNone`` false)."""
        body = {"allOrNone": False, "records": [self._sobject(sobject, r) for r in records]}
        reply = self._call(
            "PATCH",
            f"/composite/sobjects/{sobject}/{external_id_field}",
            f"upsert {sobject} by {external_id_field}",
            body,
        )
        return self._results(reply, len(records))

    def update(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> list[SaveResult]:
        """Update ≤200 records by ``Id`` (``allOrNone`` false)."""
        body = {"allOrNone": False, "records": [self._sobject(sobject, r) for r in records]}
        reply = self._call("PATCH", "/composite/sobjects", f"update {sobject}", body)
        return self._results(reply, len(records))

    def delete(self, ids: Sequence[str]) -> list[SaveResult]:
        """Delete ≤200 records by Id (to the recycle bin; ``allOrNone`` false)."""
        reply = self._call(
            "DELETE",
            "/composite/sobjects",
            "delete records",
            params={"ids": ",".join(ids), "allOrNone": "false"},
        )
        return self._results(reply, len(ids))

    @staticmethod
    def _sobject(sobject: str, record: Mapping[str, Any]) -> dict[str, Any]:
        return {"attributes": {"type": sobject}, **{k: wire_value(v) for k, v in record.items()}}

    # ------------------------------------------------------------------ Bulk API 2.0
    def bulk_ingest(
        self,
        sobject: str,
        operation: str,
        key: str,
        records: Sequence[Mapping[str, Any]],
        external_id_field: str | None = None,
    ) -> dict[str, SaveResult]:
        """Run one ingest job (``upsert`` or ``update``) and return results by ``key`` value.

        ``key`` is the column that identifies a record in the result files (the external
        id field of an upsert, ``Id`` of an update); records the job never reports are
        absent from the result, so the caller treats them as not written.
        """
        columns = list(dict.fromkeys(k for r in records for k in r))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
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
        job = self._call("POST", "/jobs/ingest", f"create {operation} job on {sobject}", spec)
        job_id = str(job.json()["id"])
        self._call(
            "PUT",
            f"/jobs/ingest/{job_id}/batches",
            f"upload job {job_id}",
            data=buffer.getvalue(),
            content_type="text/csv",
        )
        self._call(
            "PATCH", f"/jobs/ingest/{job_id}", f"close job {job_id}", {"state": "UploadComplete"}
        )
        state = self._wait_for(job_id)
        if state != "JobComplete":
            raise RuntimeError(f"Bulk ingest job {job_id} on {sobject} ended {state}")
        out: dict[str, SaveResult] = {}
        for row in self._result_rows(job_id, "successfulResults"):
            created = str(row.get("sf__Created", "")).lower() == "true"
            out[row.get(key, "")] = SaveResult(row.get("sf__Id") or None, True, [], created)
        for row in self._result_rows(job_id, "failedResults"):
            out[row.get(key, "")] = SaveResult(
                row.get("sf__Id") or None, False, _bulk_errors(row.get("sf__Error", ""))
            )
        return out

    def _wait_for(self, job_id: str) -> str:
        deadline = time.monotonic() + self.bulk_timeout_s
        while True:
            info = self._call("GET", f"/jobs/ingest/{job_id}", f"poll job {job_id}").json()
            state = str(info.get("state"))
            if state in ("JobComplete", "Failed", "Aborted"):
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"Bulk ingest job {job_id} still {state}")
            time.sleep(self.bulk_poll_s)

    def _result_rows(self, job_id: str, kind: str) -> list[dict[str, str]]:
        reply = self._call("GET", f"/jobs/ingest/{job_id}/{kind}", f"{kind} of job {job_id}")
        return list(csv.DictReader(io.StringIO(reply.text)))


def _bulk_errors(text: str) -> list[RecordError]:
    """``CODE:message:Field1,Field2 --`` entries of a Bulk 2.0 ``sf__Error`` cell."""
    errors = []
    for part in filter(None, (p.strip() for p in text.split(" --"))):
        code, _, rest = part.partition(":")
        message, _, fields = rest.rpartition(":")
        if not message:
            message, fields = rest, ""
        errors.append(RecordError(code, message, tuple(f for f in fields.split(",") if f)))
    return errors or [RecordError("UNKNOWN_ERROR", text or "no error text")]
