"""The SOAP partner endpoint ``POST /services/Soap/u/{version}``: undelete and merge.

The session travels in the envelope's SessionHeader, not in an Authorization header, so
this route checks it (and counts the call against the daily limit) itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.recycle import RecycleBin
from crm_sandbox.salesforce.routes.versions import is_listed
from crm_sandbox.salesforce.soap import (
    CONTENT_TYPE,
    PARTNER_NS,
    SoapFault,
    envelope,
    merge_requests,
    merge_result,
    parse_call,
    undelete_result,
)

if TYPE_CHECKING:
    from starlette.requests import Request

    from crm_sandbox.salesforce.service import SalesforceService

OPERATIONS = ("undelete", "merge")


def recycle_bin(service: SalesforceService) -> RecycleBin:
    return RecycleBin(service.store)


def _reply(text: str, status: int = 200) -> Response:
    return Response(text.encode(), status_code=status, media_type=CONTENT_TYPE)


def routes(service: SalesforceService) -> list[Route]:
    bin_ = recycle_bin(service)

    def limit() -> tuple[int, int]:
        used, _, most = service.limits.limit_info().partition("=")[2].partition("/")
        return int(used), int(most)

    def serve(raw: bytes) -> Response:
        call = parse_call(raw)
        if call.operation not in OPERATIONS or call.namespace != PARTNER_NS:
            raise SoapFault(
                "",
                f"No operation available for request {{{call.namespace}}}{call.operation}, "
                "please check the WSDL for the service.",
                client=True,
            )
        if not call.session_id or service.sessions.check(call.session_id) is None:
            raise SoapFault(
                "INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session"
            )
        if service.limits.exhausted():
            raise SoapFault("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        service.limits.count()
        if call.operation == "undelete":
            results = bin_.undelete(call.values("ids"))
            body = "".join(undelete_result(r.as_json()) for r in results)
        else:
            merged = [
                bin_.merge(req.sobject, req.master, req.to_merge) for req in merge_requests(call)
            ]
            body = "".join(merge_result(r.as_json()) for r in merged)
        return _reply(envelope(call.operation, body, limit()))

    async def soap(request: Request) -> Response:
        raw = await request.body()
        if not is_listed(request.path_params["version"]):
            # Salesforce's fault for a version it does not serve (retired, unreleased, or
            # written "v62.0").
            fault = SoapFault("UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL")
            return _reply(fault.render(), 500)
        try:
            return await run_in_threadpool(serve, raw)
        except SoapFault as fault:
            return _reply(fault.render(), 500)
        except SalesforceError as error:
            return _reply(SoapFault(error.error_code, error.message).render(), 500)

    return [
        Route("/services/Soap/u/{version}", soap, methods=["POST"]),
        Route("/services/Soap/u/{version}/{org_id}", soap, methods=["POST"]),
    ]


def control_routes(service: SalesforceService) -> list[Route]:
    """``POST /__sandbox/salesforce/undelete {"ids"}`` and ``…/merge {"object", "master",
    "merge"}``: the SOAP calls' model for tests, answered as JSON results."""
    bin_ = recycle_bin(service)

    async def undelete(request: Request) -> Response:
        body = await request.json()
        results = await run_in_threadpool(bin_.undelete, [str(i) for i in body.get("ids", [])])
        return JSONResponse([r.as_json() for r in results])

    async def merge(request: Request) -> Response:
        body = await request.json()
        master = body.get("master")
        master = master if isinstance(master, dict) else {"Id": master}
        try:
            result = await run_in_threadpool(
                bin_.merge, str(body.get("object", "")), master, list(body.get("merge", []))
            )
        except SalesforceError as error:
            return JSONResponse(error.body(), status_code=error.status)
        return JSONResponse(result.as_json())

    return [
        Route("/__sandbox/salesforce/undelete", undelete, methods=["POST"]),
        Route("/__sandbox/salesforce/merge", merge, methods=["POST"]),
    ]
