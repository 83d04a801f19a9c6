"""Config and record edits against a running sandbox (config only from sandbox.env)."""

from __future__ import annotations

import importlib.util
from typing import Any

import requests


def query_routes_ready() -> bool:
    """True once the sandbox serves query/queryAll (routes/query.py registered)."""
    if importlib.util.find_spec("crm_sandbox.salesforce.service") is None:
        return False
    from crm_sandbox.salesforce import service

    return "crm_sandbox.salesforce.routes.query" in getattr(service, "ROUTE_MODULES", ())


def tap_config(env: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "login_url": env["CRM_SANDBOX_SF_LOGIN_URL"],
        "instance_url": env["CRM_SANDBOX_SF_INSTANCE_URL"],
        "client_id": env["CRM_SANDBOX_SF_CLIENT_ID"],
        "client_secret": env["CRM_SANDBOX_SF_CLIENT_SECRET"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "api_version": env["CRM_SANDBOX_SF_API_VERSION"],
        "objects": ["Project__c", "Account"],
        "retry_wait_seconds": 0.05,
        "bulk_poll_seconds": 0.05,
        **extra,
    }


class Org:
    """Writes through the sandbox's REST API, as any Salesforce user would."""

    def __init__(self, env: dict[str, str]) -> None:
        version = env["CRM_SANDBOX_SF_API_VERSION"]
        self.base = f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/data/v{version}"
        self.session = requests.Session()
        self.verify = env["CRM_SANDBOX_CA_BUNDLE"]
        self.session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"

    def _call(self, method: str, path: str, **kw: Any) -> requests.Response:
        reply = self.session.request(method, f"{self.base}/{path}", verify=self.verify, **kw)
        assert reply.status_code < 300, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply

    def create(self, obj: str, **values: Any) -> str:
        return str(self._call("POST", f"sobjects/{obj}", json=values).json()["id"])

    def update(self, obj: str, rid: str, **values: Any) -> None:
        self._call("PATCH", f"sobjects/{obj}/{rid}", json=values)

    def delete(self, obj: str, rid: str) -> None:
        self._call("DELETE", f"sobjects/{obj}/{rid}")

    def ids(self, obj: str) -> list[str]:
        rows = self._call("GET", "query", params={"q": f"SELECT Id FROM {obj}"}).json()
        return [r["Id"] for r in rows["records"]]

    def modstamp(self, obj: str, rid: str) -> str:
        return str(self._call("GET", f"sobjects/{obj}/{rid}").json()["SystemModstamp"])
