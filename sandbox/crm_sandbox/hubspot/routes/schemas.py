"""``/crm/v3/schemas`` and ``/crm-object-schemas/v3/schemas`` (the SDK uses the latter)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

from crm_sandbox.hubspot.routes.common import (
    body_object,
    bool_param,
    endpoint,
    no_content,
    reply,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.hubspot.service import HubSpotService

PREFIXES = ("/crm/v3/schemas", "/crm-object-schemas/v3/schemas")


def routes(svc: HubSpotService) -> list[Route]:
    catalog = svc.catalog

    @endpoint
    async def collection(request: Request) -> Response:
        if request.method == "POST":
            body = await body_object(request)
            with svc.write_lock:
                ot = catalog.create_schema(body)
            return reply(catalog.schema_wire(ot), 201)
        archived = bool_param(request, "archived")
        return reply(
            {"results": [catalog.schema_wire(ot) for ot in catalog.custom_types(archived)]}
        )

    @endpoint
    async def item(request: Request) -> Response:
        ref = request.path_params["objectType"]
        if request.method == "DELETE":
            purge = bool_param(request, "archived")
            with svc.write_lock:
                count = 0 if purge else svc.records.count_live(catalog.resolve(ref).object_type_id)
                catalog.delete_schema(ref, purge, count)
            return no_content()
        ot = catalog.resolve(ref)
        if request.method == "PATCH":
            body = await body_object(request)
            with svc.write_lock:
                catalog.update_schema(ot, body)
            return reply(catalog.type_definition_wire(ot))
        return reply(catalog.schema_wire(ot))

    @endpoint
    async def association(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        body = await body_object(request)
        target = catalog.resolve(str(body.get("toObjectTypeId")))
        with svc.write_lock:
            svc.assoc_types.ensure_pair(ot.object_type_id, target.object_type_id)
        t = svc.assoc_types.default(ot.object_type_id, target.object_type_id)
        return reply(
            {
                "fromObjectTypeId": ot.object_type_id,
                "toObjectTypeId": target.object_type_id,
                "name": body.get("name") or f"{ot.name.upper()}_TO_{target.name.upper()}",
                "id": str(t.type_id),
                "createdAt": ot.updated_at,
                "updatedAt": ot.updated_at,
            },
            201,
        )

    out: list[Route] = []
    for prefix in PREFIXES:
        out += [
            Route(prefix, collection, methods=["GET", "POST"]),
            Route(prefix + "/{objectType}/associations", association, methods=["POST"]),
            Route(prefix + "/{objectType}", item, methods=["GET", "PATCH", "DELETE"]),
        ]
    return out
