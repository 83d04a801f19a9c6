"""``GET /limits``: the org's limits, with the daily API count this sandbox keeps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

from crm_sandbox.salesforce.routes._common import PREFIX, sf_json

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.salesforce.service import SalesforceService


def routes(service: SalesforceService) -> list[Route]:
    async def limits(request: Request) -> Response:
        records = sum(service.store.counts().values())
        return sf_json(service.limits.snapshot(records))

    return [Route(PREFIX + "/limits", limits, methods=["GET"])]
