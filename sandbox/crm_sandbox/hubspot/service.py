"""``HubSpotService``: the HubSpot API sandbox as the core sees it (ApiService contract)."""

from __future__ import annotations

import contextvars
import threading
import time
from typing import TYPE_CHECKING, Literal

from starlette.routing import BaseRoute, Match, Route

from crm_sandbox.core.fallback import UnknownPathRoute
from crm_sandbox.core.headers import canonical_name, title_case
from crm_sandbox.core.service import ApiService, CallInfo, SandboxContext
from crm_sandbox.hubspot.association_types import AssociationTypes
from crm_sandbox.hubspot.associations import Associations
from crm_sandbox.hubspot.auth import Auth
from crm_sandbox.hubspot.catalog import Catalog
from crm_sandbox.hubspot.defaults import PROJECT_SCHEMA
from crm_sandbox.hubspot.errors import (
    HubSpotError,
    InvalidAuthentication,
    correlation_id,
    internal_error_body,
    new_correlation_id,
    rate_limit_body,
    unknown_path_body,
)
from crm_sandbox.hubspot.limits import Limits
from crm_sandbox.hubspot.merge import Merges
from crm_sandbox.hubspot.owners import Owners, SalesforceUsers
from crm_sandbox.hubspot.properties import Properties
from crm_sandbox.hubspot.records import Records
from crm_sandbox.hubspot.routes import (
    account,
    associations,
    batch,
    common,
    oauth,
    objects,
    owners,
    pipelines,
    properties,
    schemas,
    search,
    subscriptions,
)
from crm_sandbox.hubspot.scopes import MissingScopes, required
from crm_sandbox.hubspot.search import Search
from crm_sandbox.hubspot.seed import Seeder
from crm_sandbox.hubspot.store import Store
from crm_sandbox.hubspot.values import format_datetime

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

_LIMIT_HEADERS: contextvars.ContextVar[tuple[tuple[str, str], ...]] = contextvars.ContextVar(
    "hubspot_limit_headers", default=()
)
_PREFIXES = (
    "/account-info/",
    "/crm/",
    "/crm-object-schemas/",
    "/crm-pipelines/",
    "/oauth/",
    "/integrations/",
    "/settings/v3/users",
    "/email/public/v1/subscriptions",
)
# Header names whose wire casing is not plain title case. HubSpot's docs spell the limit
# headers X-HubSpot-RateLimit-*; the correlation id is lower case in recorded replies.
_HEADER_CASE = {
    "x-hubspot-correlation-id": "x-hubspot-correlation-id",
    "x-hubspot-auth-failure": "x-hubspot-auth-failure",  # (unverified casing)
    "etag": "ETag",
}
_RATE_LIMIT_PREFIX = "x-hubspot-ratelimit-"


class HubSpotService(ApiService):
    name = "hubspot"

    def __init__(self, ctx: SandboxContext) -> None:
        super().__init__(ctx)
        creds = ctx.credentials
        self.portal_id = creds.hs_portal_id
        self.write_lock = threading.RLock()
        self.store = Store(ctx.db_path("hubspot"))
        self.props = Properties(self.store, ctx.clock)
        self.assoc_types = AssociationTypes(self.store)
        self.catalog = Catalog(self.store, self.portal_id, self.props, self.assoc_types)
        self.records = Records(self.store, self.props, ctx.clock, ctx.dice, self.portal_id)
        self.associations = Associations(self.store, self.records, self.assoc_types)
        self.merges = Merges(self.records, self.assoc_types)
        self.owners = Owners(
            self.store, SalesforceUsers(ctx.db_path("salesforce"), ctx.credentials), self.now
        )
        self.records.external_option = lambda prop, value: (
            prop.name != "hubspot_owner_id" or self.owners.is_active_owner(value)
        )
        self.search = Search(self.records, self.props)
        self.seeder = Seeder(self.catalog, self.records, self.associations)
        self.auth = Auth(self.store, creds)
        self.limits = Limits(ctx.dice, ctx.clock, self.portal_id)
        if not self.store.object_types:
            self._provision()

    def now(self) -> str:
        return format_datetime(self.ctx.clock.now())

    def _provision(self) -> None:
        with self.write_lock:
            self.catalog.install_standard()
            self.assoc_types.install_defaults()
            project = self.catalog.create_schema(PROJECT_SCHEMA)
            # The label the integration's admin made for project -> company links.
            self.assoc_types.create_label(
                project.object_type_id,
                "0-2",
                "Project's company",
                "project_company",
                "Company's project",
            )

    # -- ApiService -------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        out: list[BaseRoute] = []
        for module in (
            schemas,
            properties,
            batch,
            search,
            objects,
            associations,
            owners,
            pipelines,
            subscriptions,
            oauth,
            account,
        ):
            out.extend(module.routes(self))
        out.append(Route("/integrations/v1/limit/daily", self._daily_usage, methods=["GET"]))
        out.append(Route("/__sandbox/hubspot/tokens", self._mint_token, methods=["POST"]))
        return out

    async def _mint_token(self, request: Request) -> Response:
        """Control API: a private-app token with the given scopes (``{"scopes": [...]}``)."""
        try:
            body = await common.body_object(request)
        except HubSpotError as exc:  # a control call: the control API's error shape
            return common.reply({"error": exc.message}, 400)
        scopes = body.get("scopes")
        if not isinstance(scopes, list):
            return common.reply({"error": "scopes must be a list of scope names"}, 400)
        try:
            token = self.auth.mint([str(s) for s in scopes])
        except ValueError as exc:
            return common.reply({"error": str(exc)}, 400)
        return common.reply({"token": token, "scopes": sorted(scopes)}, 201)

    async def _daily_usage(self, _: Request) -> Response:
        settings = self.ctx.dice.settings
        return common.reply(
            [
                {
                    "name": "api-calls-daily",
                    "usageLimit": settings.hs_daily_max,
                    "currentUsage": self.limits._daily,
                    "collectedAt": int(time.time() * 1000),
                    "fetchStatus": "SUCCESS",
                    "resetsAt": None,
                }
            ]
        )

    def owns(self, path: str) -> bool:
        return path.startswith(_PREFIXES)

    # api.hubapi.com serves many roots (/crm, /owners, /files, ...): a path no API of
    # the sandbox serves is answered as HubSpot's unknown resource.
    claims_unknown_paths = True

    def unknown_route(self) -> BaseRoute:
        known = self.routes()

        async def unknown(request: Request) -> Response:
            for route in known:
                if route.matches(request.scope)[0] is Match.PARTIAL:
                    # (unverified) HubSpot's body for a known path with the wrong method
                    return common.reply(unknown_path_body("HTTP 405 Method Not Allowed"), 405)
            return common.reply(unknown_path_body("resource not found"), 404)

        return UnknownPathRoute(unknown, siblings=known)

    def wire_header_name(self, name: str) -> str:
        lowered = name.lower()
        if lowered.startswith(_RATE_LIMIT_PREFIX):
            return "X-HubSpot-RateLimit-" + title_case(lowered[len(_RATE_LIMIT_PREFIX) :])
        return canonical_name(lowered, _HEADER_CASE)

    def fault_response(self, kind: Literal["http429", "http500", "http503"]) -> Response:
        if kind == "http429":
            body = rate_limit_body("TEN_SECONDLY_ROLLING", self.limits.group("TEN_SECONDLY"))
            return common.reply(body, 429)
        if kind == "http500":
            return common.reply(internal_error_body(), 500)
        # (unverified) HubSpot's 503 body; same shape as its 500.
        return common.reply(
            {
                "status": "error",
                "message": "Service Unavailable",
                "correlationId": correlation_id(),
            },
            503,
        )

    def admit(self, call: CallInfo) -> Response | None:
        new_correlation_id()
        _LIMIT_HEADERS.set(())
        if call.path.startswith("/oauth/"):
            return None
        try:
            _, granted = self.auth.identify(call.headers.get("authorization"))
        except InvalidAuthentication as exc:
            return common.error_reply(exc)
        accepted = required(call.method, call.path, self.catalog.find)
        if accepted is not None and granted.isdisjoint(accepted):
            return common.error_reply(MissingScopes(accepted))
        if call.method == "POST" and call.route.endswith("/search"):
            if self.limits.admit_search() is not None:
                body = rate_limit_body("SECONDLY", self.limits.group("SEARCH_SECONDLY"))
                return common.reply(body, 429)
            return None  # search replies carry no rate-limit headers [rec]
        verdict = self.limits.admit()
        _LIMIT_HEADERS.set(tuple(verdict.headers))
        if verdict.policy is not None:
            body = rate_limit_body(verdict.policy, self.limits.group(verdict.policy))
            return common.reply(body, 429)
        return None

    def response_headers(self, call: CallInfo) -> list[tuple[str, str]]:
        return [("x-hubspot-correlation-id", correlation_id()), *_LIMIT_HEADERS.get()]

    def reset(self) -> None:
        with self.write_lock:
            self.store.wipe()
            self.merges.wipe()
            self.owners.wipe()
            self.assoc_types.invalidate()
            self.records.reset_ids()
            self.auth.install()
            self.limits.reset()
            self._provision()

    def seed(self, counts: dict[str, int], seed: int) -> dict[str, int]:
        with self.write_lock:
            return self.seeder.seed(counts, seed)

    def record_counts(self) -> dict[str, int]:
        # the search engine's live counts: kept exact across writes, so stats cost no scan
        counts = self.records.keys.counts
        with self.store.db.reading() as conn:
            return {
                ot.name: counts.live(conn, type_id)
                for type_id, ot in self.store.object_types.items()
                if not ot.archived
            }

    def close(self) -> None:
        self.owners.close()
        self.store.close()
