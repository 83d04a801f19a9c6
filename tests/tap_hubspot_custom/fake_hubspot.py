"""A small in-memory HubSpot portal behind requests-mock, for the tap's unit tests.

It serves what the tap calls, with HubSpot's wire shapes: schemas, properties, the
list API (``after`` cursors, ``archived``), the search API (GTE/GT/EQ/LT filters, one
sort either way, numeric ``after`` offsets refused past 10,000), v4 association batch reads
(207 for ids without associations, per-input paging), OAuth refresh, and rate-limit
headers. Tests inject replies with :meth:`FakePortal.fail_next`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests_mock

BASE = "https://api.hubapi.test"
TOKEN = "pat-na1-unit"
RESULT_CAP = 10_000
T0 = 1_780_000_000_000  # 2026-05-28T...Z in epoch ms


def iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    )


PROJECT_PROPS = [
    {"name": "hs_object_id", "type": "number", "fieldType": "number", "label": "Record ID"},
    {"name": "hs_lastmodifieddate", "type": "datetime", "fieldType": "date"},
    {"name": "hs_createdate", "type": "datetime", "fieldType": "date"},
    {"name": "project_name", "type": "string", "fieldType": "text", "label": "Name"},
    {"name": "budget", "type": "number", "fieldType": "number"},
    {"name": "is_active", "type": "bool", "fieldType": "booleancheckbox"},
    {"name": "opt_in", "type": "enumeration", "fieldType": "booleancheckbox"},
    {"name": "start_date", "type": "date", "fieldType": "date"},
    {"name": "kickoff", "type": "datetime", "fieldType": "date"},
    {
        "name": "stage",
        "type": "enumeration",
        "fieldType": "select",
        "options": [{"label": "Planned", "value": "planned", "displayOrder": 0, "hidden": False}],
    },
    {"name": "tags", "type": "enumeration", "fieldType": "checkbox", "options": []},
    {"name": "salesforce_id", "type": "string", "fieldType": "text", "hasUniqueValue": True},
]
COMPANY_PROPS = [
    {"name": "hs_object_id", "type": "number", "fieldType": "number"},
    {"name": "hs_lastmodifieddate", "type": "datetime", "fieldType": "date"},
    {"name": "name", "type": "string", "fieldType": "text"},
]
CONTACT_PROPS = [
    {"name": "hs_object_id", "type": "number", "fieldType": "number"},
    {"name": "lastmodifieddate", "type": "datetime", "fieldType": "date"},
    {"name": "email", "type": "string", "fieldType": "text"},
]


@dataclass
class Rec:
    id: int
    props: dict[str, str | None]
    created: int
    updated: int
    archived_at: int | None = None

    def wire(self, names: list[str], modified: str) -> dict[str, Any]:
        props = {n: self.props.get(n) for n in names}
        if modified in names:
            props[modified] = iso(self.updated)
        if "hs_object_id" in names:
            props["hs_object_id"] = str(self.id)
        out: dict[str, Any] = {
            "id": str(self.id),
            "properties": props,
            "createdAt": iso(self.created),
            "updatedAt": iso(self.updated),
            "archived": self.archived_at is not None,
        }
        if self.archived_at is not None:
            out["archivedAt"] = iso(self.archived_at)
        return out


@dataclass
class FakePortal:
    now: int = T0
    next_id: int = 1000
    objects: dict[str, dict[int, Rec]] = field(
        default_factory=lambda: {"2-9": {}, "0-2": {}, "0-1": {}}
    )
    links: dict[tuple[str, str], dict[int, list[tuple[int, int, str | None]]]] = field(
        default_factory=dict
    )
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    failures: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    tokens_issued: int = 0
    result_cap: int = RESULT_CAP
    before_search: Any = None  # called with the number of searches so far
    search_refusal: dict[str, Any] | None = None  # when set, every search is a 400 with it
    issued: set[str] = field(default_factory=set)  # list cursors this portal handed out
    foreign_after: str | None = None
    """How a list cursor this portal never handed out is answered: ``None`` as ids after it,
    ``"refuse"`` with a 400, ``"below"`` with ids from three below it (a token, not an id)."""

    NAMES = {"project": "2-9", "companies": "0-2", "contacts": "0-1"}
    PROPS = {"2-9": PROJECT_PROPS, "0-2": COMPANY_PROPS, "0-1": CONTACT_PROPS}

    # --- data ---------------------------------------------------------------------------

    def tick(self, ms: int = 1) -> int:
        self.now += ms
        return self.now

    def create(self, ot: str = "2-9", **props: str | None) -> str:
        self.next_id += 1
        self.objects[ot][self.next_id] = Rec(self.next_id, dict(props), self.now, self.now)
        return str(self.next_id)

    def update(self, ot: str, rid: str, **props: str | None) -> None:
        rec = self.objects[ot][int(rid)]
        rec.props.update(props)
        rec.updated = self.now

    def archive(self, ot: str, rid: str) -> None:
        rec = self.objects[ot][int(rid)]
        rec.archived_at = rec.updated = self.now

    def link(self, a: str, from_id: str, b: str, to_id: str, type_id: int, label: str | None):
        self.links.setdefault((a, b), {}).setdefault(int(from_id), []).append(
            (int(to_id), type_id, label)
        )

    def fail_next(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        self.failures.append((status, body, headers or {}))

    # --- HTTP ---------------------------------------------------------------------------

    def install(self, mocker: requests_mock.Mocker) -> FakePortal:
        mocker.register_uri(requests_mock.ANY, requests_mock.ANY, json=self._dispatch)
        return self

    def _modified(self, ot: str) -> str:
        return "lastmodifieddate" if ot == "0-1" else "hs_lastmodifieddate"

    def _dispatch(self, request: Any, context: Any) -> Any:
        url = urlparse(request.url)
        path = url.path
        body = json.loads(request.body) if request.body and path != "/oauth/v1/token" else None
        self.calls.append((request.method, path, body))
        context.headers["Date"] = format_datetime(
            datetime.fromtimestamp(self.now / 1000, UTC), True
        )
        if path == "/oauth/v1/token":
            form = parse_qs(request.body)
            assert form["grant_type"] == ["refresh_token"], form
            self.tokens_issued += 1
            return {"access_token": f"oauth-{self.tokens_issued}", "expires_in": 1800}
        auth = request.headers.get("Authorization", "")
        if auth not in (f"Bearer {TOKEN}", f"Bearer oauth-{self.tokens_issued}"):
            context.status_code = 401
            return {"status": "error", "message": "Authentication credentials not found.",
                    "category": "INVALID_AUTHENTICATION", "correlationId": "x"}  # fmt: skip
        if self.failures:
            status, reply, headers = self.failures.pop(0)
            context.status_code = status
            context.headers.update(headers)
            return reply
        context.headers["X-HubSpot-RateLimit-Remaining"] = "99"
        context.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = "10000"
        if path == "/crm/v3/schemas":
            return {"results": [{"name": "project", "objectTypeId": "2-9",
                                 "fullyQualifiedName": "p1_project"}]}  # fmt: skip
        if path.startswith("/crm/v3/properties/"):
            return {"results": self.PROPS[path.rsplit("/", 1)[-1]]}
        if path.startswith("/crm/v4/associations/"):
            _, _, _, _, a, b, _, _ = path.split("/")
            return self._assoc(a, b, body, context)
        parts = path.split("/")
        ot = parts[4]
        if path.endswith("/search"):
            return self._search(ot, body, context)
        return self._list(ot, parse_qs(url.query), context)

    def _list(self, ot: str, query: dict[str, list[str]], context: Any) -> dict[str, Any]:
        archived = query.get("archived", ["false"])[0] == "true"
        limit = min(int(query.get("limit", ["10"])[0]), 100)
        after = int(query.get("after", ["0"])[0])
        names = query.get("properties", [""])[0].split(",")
        rows = sorted(
            (r for r in self.objects[ot].values() if (r.archived_at is not None) == archived),
            key=lambda r: r.id,
        )
        foreign = "after" in query and query["after"][0] not in self.issued
        if foreign and self.foreign_after == "refuse":
            context.status_code = 400
            return {"status": "error", "message": "Invalid paging cursor",
                    "category": "VALIDATION_ERROR", "correlationId": "x"}  # fmt: skip
        if foreign and self.foreign_after == "below":
            after -= 3
        rows = [r for r in rows if r.id > after]
        page = rows[:limit]
        reply: dict[str, Any] = {"results": [r.wire(names, self._modified(ot)) for r in page]}
        if len(rows) > limit:
            reply["paging"] = {"next": {"after": str(page[-1].id), "link": "..."}}
            self.issued.add(str(page[-1].id))
        return reply

    def _search(self, ot: str, body: dict[str, Any], context: Any) -> dict[str, Any]:
        assert len(body["sorts"]) == 1
        if self.search_refusal is not None:
            context.status_code = 400
            return self.search_refusal
        if self.before_search is not None:
            self.before_search(self.count("POST", "/search"))
        limit = int(body["limit"])
        assert 1 <= limit <= 200
        offset = int(body.get("after") or 0)
        if offset + limit > self.result_cap:
            context.status_code = 400
            return {"status": "error", "message": "past the 10,000 result cap",
                    "category": "VALIDATION_ERROR"}  # fmt: skip
        modified = self._modified(ot)

        def value(rec: Rec, name: str) -> int:
            if name == modified:
                return rec.updated
            if name == "hs_object_id":
                return rec.id
            raise AssertionError(name)

        rows = [r for r in self.objects[ot].values() if r.archived_at is None]
        for f in (body["filterGroups"] or [{"filters": []}])[0]["filters"]:
            target = int(f["value"])
            test = {"GTE": int.__ge__, "GT": int.__gt__, "EQ": int.__eq__, "LT": int.__lt__}[
                f["operator"]
            ]
            rows = [r for r in rows if test(value(r, f["propertyName"]), target)]
        sort = body["sorts"][0]["propertyName"]
        # Ties in the sort come in an order of the index's choosing: reversed ids here.
        rows.sort(key=lambda r: (value(r, sort), -r.id))
        if body["sorts"][0].get("direction") == "DESCENDING":
            rows.reverse()
        page = rows[offset : offset + limit]
        reply: dict[str, Any] = {
            "total": len(rows),
            "results": [r.wire(body["properties"], modified) for r in page],
        }
        if offset + limit < len(rows):
            reply["paging"] = {"next": {"after": str(offset + limit)}}
        return reply

    def _assoc(self, a: str, b: str, body: dict[str, Any], context: Any) -> dict[str, Any]:
        assert len(body["inputs"]) <= 1000  # HubSpot's limit for associations batch/read
        results, errors = [], []
        per_reply = 2  # small, so per-input paging shows
        for entry in body["inputs"]:
            linked = sorted(self.links.get((a, b), {}).get(int(entry["id"]), []))
            after = int(entry.get("after") or 0)
            linked = [x for x in linked if x[0] >= after]
            if not linked:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "message": "No associations",
                        "context": {"ids": [entry["id"]]},
                    }
                )
                continue
            item: dict[str, Any] = {
                "from": {"id": entry["id"]},
                "to": [
                    {"toObjectId": to, "associationTypes": [
                        {"category": "HUBSPOT_DEFINED", "typeId": t, "label": label}]}
                    for to, t, label in linked[:per_reply]
                ],
            }  # fmt: skip
            if len(linked) > per_reply:
                item["paging"] = {"next": {"after": str(linked[per_reply][0])}}
            results.append(item)
        reply: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if errors:
            context.status_code = 207
            reply["numErrors"] = len(errors)
            reply["errors"] = errors
        return reply

    def count(self, method: str, suffix: str) -> int:
        return sum(1 for m, p, _ in self.calls if m == method and p.endswith(suffix))
