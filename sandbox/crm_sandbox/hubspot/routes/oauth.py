"""``/oauth/v1/token`` (refresh-token grant), ``/oauth/v1/access-tokens/{token}`` and
``/oauth/v1/refresh-tokens/{token}``."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.routing import Route

from crm_sandbox.hubspot.auth import OAuthError
from crm_sandbox.hubspot.errors import correlation_id
from crm_sandbox.hubspot.routes.common import reply

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.hubspot.service import HubSpotService


def routes(svc: HubSpotService) -> list[Route]:
    async def token(request: Request) -> Response:
        # form-urlencoded only (what the SDK sends); parsed here without python-multipart
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        try:
            return reply(svc.auth.refresh(form))
        except OAuthError as exc:
            return reply(
                {"status": exc.status, "message": exc.message, "correlationId": correlation_id()},
                400,
            )

    def described(info: dict[str, object] | None) -> Response:
        if info is None:  # the same body for both kinds of token (unverified for refresh)
            return reply(
                {
                    "status": "error",
                    "message": "Token not found",
                    "correlationId": correlation_id(),
                    "category": "OBJECT_NOT_FOUND",
                },
                404,
            )
        return reply(info)

    async def access_token(request: Request) -> Response:
        return described(svc.auth.token_info(request.path_params["token"]))

    async def refresh_token(request: Request) -> Response:
        return described(svc.auth.refresh_token_info(request.path_params["token"]))

    return [
        Route("/oauth/v1/token", token, methods=["POST"]),
        Route("/oauth/v1/access-tokens/{token}", access_token, methods=["GET"]),
        Route("/oauth/v1/refresh-tokens/{token}", refresh_token, methods=["GET"]),
    ]
