"""v4 associations: record-level PUT/GET/DELETE, batch create/read/archive, labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from crm_sandbox.hubspot.errors import HubSpotError, ObjectNotFound, ValidationError
from crm_sandbox.hubspot.records import ASSOCIATION_READ_MAX, check_batch_size
from crm_sandbox.hubspot.routes.common import (
    batch_reply,
    body_json,
    body_object,
    endpoint,
    int_param,
    no_content,
    reply,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.hubspot.service import HubSpotService

OBJ = "/crm/v4/objects/{objectType}/{objectId}/associations"
PAIR = "/crm/v4/associations/{fromObjectType}/{toObjectType}"


def routes(svc: HubSpotService) -> list[Route]:
    catalog, assoc, types = svc.catalog, svc.associations, svc.assoc_types

    def pair(request: Request) -> tuple[Any, Any]:
        return (
            catalog.resolve(request.path_params["fromObjectType"]),
            catalog.resolve(request.path_params["toObjectType"]),
        )

    def record_id(request: Request, key: str = "objectId") -> int:
        try:
            return int(request.path_params[key])
        except ValueError:
            raise ValidationError(f"{request.path_params[key]} is not a valid object id") from None

    @endpoint
    async def put_default(request: Request) -> Response:
        a = catalog.resolve(request.path_params["objectType"])
        b = catalog.resolve(request.path_params["toObjectType"])
        started = svc.now()
        with svc.write_lock:
            results, errors = assoc.batch_default(
                a, b, [(request.path_params["objectId"], request.path_params["toObjectId"])]
            )
        if errors:
            raise ValidationError(errors[0]["message"])
        return batch_reply(results, [], 200, started, svc.now())

    @endpoint
    async def labelled(request: Request) -> Response:
        a = catalog.resolve(request.path_params["objectType"])
        b = catalog.resolve(request.path_params["toObjectType"])
        from_id, to_id = record_id(request), record_id(request, "toObjectId")
        if request.method == "DELETE":
            with svc.write_lock:
                assoc.archive(a, from_id, b, [to_id])
            return no_content()
        specs = await body_json(request)
        if not isinstance(specs, list):
            raise ValidationError("Invalid input JSON: expected a list of association types")
        with svc.write_lock, svc.store.db.transaction() as conn:
            wire = assoc.labelled(conn, a, from_id, b, to_id, specs)
        return reply(wire, 201)

    @endpoint
    async def list_for(request: Request) -> Response:
        a = catalog.resolve(request.path_params["objectType"])
        b = catalog.resolve(request.path_params["toObjectType"])
        limit = min(max(int_param(request, "limit", 500), 1), 500)
        items, next_after = assoc.read(
            a, record_id(request), b, int_param(request, "after", 0), limit
        )
        body: dict[str, Any] = {"results": items}
        if next_after is not None:
            body["paging"] = {"next": {"after": str(next_after)}}
        return reply(body)

    @endpoint
    async def batch_create(request: Request) -> Response:
        a, b = pair(request)
        inputs = check_batch_size((await body_object(request)).get("inputs"))
        started = svc.now()
        with svc.write_lock:
            results, errors = assoc.batch_create(a, b, inputs)
        return batch_reply(results, errors, 201, started, svc.now())

    @endpoint
    async def batch_default(request: Request) -> Response:
        a, b = pair(request)
        inputs = check_batch_size((await body_object(request)).get("inputs"))
        started = svc.now()
        with svc.write_lock:
            results, errors = assoc.batch_default(
                a,
                b,
                [((i.get("from") or {}).get("id"), (i.get("to") or {}).get("id")) for i in inputs],
            )
        return batch_reply(results, errors, 200, started, svc.now())

    @endpoint
    async def batch_read(request: Request) -> Response:
        a, b = pair(request)
        inputs = check_batch_size((await body_object(request)).get("inputs"), ASSOCIATION_READ_MAX)
        started = svc.now()
        refs = [str(entry.get("id")) for entry in inputs]
        # Inputs from the start are read together (two queries); a later page per input.
        first = [
            int(r)
            for r, e in zip(refs, inputs, strict=True)
            if r.isascii() and r.isdigit() and not e.get("after")
        ]
        live, pages = assoc.read_many(a, first, b)

        def page_of(ref: str, after: int) -> tuple[list[dict[str, Any]], int | None] | None:
            if not after and ref.isascii() and ref.isdigit():
                return pages[int(ref)] if int(ref) in live else None
            with svc.store.db.reading() as conn:
                record = svc.records.get(conn, a, ref)
            return None if record is None else assoc.read(a, record.id, b, after)

        results, errors = [], []
        for ref, entry in zip(refs, inputs, strict=True):
            page = page_of(ref, int(entry.get("after") or 0))
            if page is None:
                errors.append(
                    ObjectNotFound(
                        f"Could not get some {a.singular_upper} objects, they may be deleted or"
                        " not exist. Check that ids are valid."
                    ).as_batch_error({"ids": [ref]})
                )
                continue
            items, next_after = page
            if not items:
                errors.append(
                    HubSpotError(
                        f"No {b.name} is associated with {a.name} {ref}.",
                        sub_category="crm.associations.NO_ASSOCIATIONS_FOUND",
                    ).as_batch_error({"fromObjectId": [ref]})
                )
                continue
            item: dict[str, Any] = {"from": {"id": ref}, "to": items}
            if next_after is not None:
                item["paging"] = {"next": {"after": str(next_after)}}
            results.append(item)
        return batch_reply(results, errors, 200, started, svc.now())

    @endpoint
    async def batch_archive(request: Request) -> Response:
        a, b = pair(request)
        inputs = check_batch_size((await body_object(request)).get("inputs"))
        with svc.write_lock:
            for entry in inputs:
                try:
                    from_id = int((entry.get("from") or {}).get("id"))
                    to_ids = [int(t.get("id")) for t in entry.get("to") or []]
                except (TypeError, ValueError):
                    continue
                assoc.archive(a, from_id, b, to_ids)
        return no_content()

    @endpoint
    async def batch_labels_archive(request: Request) -> Response:
        a, b = pair(request)
        inputs = check_batch_size((await body_object(request)).get("inputs"))
        with svc.write_lock:
            for entry in inputs:
                try:
                    from_id = int((entry.get("from") or {}).get("id"))
                    to_id = int((entry.get("to") or {}).get("id"))
                    type_ids = [int(t.get("associationTypeId")) for t in entry.get("types") or []]
                except (TypeError, ValueError):
                    continue
                assoc.archive(a, from_id, b, [to_id], type_ids)
        return no_content()

    @endpoint
    async def labels(request: Request) -> Response:
        a, b = pair(request)
        if request.method == "GET":
            return reply(
                {
                    "results": [
                        t.to_wire() for t in types.between(a.object_type_id, b.object_type_id)
                    ]
                }
            )
        body = await body_object(request)
        if request.method == "PUT":
            with svc.write_lock:
                types.update_label(
                    a.object_type_id,
                    b.object_type_id,
                    int(body.get("associationTypeId") or 0),
                    str(body.get("label") or ""),
                    body.get("inverseLabel"),
                )
            return no_content()
        missing = [k for k in ("label", "name") if not body.get(k)]
        if missing:
            raise ValidationError(f"Some required fields were not set: [{', '.join(missing)}]")
        with svc.write_lock:
            made = types.create_label(
                a.object_type_id,
                b.object_type_id,
                str(body["label"]),
                str(body["name"]),
                body.get("inverseLabel"),
            )
        return reply({"results": [t.to_wire() for t in made]})

    @endpoint
    async def delete_label(request: Request) -> Response:
        a, b = pair(request)
        with svc.write_lock:
            types.delete_label(
                a.object_type_id, b.object_type_id, record_id(request, "associationTypeId")
            )
        return no_content()

    return [
        Route(OBJ + "/default/{toObjectType}/{toObjectId}", put_default, methods=["PUT"]),
        Route(OBJ + "/{toObjectType}/{toObjectId}", labelled, methods=["PUT", "DELETE"]),
        Route(OBJ + "/{toObjectType}", list_for, methods=["GET"]),
        Route(PAIR + "/batch/create", batch_create, methods=["POST"]),
        Route(PAIR + "/batch/associate/default", batch_default, methods=["POST"]),
        Route(PAIR + "/batch/read", batch_read, methods=["POST"]),
        Route(PAIR + "/batch/archive", batch_archive, methods=["POST"]),
        Route(PAIR + "/batch/labels/archive", batch_labels_archive, methods=["POST"]),
        Route(PAIR + "/labels", labels, methods=["GET", "POST", "PUT"]),
        Route(PAIR + "/labels/{associationTypeId}", delete_label, methods=["DELETE"]),
    ]
