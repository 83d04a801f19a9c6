"""The Salesforce API sandbox: model (store, schema, sessions, limits) plus its routes."""

from __future__ import annotations

import asyncio
import importlib
import logging
import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route, Router

from crm_sandbox.core.db import Database
from crm_sandbox.core.fallback import UnknownPathRoute
from crm_sandbox.core.headers import canonical_name
from crm_sandbox.core.service import ApiService, CallInfo, SandboxContext
from crm_sandbox.salesforce.auth import Sessions, bearer_token
from crm_sandbox.salesforce.errors import NOT_FOUND_MESSAGE, SalesforceError
from crm_sandbox.salesforce.limits import OrgLimits
from crm_sandbox.salesforce.org import default_schema
from crm_sandbox.salesforce.routes.versions import NEWEST, OLDEST, RETIRED_FROM
from crm_sandbox.salesforce.seed import seed_org
from crm_sandbox.salesforce.store import SalesforceStore

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.routing import BaseRoute

log = logging.getLogger("crm_sandbox.salesforce")

# Order matters: fixed paths before the /sobjects/{O}/{id} patterns of `records`.
ROUTE_MODULES: tuple[str, ...] = (
    "crm_sandbox.salesforce.routes.oauth",
    "crm_sandbox.salesforce.routes.identity",
    "crm_sandbox.salesforce.routes.versions",
    "crm_sandbox.salesforce.routes.limits",
    "crm_sandbox.salesforce.routes.describe",
    "crm_sandbox.salesforce.routes.replication",
    "crm_sandbox.salesforce.routes.composite",
    "crm_sandbox.salesforce.routes.collections",
    "crm_sandbox.salesforce.routes.batch",
    "crm_sandbox.salesforce.routes.soap",
    "crm_sandbox.salesforce.routes.records",
    "crm_sandbox.salesforce.routes.query",
    "crm_sandbox.salesforce.routes.search",
    "crm_sandbox.salesforce.routes.bulk",
    "crm_sandbox.salesforce.routes.async_bulk",
)
DATA_PREFIX = "/services/data/v"
_VERSION = re.compile(r"/services/data/v(\d+)\.(\d+)(?:/|$)")


def _version_error(path: str) -> SalesforceError | None:
    """None when the path's ``vXX.X`` is one ``GET /services/data/`` lists; else the
    refusal: 410 for a retired version, 404 for one the org never had (not yet released,
    or no such number)."""
    found = _VERSION.match(path)
    if found and found[2] == "0":
        major = int(found[1])
        if OLDEST <= major <= NEWEST:
            return None
        if RETIRED_FROM <= major < OLDEST:
            # Salesforce documents 410 GONE for a retired version; the body's errorCode
            # and message are (unverified).
            return SalesforceError(
                410, "GONE", "The requested resource has been retired or removed."
            )
    # (unverified: whether the call is counted)
    return SalesforceError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)


# Header names whose Salesforce casing is not plain title case (Content-Type,
# Sforce-Locator and Sforce-Limit-Info are).
_HEADER_CASE = {"sforce-numberofrecords": "Sforce-NumberOfRecords", "etag": "ETag"}
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def error_response(error: SalesforceError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


def unknown_exception() -> JSONResponse:
    code = secrets.randbelow(10**9)
    return JSONResponse(
        [
            {
                "errorCode": "UNKNOWN_EXCEPTION",
                "message": "An unexpected error occurred. Please include this ErrorId if you "
                f"contact support: {code}-{secrets.randbelow(10**5)} ({-code})",
            }
        ],
        status_code=500,
    )


INLINE: ContextVar[bool] = ContextVar("salesforce_inline", default=False)
"""Set while a composite request runs its subrequests in its own thread (which holds the
database lock for allOrNone): sync endpoints then run in that thread, not the pool. A route
composite can reach must therefore not hand work to the thread pool itself."""


def _guard(endpoint: Callable[..., Any]) -> Callable[[Request], Any]:
    """The one exception handler: SalesforceError → its body; anything else → 500."""

    async def guarded(request: Request) -> Response:
        try:
            if asyncio.iscoroutinefunction(endpoint):
                return await endpoint(request)
            if INLINE.get():
                return endpoint(request)
            return await run_in_threadpool(endpoint, request)
        except SalesforceError as error:
            return error_response(error)
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.url.path)
            return unknown_exception()

    return guarded


def _lenient(route: Route) -> Route:
    """Accept the path with or without a trailing slash (simple-salesforce sends both)."""
    guarded = Route(route.path, _guard(route.endpoint), methods=route.methods, name=route.name)
    pattern = guarded.path_regex.pattern
    if pattern.endswith("$"):
        guarded.path_regex = re.compile(pattern[:-1].rstrip("/") + "/?$")
    return guarded


class SalesforceService(ApiService):
    """Salesforce REST API v62.0 for one org (paths under /services/)."""

    name: ClassVar[str] = "salesforce"

    def __init__(self, ctx: SandboxContext) -> None:
        super().__init__(ctx)
        self.db = Database(ctx.db_path("salesforce"))
        self.schema = default_schema()
        self.store = SalesforceStore(
            self.db,
            self.schema,
            ctx.clock,
            ctx.credentials.sf_user_id,
            refuse=lambda: ctx.dice.refuse_record(self.name),
            org_id=ctx.credentials.sf_org_id,
        )
        self.sessions = Sessions(self.db, ctx.credentials, ctx.clock)
        self.limits = OrgLimits(self.db, ctx.clock, lambda: ctx.dice.settings.sf_daily_max)
        self.reset_hooks: list[Callable[[], None]] = []
        """Extra state to drop on reset (query cursors, bulk jobs): register a callable."""
        self._routes: list[BaseRoute] | None = None
        self._router: Router | None = None

    # ---- routes ----------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        if self._routes is None:
            collected: list[BaseRoute] = []
            for module_name in ROUTE_MODULES:
                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError as missing:
                    if missing.name == module_name:
                        continue  # an optional resource not built yet
                    raise
                for route in module.routes(self):
                    collected.append(_lenient(route) if isinstance(route, Route) else route)
            collected.append(self._fallback(list(collected)))
            self._routes = collected
        return self._routes

    def router(self) -> Router:
        """The service's routes as one ASGI app (for composite subrequests)."""
        if self._router is None:
            self._router = Router(routes=self.routes())
        return self._router

    def _fallback(self, known: list[BaseRoute]) -> Route:
        """404 NOT_FOUND / 405 METHOD_NOT_ALLOWED in Salesforce's format."""

        async def fallback(request: Request) -> Response:
            allowed: list[str] = []
            for route in known:
                match, _ = route.matches(request.scope)
                if match is Match.PARTIAL and isinstance(route, Route):
                    allowed.extend(m for m in route.methods or () if m != "HEAD")
            if allowed:
                return error_response(
                    SalesforceError(
                        405,
                        "METHOD_NOT_ALLOWED",
                        f"HTTP Method '{request.method}' not allowed. Allowed are "
                        + ",".join(sorted(set(allowed))),
                    )
                )
            return error_response(SalesforceError(404, "NOT_FOUND", NOT_FOUND_MESSAGE))

        return UnknownPathRoute(fallback, "/services/{rest:path}", known)

    def owns(self, path: str) -> bool:
        return path.startswith(("/services/", "/id/"))

    def control_routes(self) -> list[BaseRoute]:
        from crm_sandbox.salesforce.routes.soap import control_routes

        return control_routes(self)

    def wire_header_name(self, name: str) -> str:
        return canonical_name(name, _HEADER_CASE)

    # ---- faults, auth and limits --------------------------------------------------------------

    def fault_response(self, kind: Literal["http429", "http500", "http503"]) -> Response:
        if kind == "http500":
            return unknown_exception()
        if kind == "http503":
            return JSONResponse(
                [
                    {
                        "errorCode": "SERVER_UNAVAILABLE",
                        "message": "Server temporarily unavailable. Please try again later.",
                    }
                ],
                status_code=503,
            )
        # Salesforce signals rate limiting with REQUEST_LIMIT_EXCEEDED (HTTP 403); the
        # status stays the one the fault dice asked for, the body is Salesforce's.
        return JSONResponse(
            [
                {
                    "message": "ConcurrentPerOrgLongTxn Limit exceeded.",
                    "errorCode": "REQUEST_LIMIT_EXCEEDED",
                }
            ],
            status_code=429,
        )

    def admit(self, call: CallInfo) -> Response | None:
        if not call.path.startswith(DATA_PREFIX):
            return None  # OAuth and the versions list need no session and are not counted
        token = bearer_token(call.headers.get("authorization"))
        if token is None or self.sessions.check(token) is None:
            return error_response(
                SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")
            )
        refused = _version_error(call.path)
        if refused is not None:
            return error_response(refused)
        if self.limits.exhausted():
            return error_response(
                SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            )
        self.limits.count()
        return None

    def response_headers(self, call: CallInfo) -> list[tuple[str, str]]:
        if call.path.startswith(DATA_PREFIX):
            return [("Sforce-Limit-Info", self.limits.limit_info())]
        return []

    # ---- state -----------------------------------------------------------------------------------

    def reset(self) -> None:
        self.store.reset()
        self.sessions.reset()
        self.limits.reset()
        for hook in self.reset_hooks:
            hook()

    def seed(self, counts: dict[str, int], seed: int) -> dict[str, int]:
        return seed_org(self.store, counts, seed)

    def record_counts(self) -> dict[str, int]:
        return self.store.counts()

    def close(self) -> None:
        self.db.close()
