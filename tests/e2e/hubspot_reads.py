"""Reading the sandbox portal straight from an e2e test: every live record of an object."""

from __future__ import annotations

from typing import Any

import requests


def hubspot_session(env: dict[str, str]) -> requests.Session:
    """A session to the sandbox's HubSpot API with its token and CA."""
    session = requests.Session()
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify
    session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_HS_ACCESS_TOKEN']}"
    return session


def hubspot_records(
    env: dict[str, str], object_type: str, properties: list[str]
) -> list[dict[str, Any]]:
    """Every live record of ``object_type`` with ``properties`` (list endpoint, all pages)."""
    session = hubspot_session(env)
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100, "properties": ",".join(properties)}
    while True:
        reply = session.get(f"{env['CRM_SANDBOX_HS_BASE_URL']}/crm/v3/objects/{object_type}",
                            params=params, timeout=30)  # fmt: skip
        reply.raise_for_status()
        body = reply.json()
        out += body["results"]
        after = (body.get("paging") or {}).get("next", {}).get("after")
        if not after:
            return out
        params["after"] = after
