"""``GET /account-info/v3/details``: the portal's id and settings.

Field names follow HubSpot's "Retrieve account details" reference (``portalId``,
``accountType``, ``timeZone``, ``companyCurrency``, ``additionalCurrencies``,
``utcOffset``, ``utcOffsetMilliseconds``, ``uiDomain``, ``dataHostingLocation``); the
values other than ``portalId`` are the sandbox's fixed settings. Any valid token may
call it (the reference lists only the ``oauth`` scope).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

from crm_sandbox.hubspot.routes.common import endpoint, reply

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.hubspot.service import HubSpotService


def routes(svc: HubSpotService) -> list[Route]:
    @endpoint
    async def details(_: Request) -> Response:
        return reply(
            {
                "portalId": svc.portal_id,
                "accountType": "STANDARD",
                "timeZone": "US/Eastern",
                "companyCurrency": "USD",
                "additionalCurrencies": [],
                "utcOffset": "-05:00",
                "utcOffsetMilliseconds": -18000000,
                "uiDomain": "app.hubspot.com",
                "dataHostingLocation": "na1",
            }
        )

    return [Route("/account-info/v3/details", details, methods=["GET"])]
