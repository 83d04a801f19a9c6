"""The ASGI wrapper around every API call: latency, limits, faults, headers, accounting."""

from __future__ import annotations

import asyncio
import logging
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.routing import Match

from crm_sandbox.core.fallback import UnknownPathRoute, toggled_slash
from crm_sandbox.core.service import ApiService, CallInfo

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping

    from starlette.responses import Response
    from starlette.types import ASGIApp, Receive, Scope, Send

    from crm_sandbox.core.accounting import Accounting
    from crm_sandbox.core.clock import Clock
    from crm_sandbox.core.faults import FaultDice

log = logging.getLogger("crm_sandbox")


class InjectedConnectionReset(Exception):
    """Raised mid-response so the server drops the connection (a simulated reset)."""


class CallWrapper:
    """Wraps the Starlette app; control routes (``/__sandbox``) pass straight through."""

    def __init__(
        self,
        app: ASGIApp,
        services: list[ApiService],
        dice: FaultDice,
        accounting: Accounting,
        clock: Clock | None = None,
    ) -> None:
        self.app = app
        self.clock = clock
        self.services = services
        self.dice = dice
        self.accounting = accounting
        self._routes = {svc.name: svc.routes() for svc in services}
        self._fallback = next((s for s in services if s.claims_unknown_paths), None)

    def _service_for(self, scope: Scope) -> ApiService | None:
        path = scope["path"]
        for svc in self.services:
            if svc.owns(path):
                return svc
        if path.startswith("/__sandbox") or self._fallback is None:
            return None
        # A path no route serves: the API that claims unknown paths answers (and counts) it.
        for route in getattr(self.app, "routes", ()):
            if isinstance(route, UnknownPathRoute):
                continue
            if route.matches(scope)[0] is not Match.NONE:
                return None
        return self._fallback

    def _template(self, svc: ApiService, scope: Scope) -> str:
        partial = None
        alternative = toggled_slash(scope["path"])
        moved = {**scope, "path": alternative} if alternative else None
        for route in self._routes[svc.name]:
            if isinstance(route, UnknownPathRoute):
                continue
            match, _ = route.matches(scope)
            if match is not Match.FULL and moved is not None:
                match = Match.FULL if route.matches(moved)[0] is Match.FULL else match
            if match is Match.FULL:
                return str(getattr(route, "path", scope["path"]))
            if match is Match.PARTIAL and partial is None:
                partial = str(getattr(route, "path", scope["path"]))
        return partial or scope["path"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        svc = self._service_for(scope)
        if svc is None:
            await self.app(scope, receive, send)
            return
        call = CallInfo(
            method=scope["method"],
            path=scope["path"],
            route=self._template(svc, scope),
            headers=Headers(scope=scope),
            query_string=scope.get("query_string", b"").decode("latin-1"),
        )
        status_box = [0]

        async def counting_send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                headers = [(k.decode("latin-1"), v) for k, v in message.get("headers", [])]
                headers += [(k, v.encode("latin-1")) for k, v in svc.response_headers(call)]
                if not any(k.lower() == "date" for k, _ in headers):
                    # The server's own time, as real APIs send it: the sandbox clock, so
                    # a client reading server time sees a moved or frozen clock too.
                    now = self.clock.now().timestamp() if self.clock else None
                    headers.append(("date", formatdate(now, usegmt=True).encode("latin-1")))
                message["headers"] = [
                    (svc.wire_header_name(k).encode("latin-1"), v) for k, v in headers
                ]
            await send(message)

        self.accounting.in_flight.enter(svc.name)
        try:
            await self._serve(svc, call, scope, receive, counting_send)
        finally:
            self.accounting.in_flight.leave(svc.name)
            self.accounting.count(svc.name, call.key, status_box[0] or 499)

    async def _serve(
        self,
        svc: ApiService,
        call: CallInfo,
        scope: Scope,
        receive: Receive,
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        settings = self.dice.settings
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        refusal: Response | None = svc.admit(call)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        fault = self.dice.draw_call_fault(svc.name)
        if fault == "slow":
            await asyncio.sleep(settings.slow_ms / 1000)
        elif fault == "reset":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"4096"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b'{"', "more_body": True})
            raise InjectedConnectionReset(f"injected connection reset on {call.key}")
        elif fault is not None:
            await svc.fault_response(fault)(scope, receive, send)
            return
        await self.app(scope, receive, send)
