"""The control API under ``/__sandbox``: health, stats, faults, reset, seed, clock.

Like moto's ``/moto-api``: tests, benchmarks and the CLI steer a running sandbox
through it. It answers without faults, latency or accounting.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse
from starlette.routing import Route

from crm_sandbox.core.faults import FaultSettings

if TYPE_CHECKING:
    from starlette.requests import Request

    from crm_sandbox.core.accounting import Accounting
    from crm_sandbox.core.service import ApiService, SandboxContext


class Control:
    """Operations of the control API, usable in-process as well as over HTTP."""

    def __init__(
        self, ctx: SandboxContext, services: list[ApiService], accounting: Accounting
    ) -> None:
        self.ctx = ctx
        self.services = {svc.name: svc for svc in services}
        self.accounting = accounting

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
        return result

    def seed(self, request: dict[str, Any]) -> dict[str, Any]:
        seed = int(request.get("seed", 42))
        made: dict[str, Any] = {}
        for name, svc in self.services.items():
            counts = request.get(name) or {}
            if counts:
                made[name] = svc.seed({str(k): int(v) for k, v in counts.items()}, seed)
        unknown = set(request) - set(self.services) - {"seed"}
        if unknown:
            raise ValueError(f"unknown API(s) to seed: {', '.join(sorted(unknown))}")
        return made

    def reset(self, apis: list[str] | None = None) -> None:
        for name in apis or list(self.services):
            if name not in self.services:
                raise ValueError(f"unknown API {name!r}")
            self.services[name].reset()
        self.accounting.clear()


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def control_routes(control: Control) -> list[Route]:
    ctx = control.ctx

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "pid": os.getpid(), "services": sorted(control.services)})

    def stats(request: Request) -> JSONResponse:
        if request.method == "DELETE":
            control.accounting.clear()
            return JSONResponse({"cleared": True})
        return JSONResponse(control.stats())

    async def faults(request: Request) -> JSONResponse:
        if request.method in ("PUT", "PATCH"):
            body = await request.json()
            base = FaultSettings() if request.method == "PUT" else ctx.dice.settings
            settings = FaultSettings(**base.as_dict())
            try:
                settings.update(body)
            except (ValueError, TypeError) as exc:
                return _error(str(exc))
            ctx.dice.configure(settings)
        return JSONResponse(ctx.dice.settings.as_dict())

    async def reset(request: Request) -> JSONResponse:
        body = await request.json() if await request.body() else {}
        try:
            control.reset(body.get("apis"))
        except ValueError as exc:
            return _error(str(exc))
        return JSONResponse({"reset": True})

    async def seed(request: Request) -> JSONResponse:
        body = await request.json()
        from starlette.concurrency import run_in_threadpool

        try:
            made = await run_in_threadpool(control.seed, body)
        except (ValueError, KeyError) as exc:
            return _error(str(exc))
        return JSONResponse({"seeded": made})

    async def clock(request: Request) -> JSONResponse:
        if request.method == "POST":
            body = await request.json()
            if body.get("reset"):
                ctx.clock.reset()
            if body.get("unfreeze"):
                ctx.clock.unfreeze()
            if "freeze" in body:
                at = body["freeze"]
                ctx.clock.freeze(
                    datetime.fromisoformat(at).astimezone(UTC) if isinstance(at, str) else None
                )
            if body.get("advance_ms"):
                ctx.clock.advance(timedelta(milliseconds=int(body["advance_ms"])))
        return JSONResponse(ctx.clock.describe())

    return [
        Route("/__sandbox/health", health, methods=["GET"]),
        Route("/__sandbox/stats", stats, methods=["GET", "DELETE"]),
        Route("/__sandbox/faults", faults, methods=["GET", "PUT", "PATCH"]),
        Route("/__sandbox/reset", reset, methods=["POST"]),
        Route("/__sandbox/seed", seed, methods=["POST"]),
        Route("/__sandbox/clock", clock, methods=["GET", "POST"]),
    ]
