"""HubSpot object schemas and properties for map-crm's live validation.

A thin reader over the core client (:class:`crm_sync.hubspot.HubSpotClient`). Standard
objects (companies, contacts, deals, tickets, tasks and the other activities; singular
names and ``0-n`` ids too) cost one ``GET /crm/v3/properties/{objectType}`` each and
have no API-required properties here (tasks' ``hs_timestamp`` is required on create).
Custom objects are resolved by name, fully qualified name or ``2-…`` id through one
``GET /crm/v3/schemas`` (which also gives ``requiredProperties``), then one properties
call each. An object the portal does not have is left out of the result.

:meth:`HubSpotSchemaReader.association_types` reads the association types of object
pairs (one ``GET /crm/v4/associations/{from}/{to}/labels`` per pair), for the specs'
``type_id`` associations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

from crm_sync.http import ResilientSession
from crm_sync.hubspot import (
    STANDARD_OBJECTS,
    HubSpotAuthError,
    HubSpotClient,
    HubSpotError,
    HubSpotSettings,
)
from crm_sync.schemas.errors import LiveSchemaError

STANDARD_OBJECT_TYPES = STANDARD_OBJECTS
PREFIX = "hubspot_"


class HubSpotSchemaReader:
    """Reads object definitions; ``schemas()`` gives the shape ``validate_live`` takes."""

    def __init__(
        self, settings: HubSpotSettings, session: ResilientSession, prefix: str = PREFIX
    ) -> None:
        if not settings.configured:
            raise LiveSchemaError("hubspot", "no credentials: " + settings.missing(prefix))
        self.prefix = prefix
        try:
            self.client = HubSpotClient(settings, session)
        except HubSpotAuthError as exc:
            raise LiveSchemaError("hubspot", str(exc)) from exc

    def schemas(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """``{name as asked: {"name", "objectTypeId", "requiredProperties", "properties"}}``."""
        try:
            return self._schemas(names)
        except HubSpotError as exc:
            hint = ""
            if exc.status in (401, 403):
                hint = f" (check {self.prefix}access_token and its scopes)"
            raise LiveSchemaError("hubspot", f"{exc}{hint}") from exc
        except (HubSpotAuthError, requests.RequestException) as exc:
            raise LiveSchemaError("hubspot", str(exc)) from exc

    def association_types(
        self, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """``{(from type id, to type id): [{category, typeId, label}]}``, one call a pair."""
        try:
            return {pair: self.client.association_labels(*pair) for pair in dict.fromkeys(pairs)}
        except HubSpotError as exc:
            raise LiveSchemaError("hubspot", str(exc)) from exc
        except (HubSpotAuthError, requests.RequestException) as exc:
            raise LiveSchemaError("hubspot", str(exc)) from exc

    def _schemas(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        custom: list[dict[str, Any]] | None = None
        found: dict[str, dict[str, Any]] = {}
        for name in dict.fromkeys(names):
            type_id = STANDARD_OBJECTS.get(name.casefold())
            required: list[str] = []
            if type_id is None and name.startswith("0-"):
                type_id = name
            if type_id is None:
                if custom is None:
                    custom = self.client.list_schemas()
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
            props = self.client.property_list(type_id, missing_ok=True)
            if props is None:
                continue
            found[name] = {
                "name": name,
                "objectTypeId": type_id,
                "requiredProperties": required,
                "properties": props,
            }
        return found
