"""``GET /email/public/v1/subscriptions``: the portal's email subscription types (read-only).

The legacy communication-preferences API; MeltanoLabs' tap-hubspot reads it as its
``email_subscriptions`` stream. The body has the fields of the API reference's example
(``id``, ``portalId``, ``name``, ``description``, ``active``); the two types a portal
starts with here are (unverified) names. Scopes are not checked on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

from crm_sandbox.hubspot.routes.common import endpoint, reply

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.hubspot.service import HubSpotService

PATH = "/email/public/v1/subscriptions"
DEFINITIONS = [
    (7, "Marketing Information", "Marketing offers and updates."),
    (8, "One to One", "One to one emails from the sales and service teams."),
]


def routes(svc: HubSpotService) -> list[Route]:
    @endpoint
    async def subscriptions(_: Request) -> Response:
        return reply(
            {
                "subscriptionDefinitions": [
                    {
                        "active": True,
                        "portalId": svc.portal_id,
                        "description": description,
                        "id": type_id,
                        "name": name,
                    }
                    for type_id, name, description in DEFINITIONS
                ]
            }
        )

    return [Route(PATH, subscriptions, methods=["GET"])]
