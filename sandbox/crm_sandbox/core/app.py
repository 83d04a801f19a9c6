"""Assembles the sandbox: services, control API and the call wrapper, as one ASGI app."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette

from crm_sandbox.core.accounting import Accounting
from crm_sandbox.core.clock import Clock
from crm_sandbox.core.control import Control, control_routes
from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultDice, FaultSettings
from crm_sandbox.core.middleware import CallWrapper
from crm_sandbox.core.registry import build_services
from crm_sandbox.core.service import ApiService, SandboxContext


@dataclass
class Sandbox:
    """A sandbox assembled in this process (the server, or the CLI when none runs)."""

    ctx: SandboxContext
    services: list[ApiService]
    accounting: Accounting
    control: Control

    def asgi_app(self) -> CallWrapper:
        routes = control_routes(self.control)
        for svc in self.services:
            routes.extend(svc.control_routes())  # type: ignore[arg-type]
        for svc in self.services:
            routes.extend(svc.routes())  # type: ignore[arg-type]
        for svc in self.services:  # after every real route: they match any path
            fallback = svc.unknown_route()
            if fallback is not None:
                routes.append(fallback)  # type: ignore[arg-type]
        return CallWrapper(
            Starlette(routes=routes),
            self.services,
            self.ctx.dice,
            self.accounting,
            self.ctx.clock,
        )

    def close(self) -> None:
        for svc in self.services:
            svc.close()
        self.accounting.close()
        if self.control.peer is not None:
            self.control.peer.close()


def assemble(
    data_dir: DataDir,
    settings: FaultSettings | None = None,
    service_classes: list[type[ApiService]] | None = None,
) -> Sandbox:
    """Build every service over ``data_dir`` (created if needed); ``service_classes``
    picks some (default: all installed). The server sets ``control.peer`` when another
    process serves the others."""
    data_dir.ensure()
    ctx = SandboxContext(
        data_dir=data_dir,
        credentials=data_dir.credentials(),
        clock=Clock(),
        dice=FaultDice(settings or FaultSettings()),
    )
    services = [cls(ctx) for cls in service_classes] if service_classes else build_services(ctx)
    accounting = Accounting(data_dir, [svc.name for svc in services])
    return Sandbox(ctx, services, accounting, Control(ctx, services, accounting))
