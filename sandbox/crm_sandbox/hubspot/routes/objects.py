"""``/crm/v3/objects/{objectType}``: list, create, read, update, archive, merge records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.routing import Route

from crm_sandbox.hubspot.errors import ValidationError
from crm_sandbox.hubspot.records import object_not_found
from crm_sandbox.hubspot.routes.common import (
    body_object,
    bool_param,
    endpoint,
    int_param,
    list_param,
    no_content,
    reply,
)
from crm_sandbox.hubspot.standard_types import singular_name

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.hubspot.models import ObjectType
    from crm_sandbox.hubspot.records import Record
    from crm_sandbox.hubspot.service import HubSpotService

BASE = "/crm/v3/objects/{objectType}"
MAX_PAGE = 100


def with_associations(
    svc: HubSpotService, ot: ObjectType, record: Record, wire: dict[str, Any], targets: list[str]
) -> dict[str, Any]:
    """The v3 ``associations=`` read parameter: ``{"contacts":{"results":[{id,type}]}}``.

    One result per association type, named as HubSpot names v3 types
    (``company_to_contact``, ``contact_to_company_unlabeled``; see
    ``AssociationTypes.v3_name``). The key is the target's API name (a custom object's
    ``name``; what HubSpot keys custom objects by is unverified).
    """
    found: dict[str, Any] = {}
    from_name = singular_name(ot.object_type_id, ot.name)
    for ref in targets:
        other = svc.catalog.find(ref)
        if other is None:
            continue
        to_name = singular_name(other.object_type_id, other.name)
        items, _ = svc.associations.read(ot, record.id, other)
        results = []
        for item in items:
            for spec in item["associationTypes"]:
                t = svc.assoc_types.get(spec["typeId"])
                if t is None:
                    continue
                kind = svc.assoc_types.v3_name(t, from_name, to_name)
                results.append({"id": str(item["toObjectId"]), "type": kind})
        if results:
            found[other.name] = {"results": results}
    if found:
        wire["associations"] = found
    return wire


def routes(svc: HubSpotService) -> list[Route]:
    catalog, records = svc.catalog, svc.records

    @endpoint
    async def collection(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        if request.method == "POST":
            body = await body_object(request)
            clean = records.validate(ot, body.get("properties"), creating=True)
            with svc.write_lock, svc.store.db.transaction() as conn:
                record = records.insert(conn, ot, clean)
                svc.associations.on_create(conn, ot, record, body.get("associations") or [])
            wire = record.wire(records.selected(ot, None))
            location = f"{request.base_url}crm/v3/objects/{ot.object_type_id}/{record.id}"
            return reply(wire, 201, {"Location": location})
        limit = int_param(request, "limit", 10)
        if limit < 1 or limit > MAX_PAGE:
            limit = min(max(limit, 1), MAX_PAGE)  # HubSpot clamps list limits to 100
        after_raw = request.query_params.get("after")
        try:
            after = int(after_raw) if after_raw else None
        except ValueError:
            raise ValidationError(f"Invalid after cursor {after_raw!r} (unverified)") from None
        page, next_after = records.page(ot, limit, after, bool_param(request, "archived"))
        names = records.selected(ot, list_param(request, "properties"))
        targets = list_param(request, "associations")
        history = list_param(request, "propertiesWithHistory")
        results = []
        for r in page:
            wire = r.wire(names)
            if history:
                wire["propertiesWithHistory"] = records.with_history(r, history)
            results.append(with_associations(svc, ot, r, wire, targets))
        body: dict[str, Any] = {"results": results}
        if next_after is not None:
            params = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
            params.append(("after", str(next_after)))
            link = f"{request.base_url}{request.url.path.lstrip('/')}?{urlencode(params)}"
            body["paging"] = {"next": {"after": str(next_after), "link": link}}
        return reply(body)

    @endpoint
    async def item(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        ref = request.path_params["objectId"]
        id_property = request.query_params.get("idProperty")
        if request.method == "DELETE":
            with svc.write_lock:
                with svc.store.db.reading() as conn:
                    record = records.find(conn, ot, ref, id_property)
                if record is not None:
                    records.archive(ot, [record.id])
            return no_content()
        if request.method == "PATCH":
            body = await body_object(request)
            with svc.write_lock:
                record = records.update(ot, ref, id_property, body.get("properties"))
            return reply(
                record.wire(
                    records.selected(ot, None)
                    + [n for n in (body.get("properties") or {}) if n not in ot.default_properties]
                )
            )
        archived = bool_param(request, "archived")
        with svc.store.db.reading() as conn:
            record = records.find(conn, ot, ref, id_property, archived)
            if record is None and id_property in (None, "hs_object_id") and not archived:
                moved = svc.merges.survivor(conn, ot, ref)  # merged away: the merged record
                record = records.get(conn, ot, moved) if moved is not None else None
        if record is None:
            raise object_not_found(ref)
        names = records.selected(ot, list_param(request, "properties"))
        wire = record.wire(names)
        history = list_param(request, "propertiesWithHistory")
        if history:
            wire["propertiesWithHistory"] = records.with_history(record, history)
        return reply(with_associations(svc, ot, record, wire, list_param(request, "associations")))

    @endpoint
    async def merge(request: Request) -> Response:
        ot = catalog.resolve(request.path_params["objectType"])
        body = await body_object(request)
        with svc.write_lock:
            record = svc.merges.merge(ot, body.get("primaryObjectId"), body.get("objectIdToMerge"))
        return reply(record.wire(records.selected(ot, None)))

    return [
        Route(BASE + "/merge", merge, methods=["POST"]),
        Route(BASE, collection, methods=["GET", "POST"]),
        Route(BASE + "/{objectId}", item, methods=["GET", "PATCH", "DELETE"]),
    ]
