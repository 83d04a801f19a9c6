"""A small in-memory Salesforce behind requests-mock, for the tap's unit tests.

It speaks the wire format of the calls the tap makes (API_NOTES.md Part 1): OAuth
token grants, describe-global, composite/batch describe, query/queryAll with
nextRecordsUrl paging, COUNT(), Bulk 2.0 query jobs with CSV pages and
Sforce-Locator, Sforce-Limit-Info, and error bodies. Faults are queued per call kind.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import requests

LOGIN = "https://login.example.test"
INSTANCE = "https://org.example.test"
V = "/services/data/v62.0"

PROJECT_FIELDS = [
    {"name": "Id", "type": "id", "nillable": False, "label": "Record ID"},
    {"name": "IsDeleted", "type": "boolean", "nillable": False},
    {"name": "Name", "type": "string", "nillable": True, "length": 80},
    {"name": "Budget__c", "type": "currency", "nillable": True},
    {"name": "Priority__c", "type": "double", "nillable": True},
    {"name": "Count__c", "type": "int", "nillable": True},
    {"name": "Is_Active__c", "type": "boolean", "nillable": False},
    {"name": "Start_Date__c", "type": "date", "nillable": True},
    {"name": "Notes__c", "type": "textarea", "nillable": True},
    {"name": "Tags__c", "type": "multipicklist", "nillable": True},
    {
        "name": "Account__c",
        "type": "reference",
        "nillable": True,
        "referenceTo": ["Account"],
        "relationshipName": "Account__r",
    },
    {"name": "Logo__c", "type": "base64", "nillable": True},
    {"name": "Site__c", "type": "location", "nillable": True},
    {"name": "CreatedDate", "type": "datetime", "nillable": False},
    {"name": "SystemModstamp", "type": "datetime", "nillable": False},
]
ACCOUNT_FIELDS = [
    {"name": "Id", "type": "id", "nillable": False},
    {"name": "IsDeleted", "type": "boolean", "nillable": False},
    {"name": "Name", "type": "string", "nillable": False},
    {"name": "BillingAddress", "type": "address", "nillable": True},
    {"name": "BillingCity", "type": "string", "nillable": True},
    {"name": "LastModifiedDate", "type": "datetime", "nillable": False},
]


def wire_dt(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


@dataclass
class FakeOrg:
    """State of the fake org; ``install(mocker)`` wires it into requests-mock."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    describes: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"Project__c": PROJECT_FIELDS, "Account": ACCOUNT_FIELDS}
    )
    token: str = "00DTOKEN!first"
    used: int = 0
    daily_max: int = 15000
    faults: dict[str, list[Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    logins: list[dict[str, str]] = field(default_factory=list)
    cursors: dict[str, tuple[list[dict[str, Any]], int, int]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    clock: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    date_header: bool = False
    """Send ``Date`` (whole seconds of ``clock``) with every reply, as Salesforce does."""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    # --- data -----------------------------------------------------------------------

    def add(self, obj: str, n: int = 1, same_stamp: bool = False, **values: Any) -> list[str]:
        ids = []
        for _ in range(n):
            if not same_stamp:
                self.clock += timedelta(milliseconds=1)
            rid = f"a0X{next(self._ids):015d}"
            row = {
                "Id": rid,
                "IsDeleted": False,
                "Name": f"P{rid[-4:]}",
                "Is_Active__c": False,
                "CreatedDate": wire_dt(self.clock),
                "SystemModstamp": wire_dt(self.clock),
                "LastModifiedDate": wire_dt(self.clock),
                **values,
            }
            self.records.setdefault(obj, []).append(row)
            ids.append(rid)
        return ids

    def touch(self, obj: str, rid: str, same_stamp: bool = False, **values: Any) -> None:
        if not same_stamp:
            self.clock += timedelta(milliseconds=1)
        row = next(r for r in self.records[obj] if r["Id"] == rid)
        row.update(values, SystemModstamp=wire_dt(self.clock), LastModifiedDate=wire_dt(self.clock))

    def delete(self, obj: str, rid: str) -> None:
        self.touch(obj, rid, IsDeleted=True)

    # --- wiring -----------------------------------------------------------------------

    def install(self, mocker: Any) -> FakeOrg:
        mocker.post(f"{LOGIN}/services/oauth2/token", json=self._login)
        mocker.get(f"{INSTANCE}{V}/sobjects", json=self._guard("describeGlobal", self._global))
        mocker.get(
            re.compile(rf"{INSTANCE}{V}/sobjects/\w+/describe"),
            json=self._guard("describe", self._describe),
        )
        mocker.post(f"{INSTANCE}{V}/composite/batch", json=self._guard("batch", self._batch))
        query = re.compile(rf"{INSTANCE}{V}/query(All)?(\?|$)")
        mocker.get(query, json=self._guard("query", self._query))
        mocker.get(
            re.compile(rf"{INSTANCE}{V}/query(All)?/[\w-]+"),
            json=self._guard("queryMore", self._query_more),
        )
        mocker.post(f"{INSTANCE}{V}/jobs/query", json=self._guard("bulkCreate", self._bulk_create))
        mocker.get(
            re.compile(rf"{INSTANCE}{V}/jobs/query/\w+$"),
            json=self._guard("bulkJob", self._bulk_job),
        )
        mocker.get(
            re.compile(rf"{INSTANCE}{V}/jobs/query/\w+/results"),
            text=self._guard("bulkResults", self._bulk_results),
        )
        return self

    def fault(self, kind: str, *items: Any) -> None:
        """Queue faults for a call kind: an int status + errorCode tuple, or an exception."""
        self.faults.setdefault(kind, []).extend(items)

    def _guard(self, kind: str, handler: Any) -> Any:
        def wrapped(request: Any, context: Any) -> Any:
            self.calls.append(kind)
            self.used += 1
            context.headers["Sforce-Limit-Info"] = f"api-usage={self.used}/{self.daily_max}"
            if self.date_header:
                context.headers["Date"] = format_datetime(self.clock, usegmt=True)
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                context.status_code = 401
                return _err(request, "Session expired or invalid", "INVALID_SESSION_ID")
            queued = self.faults.get(kind) or []
            fault = queued.pop(0) if queued else "ok"
            if fault != "ok":
                if isinstance(fault, BaseException):
                    raise fault
                if fault == "revoke":  # the session dies between two pages
                    self.token = "00DTOKEN!revoked"
                    context.status_code = 401
                    return _err(request, "Session expired or invalid", "INVALID_SESSION_ID")
                context.status_code, code = fault
                return _err(request, f"injected {code}", code)
            return handler(request, context)

        return wrapped

    def _login(self, request: Any, context: Any) -> Any:
        form = dict(p.split("=", 1) for p in request.text.split("&"))
        self.logins.append(form)
        jwt_grant = form.get("grant_type", "").endswith("jwt-bearer")
        if form.get("client_id") != "cid" and not jwt_grant:
            context.status_code = 400
            return {"error": "invalid_client_id", "error_description": "client identifier invalid"}
        self.token = f"00DTOKEN!{len(self.logins)}"
        return {
            "access_token": self.token,
            "instance_url": INSTANCE,
            "id": f"{LOGIN}/id/00D/005",
            "token_type": "Bearer",
            "issued_at": "1700000000000",
            "signature": "sig",
        }

    def _global(self, request: Any, context: Any) -> Any:
        names = [*self.describes, "AccountChangeEvent"]
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [
                {"name": n, "queryable": True, "custom": n.endswith("__c")} for n in names
            ],
        }

    def _describe(self, request: Any, context: Any) -> Any:
        name = request.path.split("/")[-2]
        return self._describe_body(name)

    def _describe_body(self, name: str) -> dict[str, Any]:
        match = next(n for n in self.describes if n.lower() == name.lower())
        return {"name": match, "fields": self.describes[match]}

    def _batch(self, request: Any, context: Any) -> Any:
        body = request.json()
        results = []
        for sub in body["batchRequests"]:
            name = sub["url"].split("/")[-2]
            results.append({"statusCode": 200, "result": self._describe_body(name)})
        return {"hasErrors": False, "results": results}

    # --- SOQL -----------------------------------------------------------------------------

    def _run(self, soql: str, include_deleted: bool) -> list[dict[str, Any]] | int:
        m = re.match(
            r"SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY (.+?))?(?: LIMIT (\d+))?$", soql
        )
        if not m:
            raise _SoqlError("MALFORMED_QUERY", "unexpected token")
        fields, obj, where, order, limit = m.groups()
        rows = [r for r in self.records.get(obj, []) if include_deleted or not r["IsDeleted"]]
        # The tap's keyset on (key, Id): "(K > t OR (K = t AND Id > 'x'))".
        keyset = re.search(r"\((\w+) > (\S+) OR \(\1 = \2 AND Id > '(\w+)'\)\)", where or "")
        if keyset:
            key, lit, after = keyset.groups()
            at = wire_dt(datetime.fromisoformat(lit.replace("Z", "+00:00")))
            rows = [r for r in rows if r[key] is not None and (r[key], r["Id"]) > (at, after)]
            where = (where or "").replace(keyset.group(0), "").removeprefix(" AND ")
        for cond in re.split(r" AND ", where or ""):
            if not cond:
                continue
            cm = re.match(r"\(?(\w+) (>=|=|!=) ('?)(.+?)\3\)?$", cond)
            if not cm:
                raise _SoqlError("MALFORMED_QUERY", f"unexpected token: {cond}")
            fname, op, quoted, lit = cm.groups()
            if fname not in {f["name"] for f in self.describes[obj]}:
                raise _SoqlError("INVALID_FIELD", f"No such column '{fname}' on entity '{obj}'")
            if fname.endswith(("Modstamp", "Date")) and not quoted:
                lit = wire_dt(datetime.fromisoformat(lit.replace("Z", "+00:00")))
            ops = {">=": lambda a, b: a >= b, "=": lambda a, b: a == b, "!=": lambda a, b: a != b}
            rows = [r for r in rows if r.get(fname) is not None and ops[op](r[fname], lit)]
        if fields == "COUNT()":
            return len(rows)
        if order:
            rows.sort(key=lambda r: (r.get("SystemModstamp") or r["LastModifiedDate"], r["Id"]))
        if limit:
            rows = rows[: int(limit)]
        cols = [f.strip() for f in fields.split(",")]
        return [{c: r.get(c) for c in cols} for r in rows]

    def _query(self, request: Any, context: Any) -> Any:
        q = request.qs["q"][0] if "q" in request.qs else ""
        # requests-mock lower-cases query strings: re-read it from the raw URL.
        from urllib.parse import parse_qs, urlsplit

        q = parse_qs(urlsplit(request.url).query)["q"][0]
        try:
            rows = self._run(q, "/queryAll" in request.path)
        except _SoqlError as exc:
            context.status_code = 400
            return _err(request, exc.message, exc.code)
        if isinstance(rows, int):
            return {"totalSize": rows, "done": True, "records": []}
        size = _batch_size(request)
        loc = f"01g{len(self.cursors):05d}"
        self.cursors[loc] = (rows, 0, size)
        return self._page(loc)

    def _query_more(self, request: Any, context: Any) -> Any:
        loc = request.path.rsplit("/", 1)[-1].split("-")[0]
        return self._page(loc.upper() if loc.upper() in self.cursors else loc)

    def _page(self, loc: str) -> dict[str, Any]:
        rows, offset, size = self.cursors[loc]
        page = rows[offset : offset + size]
        self.cursors[loc] = (rows, offset + size, size)
        done = offset + size >= len(rows)
        reply: dict[str, Any] = {
            "totalSize": len(rows),
            "done": done,
            "records": [{"attributes": {"type": "X", "url": "/x"}, **r} for r in page],
        }
        if not done:
            reply["nextRecordsUrl"] = f"{V}/query/{loc}-{offset + size}"
        return reply

    # --- Bulk 2.0 ---------------------------------------------------------------------------

    def _bulk_create(self, request: Any, context: Any) -> Any:
        body = request.json()
        rows = self._run(body["query"], body["operation"] == "queryAll")
        job_id = f"750{len(self.jobs):015d}"
        self.jobs[job_id] = {"rows": rows, "polls": 0, "query": body["query"]}
        return {"id": job_id, "operation": body["operation"], "state": "UploadComplete"}

    def _bulk_job(self, request: Any, context: Any) -> Any:
        job_id = request.path.rsplit("/", 1)[-1]
        job = self.jobs[job_id.lower()] if job_id.lower() in self.jobs else self.jobs[job_id]
        job["polls"] += 1
        state = "InProgress" if job["polls"] < 2 else "JobComplete"
        return {"id": job_id, "state": state}

    def _bulk_results(self, request: Any, context: Any) -> str:
        job_id = request.path.split("/")[-2]
        job = next(v for k, v in self.jobs.items() if k.lower() == job_id.lower())
        start = int(request.qs.get("locator", ["0"])[0])
        size = int(request.qs.get("maxRecords", ["50000"])[0])
        rows = job["rows"][start : start + size]
        out = io.StringIO()
        cols = list(job["rows"][0]) if job["rows"] else ["Id"]
        writer = csv.DictWriter(out, cols, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _csv_value(v) for k, v in r.items()})
        nxt = start + size
        context.headers["Sforce-Locator"] = str(nxt) if nxt < len(job["rows"]) else "null"
        context.headers["Sforce-NumberOfRecords"] = str(len(rows))
        context.headers["Content-Type"] = "text/csv"
        return out.getvalue()


class _SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v.endswith("+0000"):
        return v[:-5] + "Z"
    return str(v)


def _batch_size(request: Any) -> int:
    opt = request.headers.get("Sforce-Query-Options", "")
    m = re.search(r"batchSize=(\d+)", opt)
    return int(m.group(1)) if m else 2000


def _err(request: Any, message: str, code: str) -> Any:
    body = [{"message": message, "errorCode": code}]
    if "results" in request.path:  # the bulk results handler answers text
        import json

        return json.dumps(body)
    return body


RESET = requests.ConnectionError("Connection reset by peer")
