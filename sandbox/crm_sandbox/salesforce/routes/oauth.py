"""OAuth 2.0 endpoints: token (all grants), userinfo and revoke."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from crm_sandbox.salesforce.auth import OAuthError, basic_credentials, bearer_token

if TYPE_CHECKING:
    from starlette.requests import Request

    from crm_sandbox.salesforce.service import SalesforceService


async def _form(request: Request) -> dict[str, str]:
    """The url-encoded body (parsed here: Starlette's form parser needs python-multipart)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    form = dict(parse_qsl(body, keep_blank_values=True))
    for key, value in request.query_params.items():
        form.setdefault(key, value)
    return form


def _instance_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def routes(service: SalesforceService) -> list[Route]:
    sessions = service.sessions
    creds = service.ctx.credentials

    async def token(request: Request) -> Response:
        form = await _form(request)
        try:
            reply = sessions.grant(
                form,
                basic_credentials(request.headers.get("authorization")),
                _instance_url(request),
            )
        except OAuthError as refused:
            return JSONResponse(refused.body(), status_code=refused.status)
        return JSONResponse(reply)

    async def userinfo(request: Request) -> Response:
        token_value = bearer_token(request.headers.get("authorization"))
        if not token_value or sessions.check(token_value) is None:
            return PlainTextResponse("Bad_OAuth_Token", status_code=403)
        base = _instance_url(request)
        user = service.store.fetch_row(service.store.object("User"), creds.sf_user_id) or {}
        return JSONResponse(
            {
                "sub": f"{base}/id/{creds.sf_org_id}/{creds.sf_user_id}",
                "user_id": creds.sf_user_id,
                "organization_id": creds.sf_org_id,
                "preferred_username": creds.sf_username,
                "nickname": user.get("CommunityNickname"),
                "name": user.get("Name"),
                "email": user.get("Email"),
                "email_verified": True,
                "given_name": user.get("FirstName"),
                "family_name": user.get("LastName"),
                "zoneinfo": user.get("TimeZoneSidKey"),
                "active": True,
                "user_type": "STANDARD",
                "language": user.get("LanguageLocaleKey"),
                "locale": user.get("LocaleSidKey"),
                "utcOffset": -28800000,
                "urls": {
                    "rest": f"{base}/services/data/v{{version}}/",
                    "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
                    "query": f"{base}/services/data/v{{version}}/query/",
                    "limits": f"{base}/services/data/v{{version}}/limits/",
                },
            }
        )

    async def revoke(request: Request) -> Response:
        value = (await _form(request)).get("token", "")
        if not value or not sessions.revoke(value):
            return JSONResponse(
                {
                    "error": "unsupported_token_type",
                    "error_description": "this token type is not supported",
                },
                status_code=400,
            )
        return Response(status_code=200)

    return [
        Route("/services/oauth2/token", token, methods=["POST"]),
        Route("/services/oauth2/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/services/oauth2/revoke", revoke, methods=["POST"]),
    ]
