"""Which API services the sandbox serves."""

from __future__ import annotations

import importlib

from crm_sandbox.core.service import ApiService, SandboxContext

SERVICE_PATHS: tuple[str, ...] = (
    "crm_sandbox.salesforce.service:SalesforceService",
    "crm_sandbox.hubspot.service:HubSpotService",
)


def service_classes() -> list[type[ApiService]]:
    classes: list[type[ApiService]] = []
    for dotted in SERVICE_PATHS:
        module_name, _, attr = dotted.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue  # that API's package is not part of this installation
            raise
        classes.append(getattr(module, attr))
    return classes


def build_services(ctx: SandboxContext) -> list[ApiService]:
    return [cls(ctx) for cls in service_classes()]
