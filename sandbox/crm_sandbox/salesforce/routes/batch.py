"""Composite batch (``/composite/batch``): up to 25 independent subrequests in one call.

Subrequests are dispatched to the service's own routes in-process, so they are
answered exactly as direct calls are, and count as one API call (as in Salesforce).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.routing import Route

from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.routes._common import PREFIX, json_object, sf_json

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.salesforce.service import SalesforceService

MAX_SUBREQUESTS = 25
HALTED = [
    {"errorCode": "BATCH_PROCESSING_HALTED", "message": "Batch processing halted per request"}
]


async def dispatch(
    service: SalesforceService,
    request: Request,
    method: str,
    url: str,
    body: Any,
) -> tuple[int, Any]:
    """Run one subrequest through the service's router; return (status, parsed JSON)."""
    parts = urlsplit(url)
    path = parts.path if parts.path.startswith("/") else "/services/data/" + parts.path
    payload = b"" if body is None else json.dumps(body).encode()
    headers = [
        (b"authorization", (request.headers.get("authorization") or "").encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    scope = {
        **request.scope,
        "method": method.upper(),
        "path": path,
        "raw_path": path.encode(),
        "query_string": parts.query.encode(),
        "headers": headers,
    }
    scope.pop("router", None)
    scope.pop("endpoint", None)
    scope.pop("path_params", None)
    sent = False
    status = 500
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await service.router()(scope, receive, send)
    raw = b"".join(chunks)
    try:
        result = json.loads(raw) if raw else None
    except ValueError:
        result = raw.decode(errors="replace")
    return status, result


def routes(service: SalesforceService) -> list[Route]:
    async def batch(request: Request) -> Response:
        body = await json_object(request)
        subrequests = body.get("batchRequests")
        if not isinstance(subrequests, list) or not subrequests:
            raise SalesforceError(400, "INVALID_BATCH_REQUEST", "batchRequests is required")
        if len(subrequests) > MAX_SUBREQUESTS:
            # (unverified) wording of the limit error
            raise SalesforceError(
                400,
                "INVALID_BATCH_REQUEST",
                f"A batch request cannot contain more than {MAX_SUBREQUESTS} subrequests",
            )
        halt = body.get("haltOnError") is True
        results: list[dict[str, Any]] = []
        halted = False
        for sub in subrequests:
            if halted:
                results.append({"statusCode": 412, "result": HALTED})
                continue
            status, result = await dispatch(
                service,
                request,
                str(sub.get("method", "GET")),
                str(sub.get("url", "")),
                sub.get("richInput"),
            )
            results.append({"statusCode": status, "result": result})
            if status >= 400 and halt:
                halted = True
        has_errors = any(r["statusCode"] >= 400 for r in results)
        return sf_json({"hasErrors": has_errors, "results": results})

    return [Route(PREFIX + "/composite/batch", batch, methods=["POST"])]
