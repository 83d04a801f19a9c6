"""SOSL resources: ``GET /search?q=FIND {...}`` and ``GET|POST /parameterizedSearch``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.routes._common import PREFIX, json_object, sf_json, version
from crm_sandbox.salesforce.soql import SoqlError
from crm_sandbox.salesforce.sosl import ast, parse_search, parse_term, run_search

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.salesforce.service import SalesforceService

GROUPS = ("ALL", "NAME", "EMAIL", "PHONE", "SIDEBAR")


def _as_error(exc: SoqlError) -> SalesforceError:
    return SalesforceError(exc.status, exc.error_code, exc.message)


def _fields(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and value:
        return tuple(str(v) for v in value)
    return None


def _tail(where: Any, order_by: Any, limit: Any) -> str:
    parts = []
    if where:
        parts.append(f"WHERE {where}")
    if order_by:
        parts.append(f"ORDER BY {order_by}")
    if limit not in (None, ""):
        parts.append(f"LIMIT {int(limit)}")
    return " ".join(parts)


def parameterized(spec: dict[str, Any]) -> ast.Search:
    """parameterizedSearch's JSON (or GET parameters, reshaped) as a Search.

    Keys: ``q``, ``fields``, ``sobjects: [{name, fields, where, orderBy, limit}]``, ``in``,
    ``overallLimit``, ``defaultLimit``.
    """
    q = spec.get("q")
    if not isinstance(q, str) or not q.strip():
        # (unverified) wording of a missing q
        raise SalesforceError(400, "MISSING_ARGUMENT", "q: Search term is required")
    group = str(spec.get("in") or "ALL").upper()
    if group not in GROUPS:
        raise SalesforceError(400, "INVALID_SEARCH_SCOPE", f"Invalid scope: {spec.get('in')}")
    default_fields = _fields(spec.get("fields"))
    default_limit = spec.get("defaultLimit")
    targets: tuple[ast.Target, ...] | None = None
    if spec.get("sobjects"):
        if not isinstance(spec["sobjects"], list):
            raise SalesforceError(400, "JSON_PARSER_ERROR", "sobjects must be an array")
        entries = []
        for entry in spec["sobjects"]:
            if not isinstance(entry, dict) or not entry.get("name"):
                raise SalesforceError(400, "JSON_PARSER_ERROR", "Each sobject needs a name")
            limit = entry.get("limit", default_limit)
            tail = _tail(entry.get("where"), entry.get("orderBy"), limit)
            fields = _fields(entry.get("fields")) or default_fields
            entries.append(ast.Target(str(entry["name"]), fields, tail))
        targets = tuple(entries)
    try:
        term = parse_term(q)
    except SoqlError as exc:
        raise _as_error(exc) from None
    limit = spec.get("overallLimit")
    return ast.Search(term, group, targets, int(limit) if limit not in (None, "") else None)


def _from_query_params(request: Request) -> dict[str, Any]:
    params = request.query_params
    spec: dict[str, Any] = {
        k: params.get(k) for k in ("q", "fields", "in", "overallLimit", "defaultLimit")
    }
    names = params.getlist("sobject")
    if names:
        spec["sobjects"] = [
            {
                "name": name,
                "fields": params.get(f"{name}.fields"),
                "where": params.get(f"{name}.where"),
                "orderBy": params.get(f"{name}.orderBy"),
                "limit": params.get(f"{name}.limit"),
            }
            for name in names
        ]
    return spec


def routes(service: SalesforceService) -> list[Route]:
    store = service.store

    def run(search: ast.Search, request: Request) -> Response:
        try:
            records = run_search(
                search, store.db, store.schema, service.ctx.clock.now(), version(request)
            )
        except SoqlError as exc:
            raise _as_error(exc) from None
        return sf_json({"searchRecords": records})

    def search(request: Request) -> Response:
        text = request.query_params.get("q")
        if not text:
            # (unverified) Salesforce's reply to a missing q
            raise SalesforceError(400, "MALFORMED_SEARCH", "No search term found.")
        try:
            parsed = parse_search(text)
        except SoqlError as exc:
            raise _as_error(exc) from None
        return run(parsed, request)

    def parameterized_get(request: Request) -> Response:
        return run(parameterized(_from_query_params(request)), request)

    async def parameterized_post(request: Request) -> Response:
        spec = await json_object(request)
        return await run_in_threadpool(run, parameterized(spec), request)

    return [
        Route(PREFIX + "/search", search, methods=["GET"]),
        Route(PREFIX + "/parameterizedSearch", parameterized_get, methods=["GET"]),
        Route(PREFIX + "/parameterizedSearch", parameterized_post, methods=["POST"]),
    ]
