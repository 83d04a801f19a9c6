"""The control API under ``/__sandbox``: health, stats, faults, reset, seed, clock.

Like moto's ``/moto-api``: tests, benchmarks and the CLI steer a running sandbox
through it. It answers without faults, latency or accounting.

With a :class:`~crm_sandbox.core.peer.Peer` (the server's second process, serving
HubSpot) every operation applies here and there: stats merge, seed and reset go to the
process serving each API, faults and the clock are set in both, and the peer's own
control routes (``/__sandbox/hubspot/...``) are passed through.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.peer import PeerError

if TYPE_CHECKING:
    from starlette.requests import Request

    from crm_sandbox.core.accounting import Accounting
    from crm_sandbox.core.peer import Peer
    from crm_sandbox.core.service import ApiService, SandboxContext


class Control:
    """Operations of the control API, usable in-process as well as over HTTP."""

    def __init__(
        self,
        ctx: SandboxContext,
        services: list[ApiService],
        accounting: Accounting,
        peer: Peer | None = None,
    ) -> None:
        self.ctx = ctx
        self.services = {svc.name: svc for svc in services}
        self.accounting = accounting
        self.peer = peer

    @property
    def api_names(self) -> list[str]:
        """Every API served: here and by the peer."""
        return [*self.services, *(self.peer.apis if self.peer else ())]

    def stats(self) -> dict[str, Any]:
        calls = self.accounting.snapshot()
        result: dict[str, Any] = {}
        for name, svc in self.services.items():
            entry = calls.get(name, {"calls": {}, "statuses": {}, "total": 0})
            result[name] = {
                **entry,
                "records": svc.record_counts(),
                "peak_in_flight": self.accounting.in_flight.peak(name),
            }
        if self.peer is not None:
            result.update(self.peer.control("GET", "stats"))
        return dict(sorted(result.items()))

    def clear_stats(self) -> None:
        self.accounting.clear()
        if self.peer is not None:
            self.peer.control("DELETE", "stats")

    def seed(self, request: dict[str, Any]) -> dict[str, Any]:
        seed = int(request.get("seed", 42))
        unknown = set(request) - set(self.api_names) - {"seed"}
        if unknown:
            raise ValueError(f"unknown API(s) to seed: {', '.join(sorted(unknown))}")
        made: dict[str, Any] = {}
        for name, svc in self.services.items():
            counts = request.get(name) or {}
            if counts:
                made[name] = svc.seed({str(k): int(v) for k, v in counts.items()}, seed)
        if self.peer is not None:
            theirs = {name: request[name] for name in self.peer.apis if request.get(name)}
            if theirs:
                made.update(self.peer.control("POST", "seed", {"seed": seed, **theirs})["seeded"])
        return made

    def reset(self, apis: list[str] | None = None) -> None:
        """Reset ``apis`` (default: all) and zero every call counter, as one process did."""
        names = apis or self.api_names
        for name in names:
            if name not in self.api_names:
                raise ValueError(f"unknown API {name!r}")
        for name in names:
            if name in self.services:
                self.services[name].reset()
        self.accounting.clear()
        if self.peer is not None:
            theirs = [name for name in names if name in self.peer.apis]
            if theirs:
                self.peer.control("POST", "reset", {"apis": theirs})
            else:
                self.peer.control("DELETE", "stats")

    def set_faults(self, settings: FaultSettings) -> None:
        self.ctx.dice.configure(settings)
        if self.peer is not None:
            self.peer.control("PUT", "faults", settings.as_dict())

    def change_clock(self, body: dict[str, Any]) -> None:
        """Apply a clock request here, then give the peer this clock's exact state."""
        clock = self.ctx.clock
        if body.get("reset"):
            clock.reset()
        if body.get("unfreeze"):
            clock.unfreeze()
        if "freeze" in body:
            at = body["freeze"]
            clock.freeze(
                datetime.fromisoformat(at).astimezone(UTC) if isinstance(at, str) else None
            )
        if body.get("advance_ms"):
            clock.advance(timedelta(milliseconds=int(body["advance_ms"])))
        if "state" in body:
            clock.restore(body["state"])
        if self.peer is not None:
            self.peer.control("POST", "clock", {"state": clock.state()})


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _peer_error(exc: PeerError) -> Response:
    """The peer's own error answer, passed on as it came."""
    return Response(exc.body, status_code=exc.status, media_type=exc.content_type)


def control_routes(control: Control) -> list[Route]:
    ctx = control.ctx

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "pid": os.getpid(), "services": sorted(control.api_names)})

    def stats(request: Request) -> Response:
        try:
            if request.method == "DELETE":
                control.clear_stats()
                return JSONResponse({"cleared": True})
            return JSONResponse(control.stats())
        except PeerError as exc:
            return _peer_error(exc)

    async def faults(request: Request) -> Response:
        if request.method in ("PUT", "PATCH"):
            body = await request.json()
            base = FaultSettings() if request.method == "PUT" else ctx.dice.settings
            settings = FaultSettings(**base.as_dict())
            try:
                settings.update(body)
            except (ValueError, TypeError) as exc:
                return _error(str(exc))
            try:
                await run_in_threadpool(control.set_faults, settings)
            except PeerError as exc:
                return _peer_error(exc)
        return JSONResponse(ctx.dice.settings.as_dict())

    async def reset(request: Request) -> Response:
        body = await request.json() if await request.body() else {}
        try:
            await run_in_threadpool(control.reset, body.get("apis"))
        except ValueError as exc:
            return _error(str(exc))
        except PeerError as exc:
            return _peer_error(exc)
        return JSONResponse({"reset": True})

    async def seed(request: Request) -> Response:
        body = await request.json()
        try:
            made = await run_in_threadpool(control.seed, body)
        except (ValueError, KeyError) as exc:
            return _error(str(exc))
        except PeerError as exc:
            return _peer_error(exc)
        return JSONResponse({"seeded": made})

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            try:
                await run_in_threadpool(control.change_clock, await request.json())
            except PeerError as exc:
                return _peer_error(exc)
        return JSONResponse(ctx.clock.describe())

    routes = [
        Route("/__sandbox/health", health, methods=["GET"]),
        Route("/__sandbox/stats", stats, methods=["GET", "DELETE"]),
        Route("/__sandbox/faults", faults, methods=["GET", "PUT", "PATCH"]),
        Route("/__sandbox/reset", reset, methods=["POST"]),
        Route("/__sandbox/seed", seed, methods=["POST"]),
        Route("/__sandbox/clock", clock, methods=["GET", "POST"]),
    ]
    if control.peer is not None:
        routes.extend(_passed_on(control.peer))
    return routes


def _passed_on(peer: Peer) -> list[Route]:
    """``/__sandbox/{api}/...`` of the peer's APIs, sent on to the peer as they came."""

    async def pass_on(request: Request) -> Response:
        body = await request.body()
        headers = {"content-type": request.headers.get("content-type", "application/json")}
        path = request.url.path.removeprefix("/__sandbox/")
        reply = await run_in_threadpool(
            peer.send, request.method, path, body, headers, request.url.query
        )
        return Response(
            reply.content,
            status_code=reply.status_code,
            media_type=reply.headers.get("content-type"),
        )

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return [Route(f"/__sandbox/{api}/{{rest:path}}", pass_on, methods=methods) for api in peer.apis]
