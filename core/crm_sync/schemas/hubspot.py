"""HubSpot object schemas and properties for chosen objects.

Standard objects (companies, contacts, deals, tickets; singular names and ``0-n`` ids
too) cost one ``GET /crm/v3/properties/{objectType}`` each and have no API-required
properties. Custom objects are resolved by name, fully qualified name or ``2-…`` id
through one ``GET /crm/v3/schemas`` (which also gives ``requiredProperties``), then one
properties call each. An object the portal does not have is left out of the result,
so the caller reports it as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from crm_sync.http import ResilientSession
from crm_sync.schemas.errors import LiveSchemaError

DEFAULT_BASE_URL = "https://api.hubapi.com"
STANDARD_OBJECT_TYPES: dict[str, str] = {
    "contacts": "0-1",
    "contact": "0-1",
    "companies": "0-2",
    "company": "0-2",
    "deals": "0-3",
    "deal": "0-3",
    "tickets": "0-5",
    "ticket": "0-5",
}


@dataclass(frozen=True)
class HubSpotSettings:
    """Where and how to reach the portal: a private-app or OAuth access token."""

    base_url: str = DEFAULT_BASE_URL
    access_token: str | None = None
    ca_bundle: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], prefix: str = "") -> HubSpotSettings:
        def get(key: str) -> str | None:
            value = config.get(f"{prefix}{key}")
            return str(value) if value not in (None, "") else None

        return cls(
            base_url=get("base_url") or DEFAULT_BASE_URL,
            access_token=get("access_token"),
            ca_bundle=get("ca_bundle"),
        )

    @property
    def configured(self) -> bool:
        return bool(self.access_token)


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    if isinstance(body, dict):
        return f"HTTP {response.status_code} {body.get('category')}: {body.get('message')}"
    return f"HTTP {response.status_code}: {str(body)[:300]}"


def _names(schema: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a custom object may be called by: name, fully qualified name, type id."""
    return (schema.get("name"), schema.get("fullyQualifiedName"), schema.get("objectTypeId"))


class HubSpotSchemaReader:
    """Reads object definitions; ``schemas()`` gives the shape ``validate_live`` takes."""

    def __init__(self, settings: HubSpotSettings, session: ResilientSession) -> None:
        if not settings.configured:
            raise LiveSchemaError("hubspot", "no credentials: set hubspot_access_token")
        self.settings = settings
        self.session = session
        self.base_url = settings.base_url.rstrip("/")

    def _get(self, path: str, missing_ok: bool = False) -> dict[str, Any] | None:
        url = f"{self.base_url}{path}"
        try:
            reply = self.session.request(
                "GET", url, headers={"Authorization": f"Bearer {self.settings.access_token}"}
            )
        except requests.RequestException as exc:
            raise LiveSchemaError("hubspot", f"GET {url} failed: {exc}") from exc
        if reply.status_code == 404 and missing_ok:
            return None
        if reply.status_code in (401, 403):
            raise LiveSchemaError(
                "hubspot",
                f"GET {path}: {_error_text(reply)} (check hubspot_access_token and its scopes)",
            )
        if reply.status_code >= 400:
            raise LiveSchemaError("hubspot", f"GET {path}: {_error_text(reply)}")
        return dict(reply.json())

    def custom_schemas(self) -> list[dict[str, Any]]:
        """Every custom object schema of the portal (one call)."""
        return list((self._get("/crm/v3/schemas") or {}).get("results", []))

    def properties(self, object_type: str) -> list[dict[str, Any]] | None:
        """The object's property definitions, or None when the portal has no such object."""
        reply = self._get(f"/crm/v3/properties/{object_type}", missing_ok=True)
        return None if reply is None else list(reply.get("results", []))

    def schemas(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """``{name as asked: {"name", "objectTypeId", "requiredProperties", "properties"}}``."""
        unique = list(dict.fromkeys(names))
        custom: list[dict[str, Any]] | None = None
        found: dict[str, dict[str, Any]] = {}
        for name in unique:
            type_id = STANDARD_OBJECT_TYPES.get(name.casefold())
            required: list[str] = []
            if type_id is None and name.startswith("0-"):
                type_id = name
            if type_id is None:
                if custom is None:
                    custom = self.custom_schemas()
                schema = next(
                    (
                        s
                        for s in custom
                        if name
                        in (s.get("name"), s.get("fullyQualifiedName"), s.get("objectTypeId"))
                    ),
                    None,
                )
                if schema is None:
                    continue  # the portal has no such object: the validator says so
                type_id = str(schema["objectTypeId"])
                required = [str(p) for p in schema.get("requiredProperties") or []]
            props = self.properties(type_id)
            if props is None:
                continue
            found[name] = {
                "name": name,
                "objectTypeId": type_id,
                "requiredProperties": required,
                "properties": props,
            }
        return found
