"""describeGlobal, sObject describe and sObject basic information."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

from crm_sandbox.salesforce.describe import describe_global, describe_object, global_entry
from crm_sandbox.salesforce.routes._common import PREFIX, sf_json, version

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.salesforce.service import SalesforceService


def routes(service: SalesforceService) -> list[Route]:
    store = service.store

    async def global_(request: Request) -> Response:
        return sf_json(describe_global(store.schema, version(request)))

    async def describe(request: Request) -> Response:
        obj = store.object(request.path_params["sobject"])
        return sf_json(describe_object(store.schema, obj, version(request)))

    async def basic_info(request: Request) -> Response:
        obj = store.object(request.path_params["sobject"])
        return sf_json({"objectDescribe": global_entry(obj, version(request)), "recentItems": []})

    return [
        Route(PREFIX + "/sobjects", global_, methods=["GET"]),
        Route(PREFIX + "/sobjects/{sobject}/describe", describe, methods=["GET"]),
        Route(PREFIX + "/sobjects/{sobject}", basic_info, methods=["GET"]),
    ]
