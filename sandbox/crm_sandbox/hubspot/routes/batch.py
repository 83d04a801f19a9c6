"""``/crm/v3/objects/{objectType}/batch/{create,update,upsert,read,archive}`` (≤100 inputs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

from crm_sandbox.hubspot.records import check_batch_size, not_found_batch
from crm_sandbox.hubspot.routes.common import (
    batch_reply,
    body_object,
    bool_param,
    endpoint,
    no_content,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.hubspot.service import HubSpotService

BASE = "/crm/v3/objects/{objectType}/batch"


def routes(svc: HubSpotService) -> list[Route]:
    catalog, records = svc.catalog, svc.records

    @endpoint
    async def create(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        inputs = check_batch_size((await body_object(request)).get("inputs"))
        started = svc.now()
        with svc.write_lock:
            results, errors = records.batch_create(ot, inputs, svc.associations.on_create)
        return batch_reply(results, errors, 201, started, svc.now())

    def updater(upsert: bool):
        @endpoint
        async def handler(request: Request) -> Response:
            ot = catalog.resolve(request.path_params["objectType"])
            inputs = check_batch_size((await body_object(request)).get("inputs"))
            started = svc.now()
            with svc.write_lock:
                results, errors = records.batch_update(ot, inputs, upsert)
            return batch_reply(results, errors, 200, started, svc.now())

        return handler

    @endpoint
    async def read(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        body = await body_object(request)
        inputs = check_batch_size(body.get("inputs"))
        started = svc.now()
        id_property = body.get("idProperty")
        if id_property:
            records.require_unique(ot, str(id_property))
        found, missing = records.batch_read(
            ot, [str(i.get("id")) for i in inputs], id_property, [], bool_param(request, "archived")
        )
        names = records.selected(ot, body.get("properties") or [])
        history = body.get("propertiesWithHistory") or []
        results = []
        for record in found:
            wire = record.wire(names)
            if history:
                wire["propertiesWithHistory"] = records.with_history(record, history)
            results.append(wire)
        errors = [not_found_batch(ot, missing)] if missing else []
        return batch_reply(results, errors, 200, started, svc.now())

    @endpoint
    async def archive(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        inputs = check_batch_size((await body_object(request)).get("inputs"))
        ids = []
        for entry in inputs:
            try:
                ids.append(int(entry.get("id")))
            except (TypeError, ValueError):
                continue
        with svc.write_lock:
            records.archive(ot, ids)
        return no_content()

    return [
        Route(BASE + "/create", create, methods=["POST"]),
        Route(BASE + "/update", updater(False), methods=["POST"]),
        Route(BASE + "/upsert", updater(True), methods=["POST"]),
        Route(BASE + "/read", read, methods=["POST"]),
        Route(BASE + "/archive", archive, methods=["POST"]),
    ]
