"""sObject Collections (``/composite/sobjects``): up to 200 records per call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from crm_sandbox.salesforce.errors import SalesforceError, json_parser_error
from crm_sandbox.salesforce.routes._common import PREFIX, json_object, sf_json, version
from crm_sandbox.salesforce.values import normalize_id

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.salesforce.service import SalesforceService
    from crm_sandbox.salesforce.store import SaveResult

COLLECTION = PREFIX + "/composite/sobjects"
MAX_RECORDS = 200
MAX_RETRIEVE = 2000


def _too_many(limit: int = MAX_RECORDS) -> SalesforceError:
    return SalesforceError(
        400,
        "EXCEEDED_ID_LIMIT",
        f"record limit reached. cannot submit more than {limit} records into this call",
    )


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


async def _records(request: Request) -> tuple[list[dict[str, Any]], bool]:
    body = await json_object(request)
    records = body.get("records")
    if not isinstance(records, list):
        raise json_parser_error("records is required and must be an array")
    if len(records) > MAX_RECORDS:
        raise _too_many()
    return records, _flag(body.get("allOrNone", False))


def _reply(results: list[SaveResult]) -> Response:
    return sf_json([r.as_json() for r in results])


def routes(service: SalesforceService) -> list[Route]:
    store = service.store

    async def create(request: Request) -> Response:
        records, all_or_none = await _records(request)
        for record in records:
            if isinstance(record, dict) and (record.get("id") or record.get("Id")):
                raise SalesforceError(
                    400, "INVALID_FIELD", "Can't specify an Id in a create call", []
                )
        return _reply(store.create_many(None, records, all_or_none=all_or_none))

    async def update(request: Request) -> Response:
        records, all_or_none = await _records(request)
        return _reply(store.update_many(None, records, all_or_none=all_or_none))

    async def upsert(request: Request) -> Response:
        obj = store.object(request.path_params["sobject"])
        fdef = store.upsert_field(obj, request.path_params["field"])
        records, all_or_none = await _records(request)
        return _reply(store.upsert_many(obj.name, fdef.name, records, all_or_none=all_or_none))

    async def delete(request: Request) -> Response:
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        if not ids:
            raise SalesforceError(400, "MISSING_ARGUMENT", "ids parameter is required")
        if len(ids) > MAX_RECORDS:
            raise _too_many()
        all_or_none = _flag(request.query_params.get("allOrNone", "false"))
        return _reply(store.delete_many(ids, all_or_none=all_or_none))

    def _retrieve(request: Request, ids: list[str], fields_spec: str | None) -> Response:
        obj = store.object(request.path_params["sobject"])
        if not fields_spec:
            raise SalesforceError(400, "MISSING_ARGUMENT", "fields parameter is required")
        fields = store.resolve_fields(obj, fields_spec)
        out: list[dict[str, Any] | None] = []
        for raw in ids:
            ident = normalize_id(raw)
            row = store.fetch_row(obj, ident) if ident and ident[:3] == obj.key_prefix else None
            live = row is not None and not row["IsDeleted"]
            out.append(store.wire_record(obj, row, version(request), fields) if live else None)
        return sf_json(out)

    async def retrieve_get(request: Request) -> Response:
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        if len(ids) > MAX_RECORDS * 4:
            raise _too_many(MAX_RECORDS * 4)
        return _retrieve(request, ids, request.query_params.get("fields"))

    async def retrieve_post(request: Request) -> Response:
        body = await json_object(request)
        ids, fields = body.get("ids") or [], body.get("fields") or []
        if len(ids) > MAX_RETRIEVE:
            raise _too_many(MAX_RETRIEVE)
        return _retrieve(request, [str(i) for i in ids], ",".join(map(str, fields)))

    return [
        Route(COLLECTION, create, methods=["POST"]),
        Route(COLLECTION, update, methods=["PATCH"]),
        Route(COLLECTION, delete, methods=["DELETE"]),
        Route(COLLECTION + "/{sobject}", retrieve_get, methods=["GET"]),
        Route(COLLECTION + "/{sobject}", retrieve_post, methods=["POST"]),
        Route(COLLECTION + "/{sobject}/{field}", upsert, methods=["PATCH"]),
    ]
