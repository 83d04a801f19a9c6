"""sObject rows: create, retrieve, update, delete, and upsert / read by external id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from crm_sandbox.salesforce.errors import SalesforceError, not_found
from crm_sandbox.salesforce.routes._common import (
    PREFIX,
    json_object,
    no_content,
    raise_failed,
    sf_json,
    version,
)
from crm_sandbox.salesforce.store import MultipleMatches
from crm_sandbox.salesforce.values import normalize_id

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.salesforce.schema import ObjectDef
    from crm_sandbox.salesforce.service import SalesforceService
    from crm_sandbox.salesforce.store import SalesforceStore

SOBJECT = PREFIX + "/sobjects/{sobject}"


def _ext_missing(name: str) -> SalesforceError:
    return not_found(f"Provided external ID field does not exist or is not accessible: {name}")


def live_row(store: SalesforceStore, obj: ObjectDef, raw_id: str) -> dict[str, Any]:
    """The live row ``raw_id`` of ``obj``, or the 404 Salesforce answers."""
    ident = normalize_id(raw_id)
    if ident is None:
        # /sobjects/{O}/{x} with x not an id reads as an external-id field name
        raise _ext_missing(raw_id)
    row = store.fetch_row(obj, ident) if ident[:3] == obj.key_prefix else None
    if row is None:
        raise not_found()
    if row["IsDeleted"]:
        raise SalesforceError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
    return row


def multiple_choices(obj: ObjectDef, ids: list[str], ver: str) -> Response:
    """HTTP 300: the URLs of every matching record."""
    return sf_json([f"/services/data/v{ver}/sobjects/{obj.name}/{i}" for i in ids], 300)


def routes(service: SalesforceService) -> list[Route]:
    store = service.store

    async def create(request: Request) -> Response:
        obj = store.object(request.path_params["sobject"])
        result = store.create(obj.name, await json_object(request))
        raise_failed(result)
        return sf_json(result.as_json(), 201)

    async def retrieve(request: Request) -> Response:
        obj = store.object(request.path_params["sobject"])
        fields = store.resolve_fields(obj, request.query_params.get("fields"))
        row = live_row(store, obj, request.path_params["record_id"])
        return sf_json(store.wire_record(obj, row, version(request), fields))

    async def update(request: Request) -> Response:
        obj = store.object(request.path_params["sobject"])
        row = live_row(store, obj, request.path_params["record_id"])
        body = await json_object(request)
        raise_failed(store.update(obj.name, row["Id"], body))
        return no_content()

    async def delete(request: Request) -> Response:
        obj = store.object(request.path_params["sobject"])
        row = live_row(store, obj, request.path_params["record_id"])
        if not obj.deletable:
            raise SalesforceError(
                400, "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id"
            )
        raise_failed(store.delete(row["Id"]))
        return no_content()

    def _by_field(request: Request) -> tuple[ObjectDef, list[dict[str, Any]]]:
        obj = store.object(request.path_params["sobject"])
        name = request.path_params["field"]
        fdef = obj.field(name)
        if fdef is None or not (fdef.id_lookup or fdef.external_id):
            raise _ext_missing(name)
        return obj, store.find_by_field(obj, fdef, request.path_params["value"])

    async def get_by_external(request: Request) -> Response:
        obj, rows = _by_field(request)
        fields = store.resolve_fields(obj, request.query_params.get("fields"))
        if len(rows) > 1:
            return multiple_choices(obj, [r["Id"] for r in rows], version(request))
        if not rows:
            raise not_found()
        return sf_json(store.wire_record(obj, rows[0], version(request), fields))

    async def upsert(request: Request) -> Response:
        obj = store.object(request.path_params["sobject"])
        body = await json_object(request)
        if request.query_params.get("updateOnly", "").lower() == "true":
            # updateOnly: a value no record holds is not created; the 404 is the resource's
            # own "not found" (unverified: the body Salesforce sends in this case).
            fdef = store.upsert_field(obj, request.path_params["field"])
            if not store.find_by_field(obj, fdef, request.path_params["value"]):
                raise not_found()
        try:
            result = store.upsert(
                obj.name, request.path_params["field"], request.path_params["value"], body
            )
        except MultipleMatches as many:
            return multiple_choices(obj, many.ids, version(request))
        raise_failed(result)
        if result.created:
            return sf_json(result.as_json(), 201)
        if float(version(request)) < 46.0:  # before v46.0 an update answered 204 (unverified)
            return no_content()
        return sf_json(result.as_json(), 200)

    async def delete_by_external(request: Request) -> Response:
        obj, rows = _by_field(request)
        if len(rows) > 1:
            return multiple_choices(obj, [r["Id"] for r in rows], version(request))
        if not rows:
            raise not_found()
        raise_failed(store.delete(rows[0]["Id"]))
        return no_content()

    return [
        Route(SOBJECT, create, methods=["POST"]),
        Route(SOBJECT + "/{record_id}", retrieve, methods=["GET"]),
        Route(SOBJECT + "/{record_id}", update, methods=["PATCH"]),
        Route(SOBJECT + "/{record_id}", delete, methods=["DELETE"]),
        Route(SOBJECT + "/{field}/{value}", get_by_external, methods=["GET"]),
        Route(SOBJECT + "/{field}/{value}", upsert, methods=["PATCH"]),
        Route(SOBJECT + "/{field}/{value}", delete_by_external, methods=["DELETE"]),
    ]
