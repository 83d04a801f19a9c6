"""REST query resources: ``/query``, ``/queryAll`` and their ``nextRecordsUrl`` locators."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse
from starlette.routing import Route

from crm_sandbox.salesforce.cursors import CursorStore, Page, parse_batch_size
from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.soql import SoqlError

if TYPE_CHECKING:
    from starlette.requests import Request

    from crm_sandbox.salesforce.service import SalesforceService

BASE = "/services/data/v{version}"


def cursor_store(service: SalesforceService) -> CursorStore:
    """The service's one CursorStore (created on first use, shared by query and bulk)."""
    store = getattr(service, "_soql_cursors", None)
    if store is None:
        store = CursorStore(service.store.db, service.store.schema, service.ctx.clock)
        service._soql_cursors = store  # type: ignore[attr-defined]
        service.reset_hooks.append(store.reset)
    return store


def as_salesforce_error(exc: SoqlError) -> SalesforceError:
    return SalesforceError(exc.status, exc.error_code, exc.message)


def _body(page: Page, version: str) -> dict[str, Any]:
    body: dict[str, Any] = {"totalSize": page.total, "done": page.next_locator is None}
    if page.next_locator is not None:
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{page.next_locator}"
    body["records"] = page.records
    return body


def routes(service: SalesforceService) -> list[Route]:
    cursor_store(service)  # registers its reset hook with the service

    def run(request: Request, include_deleted: bool) -> JSONResponse:
        version = request.path_params["version"]
        soql = request.query_params.get("q")
        if soql is None:
            raise SalesforceError(400, "MALFORMED_QUERY", "unexpected token: <EOF>")
        batch = parse_batch_size(request.headers.get("sforce-query-options"))
        try:
            page = cursor_store(service).run(soql, include_deleted, batch, version)
        except SoqlError as exc:
            raise as_salesforce_error(exc) from None
        return JSONResponse(_body(page, version))

    def more(request: Request) -> JSONResponse:
        # Taps re-send `q` alongside the locator: it is ignored, as Salesforce does.
        version = request.path_params["version"]
        batch = parse_batch_size(request.headers.get("sforce-query-options"))
        try:
            page = cursor_store(service).more(request.path_params["locator"], batch, version)
        except SoqlError as exc:
            raise as_salesforce_error(exc) from None
        return JSONResponse(_body(page, version))

    def query(request: Request) -> JSONResponse:
        return run(request, include_deleted=False)

    def query_all(request: Request) -> JSONResponse:
        return run(request, include_deleted=True)

    return [
        Route(f"{BASE}/query", query, methods=["GET"]),
        Route(f"{BASE}/queryAll", query_all, methods=["GET"]),
        Route(f"{BASE}/query/{{locator}}", more, methods=["GET"]),
        Route(f"{BASE}/queryAll/{{locator}}", more, methods=["GET"]),
    ]
