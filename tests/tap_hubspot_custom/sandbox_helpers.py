"""Config and record edits against a running sandbox (config only from sandbox.env)."""

from __future__ import annotations

import importlib.util
from typing import Any

import requests


def hubspot_ready() -> bool:
    """True once the sandbox serves HubSpot (crm_sandbox/hubspot/service.py registered)."""
    if importlib.util.find_spec("crm_sandbox.hubspot.service") is None:
        return False
    from crm_sandbox.core.registry import SERVICE_PATHS

    return "crm_sandbox.hubspot.service:HubSpotService" in SERVICE_PATHS


def tap_config(env: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "objects": ["project", "companies"],
        "include_associations": ["companies"],
        "retry_wait_seconds": 0.05,
        **extra,
    }


class Portal:
    """Writes through the sandbox's HubSpot API, as any integration would."""

    def __init__(self, env: dict[str, str]) -> None:
        self.base = env["CRM_SANDBOX_HS_BASE_URL"].rstrip("/")
        self.session = requests.Session()
        self.verify = env["CRM_SANDBOX_CA_BUNDLE"]  # per request: REQUESTS_CA_BUNDLE wins otherwise
        self.session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_HS_ACCESS_TOKEN']}"

    def _call(self, method: str, path: str, **kw: Any) -> requests.Response:
        reply = self.session.request(method, f"{self.base}{path}", verify=self.verify, **kw)
        assert reply.status_code < 300, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply

    def create(self, ot: str, **props: Any) -> str:
        return str(
            self._call("POST", f"/crm/v3/objects/{ot}", json={"properties": props}).json()["id"]
        )

    def update(self, ot: str, rid: str, **props: Any) -> None:
        self._call("PATCH", f"/crm/v3/objects/{ot}/{rid}", json={"properties": props})

    def archive(self, ot: str, rid: str) -> None:
        self._call("DELETE", f"/crm/v3/objects/{ot}/{rid}")

    def get(self, ot: str, rid: str) -> dict[str, Any]:
        return self._call("GET", f"/crm/v3/objects/{ot}/{rid}").json()

    def associate(self, ot: str, rid: str, to_ot: str, to_id: str) -> None:
        self._call("PUT", f"/crm/v4/objects/{ot}/{rid}/associations/default/{to_ot}/{to_id}")
