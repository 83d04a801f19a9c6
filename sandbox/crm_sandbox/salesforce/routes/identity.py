"""The identity URL ``/id/{orgId}/{userId}`` (the token reply's ``id``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from crm_sandbox.salesforce.auth import bearer_token
from crm_sandbox.salesforce.identity import identity_document
from crm_sandbox.salesforce.values import normalize_id

if TYPE_CHECKING:
    from starlette.requests import Request

    from crm_sandbox.salesforce.service import SalesforceService

IDENTITY = "/id/{org_id}/{user_id}"


def routes(service: SalesforceService) -> list[Route]:
    creds = service.ctx.credentials

    async def identity(request: Request) -> Response:
        # The token may also travel as ?oauth_token= (documented for identity URLs).
        token = bearer_token(request.headers.get("authorization")) or request.query_params.get(
            "oauth_token"
        )
        if not token or service.sessions.check(token) is None:
            return PlainTextResponse("Bad_OAuth_Token", status_code=403)
        org = normalize_id(request.path_params["org_id"])
        user = normalize_id(request.path_params["user_id"])
        if org != creds.sf_org_id or user != creds.sf_user_id:
            return PlainTextResponse("Bad_Id", status_code=404)  # (unverified) wording
        if request.query_params.get("format", "json").lower() != "json":
            # (unverified) the sandbox answers JSON only; Salesforce also has xml/urlencoded
            return PlainTextResponse("Bad_Format", status_code=406)
        base = str(request.base_url).rstrip("/")
        body = identity_document(service.store, creds, base, request.query_params.get("version"))
        return JSONResponse(body)

    return [Route(IDENTITY, identity, methods=["GET", "POST"])]
