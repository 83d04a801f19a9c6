"""``/crm/v3/properties/{objectType}``: properties, batch create/read/archive, groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

from crm_sandbox.hubspot.errors import HubSpotError, ValidationError
from crm_sandbox.hubspot.records import check_batch_size
from crm_sandbox.hubspot.routes.common import (
    batch_reply,
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

BASE = "/crm/v3/properties/{objectType}"


def routes(svc: HubSpotService) -> list[Route]:
    catalog, props = svc.catalog, svc.props

    @endpoint
    async def collection(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        if request.method == "POST":
            body = await body_object(request)
            with svc.write_lock:
                prop = props.create(ot, body)
            return reply(prop.to_wire(), 201)
        archived = bool_param(request, "archived")
        return reply({"results": [p.to_wire() for p in props.all(ot, archived)]})

    @endpoint
    async def item(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        name = request.path_params["propertyName"]
        if request.method == "DELETE":
            with svc.write_lock:
                props.archive(ot, name)
            return no_content()
        if request.method == "PATCH":
            body = await body_object(request)
            with svc.write_lock:
                return reply(props.update(ot, name, body).to_wire())
        return reply(props.get(ot, name, bool_param(request, "archived")).to_wire())

    @endpoint
    async def batch_create(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        inputs = check_batch_size((await body_object(request)).get("inputs"))
        started = svc.now()
        with svc.write_lock:
            made, errors = props.create_many(ot, inputs)
        return batch_reply([p.to_wire() for p in made], errors, 201, started, svc.now())

    @endpoint
    async def batch_read(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        body = await body_object(request)
        inputs = check_batch_size(body.get("inputs"))
        archived = bool(body.get("archived", False))
        started = svc.now()
        found, errors = [], []
        for entry in inputs:
            try:
                found.append(props.get(ot, str(entry.get("name")), archived).to_wire())
            except HubSpotError as exc:
                errors.append(exc.as_batch_error({"name": [str(entry.get("name"))]}))
        return batch_reply(found, errors, 200, started, svc.now())

    @endpoint
    async def batch_archive(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        inputs = check_batch_size((await body_object(request)).get("inputs"))
        with svc.write_lock:
            for entry in inputs:
                try:
                    props.archive(ot, str(entry.get("name")))
                except HubSpotError:
                    continue  # HubSpot's batch archive ignores names it cannot archive
        return no_content()

    @endpoint
    async def groups(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        if request.method == "POST":
            body = await body_object(request)
            with svc.write_lock:
                return reply(props.create_group(ot, body).to_wire(), 201)
        return reply({"results": [g.to_wire() for g in props.groups(ot)]})

    @endpoint
    async def group(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        name = request.path_params["groupName"]
        if request.method == "DELETE":
            with svc.write_lock:
                props.archive_group(ot, name)
            return no_content()
        if request.method == "PATCH":
            body = await body_object(request)
            if not body:
                raise ValidationError("Nothing to update (unverified wording)")
            with svc.write_lock:
                return reply(props.update_group(ot, name, body).to_wire())
        return reply(props.group(ot, name).to_wire())

    return [
        Route(BASE + "/batch/create", batch_create, methods=["POST"]),
        Route(BASE + "/batch/read", batch_read, methods=["POST"]),
        Route(BASE + "/batch/archive", batch_archive, methods=["POST"]),
        Route(BASE + "/groups", groups, methods=["GET", "POST"]),
        Route(BASE + "/groups/{groupName}", group, methods=["GET", "PATCH", "DELETE"]),
        Route(BASE, collection, methods=["GET", "POST"]),
        Route(BASE + "/{propertyName}", item, methods=["GET", "PATCH", "DELETE"]),
    ]
