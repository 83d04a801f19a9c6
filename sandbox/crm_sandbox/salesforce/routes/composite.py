"""The Composite API: ``POST /composite`` (``compositeRequest``) and ``POST /composite/graph``.

Subrequests go to the service's own router, in one worker thread with its own event
loop, so an allOrNone request can hold one database transaction across all of them
(the service's ``INLINE`` flag keeps sync endpoints in that thread) and roll it back.
The composite call counts as one API request, as in Salesforce.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from crm_sandbox.salesforce.composite import (
    RolledBack,
    SubResponse,
    halted,
    parse_subrequests,
    run_composite,
)
from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.routes._common import PREFIX, json_body, sf_json

if TYPE_CHECKING:
    from collections.abc import MutableMapping

    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.salesforce.service import SalesforceService

# Resources a subrequest may address (after /services/data/vXX.X/).
_ALLOWED = re.compile(r"^/services/data/v\d+\.\d+/(sobjects|query|queryAll|composite/sobjects)\b")
_CREATED = re.compile(r"^(/services/data/v\d+\.\d+/sobjects/[A-Za-z0-9_]+)/?$")
_SKIP_HEADERS = {b"content-length", b"content-type", b"transfer-encoding"}


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


class _Dispatcher:
    """Sends subrequests through the service's router, from a worker thread."""

    def __init__(self, service: SalesforceService, scope: MutableMapping[str, Any]) -> None:
        self.router = service.router()
        self.scope = scope
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        self.loop.close()

    def send(self, method: str, url: str, body: Any, headers: dict[str, str]) -> SubResponse:
        if not _ALLOWED.match(url):
            # (unverified) how Salesforce refuses a resource composite does not support
            return SubResponse(
                400,
                [{"errorCode": "INVALID_URL", "message": f"Unsupported composite url: {url}"}],
            )
        return self.loop.run_until_complete(self._call(method, url, body, headers))

    async def _call(self, method: str, url: str, body: Any, extra: dict[str, str]) -> SubResponse:
        path, _, query = url.partition("?")
        raw = b"" if body is None else json.dumps(body).encode()
        headers = [(k, v) for k, v in self.scope["headers"] if k.lower() not in _SKIP_HEADERS]
        headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
        if raw:
            headers.append((b"content-type", b"application/json"))
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": method,
            "scheme": self.scope.get("scheme", "https"),
            "server": self.scope.get("server"),
            "client": self.scope.get("client"),
            "root_path": "",
            "path": unquote(path),
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "headers": headers,
        }
        sent: list[MutableMapping[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        await self.router(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        status = int(start["status"])
        reply: Any = json.loads(payload) if payload.strip() else None
        out_headers: dict[str, str] = {}
        created = _CREATED.match(path)
        if method == "POST" and status == 201 and created and isinstance(reply, dict):
            out_headers["Location"] = f"{created.group(1)}/{reply.get('id')}"
        return SubResponse(status, reply, out_headers)


def routes(service: SalesforceService) -> list[Route]:
    from crm_sandbox.salesforce.service import INLINE

    def execute(scope: MutableMapping[str, Any], subs: list[dict], all_or_none: bool) -> list:
        """Runs in a worker thread: every subrequest, in one transaction if allOrNone."""
        token = INLINE.set(True)
        dispatcher = _Dispatcher(service, scope)
        try:
            if not all_or_none:
                return run_composite(subs, False, dispatcher.send)
            try:
                with service.db.transaction():
                    return run_composite(subs, True, dispatcher.send)
            except RolledBack as undone:
                return undone.replies
        finally:
            dispatcher.close()
            INLINE.reset(token)

    async def composite(request: Request) -> Response:
        body = await json_body(request)
        subs = parse_subrequests(body)
        all_or_none = _flag(body.get("allOrNone", False))
        replies = await run_in_threadpool(execute, request.scope, subs, all_or_none)
        return sf_json({"compositeResponse": replies})

    async def graph(request: Request) -> Response:
        body = await json_body(request)
        graphs = body.get("graphs") if isinstance(body, dict) else None
        if not isinstance(graphs, list) or not graphs:
            raise SalesforceError(400, "JSON_PARSER_ERROR", "graphs is required")  # (unverified)
        out: list[dict[str, Any]] = []
        for entry in graphs:
            graph_id = entry.get("graphId") if isinstance(entry, dict) else None
            try:
                subs = parse_subrequests(entry)
            except SalesforceError as bad:
                reply = halted(bad.message).as_json("")
                out.append({"graphId": graph_id, "graphResponse": {"compositeResponse": [reply]},
                            "isSuccessful": False})  # fmt: skip
                continue
            replies = await run_in_threadpool(execute, request.scope, subs, True)
            ok = all(r["httpStatusCode"] < 400 for r in replies)
            out.append({"graphId": graph_id, "graphResponse": {"compositeResponse": replies},
                        "isSuccessful": ok})  # fmt: skip
        return sf_json({"graphs": out})

    async def resources(request: Request) -> Response:
        """``GET /composite``: the composite resources the sandbox serves."""
        base = f"/services/data/v{request.path_params['version']}/composite"
        return sf_json({"graph": f"{base}/graph", "sobjects": f"{base}/sobjects"})

    return [
        Route(PREFIX + "/composite", resources, methods=["GET"]),
        Route(PREFIX + "/composite", composite, methods=["POST"]),
        Route(PREFIX + "/composite/graph", graph, methods=["POST"]),
    ]
