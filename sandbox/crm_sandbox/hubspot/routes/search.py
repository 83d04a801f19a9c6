"""``POST /crm/v3/objects/{objectType}/search``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from crm_sandbox.hubspot.routes.common import body_object, endpoint, reply

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.hubspot.service import HubSpotService

PATH = "/crm/v3/objects/{objectType}/search"


def routes(svc: HubSpotService) -> list[Route]:
    @endpoint
    async def search(request: Request) -> Response:
        ot = svc.catalog.resolve(request.path_params["objectType"])
        page = svc.search.run(ot, await body_object(request))
        body: dict[str, Any] = {
            "total": page.total,
            "results": [r.wire(page.names) for r in page.records],
        }
        if page.next_after is not None:
            body["paging"] = {"next": {"after": str(page.next_after)}}
        return reply(body)

    return [Route(PATH, search, methods=["POST"])]
