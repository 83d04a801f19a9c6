"""Make sure the destination object and its properties exist before the first write.

At the start of each stream the target checks, with one schema listing (custom objects
only) and one property listing, that the HubSpot object exists and has every property
the stream writes. Depending on the settings it creates what is missing
(``create_object_schema``, ``create_missing_properties``), with types derived from the
stream's JSON Schema; otherwise it stops with one error naming everything missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crm_sync.hubspot import HubSpotClient
from crm_sync.hubspot.properties import OWNER_PROPERTY, PROPERTY_GROUP, hubspot_property
from crm_sync.hubspot.upsert_keys import upsert_key_ok
from crm_sync.stops import InputError

_STANDARD_ASSOC = {
    "contacts": "CONTACT",
    "0-1": "CONTACT",
    "companies": "COMPANY",
    "0-2": "COMPANY",
    "deals": "DEAL",
    "0-3": "DEAL",
    "tickets": "TICKET",
    "0-5": "TICKET",
}
"""How a schema's ``associatedObjects`` names standard objects (custom ones by type id)."""
PROPERTY_GROUP_LABEL = "crm-sync"


class DestinationSchemaError(InputError):
    """The HubSpot object or some of its properties are missing and may not be created."""


@dataclass(slots=True)
class ObjectInfo:
    """What the sink needs to know about its HubSpot object."""

    name: str
    object_type_id: str
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_schema: bool = False
    created_properties: list[str] = field(default_factory=list)

    def kind_of(self, prop: str) -> str | None:
        """A normalisation kind for :func:`crm_sync.reconcile.canonical` from HubSpot's type."""
        definition = self.properties.get(prop) or {}
        return {
            "datetime": "datetime",
            "date": "date",
            "number": "number",
            "bool": "boolean",
        }.get(str(definition.get("type"))) or (
            "multi" if definition.get("fieldType") == "checkbox" else None
        )


def ensure_object(
    client: HubSpotClient,
    object_name: str,
    id_property: str,
    fields: Mapping[str, Mapping[str, Any]],
    *,
    create_object_schema: bool = False,
    create_missing_properties: bool = False,
    associated_objects: Sequence[str] = (),
    label: str | None = None,
) -> ObjectInfo:
    """Check (and, as allowed, create) the object and the properties ``fields`` needs.

    ``fields`` maps each HubSpot property the stream writes to its JSON Schema;
    ``id_property`` must exist and be a key batch upsert accepts: unique-valued, or a
    contact's ``email``.
    """
    object_type = client.resolve_object_type(object_name)
    created_schema = False
    if object_type is None:
        if not create_object_schema:
            raise DestinationSchemaError(
                f"HubSpot object {object_name!r} does not exist; create the custom object, or "
                "say create_object: true on the hubspot side of its mapping spec (a plain "
                "stream: set create_object_schema: true)"
            )
        object_type = _create_schema(
            client, object_name, id_property, fields, associated_objects, label
        )
        created_schema = True
    info = ObjectInfo(object_name, object_type, client.properties(object_type), created_schema)
    wanted = {id_property: {"type": ["string"]}, **fields}
    missing = [name for name in wanted if name not in info.properties]
    problems: list[str] = []
    id_def = info.properties.get(id_property)
    if id_def is not None and not upsert_key_ok(object_type, id_property, id_def):
        problems.append(
            f"id property {id_property!r} exists but is not unique-valued (hasUniqueValue); "
            "batch upsert needs a unique property"
        )
    if missing and not create_missing_properties:
        problems.append(
            "missing properties: "
            + ", ".join(sorted(missing))
            + " (set create_missing_properties: true to create them)"
        )
    if problems:
        raise DestinationSchemaError(
            f"HubSpot object {object_name!r} ({object_type}) is not ready: " + "; ".join(problems)
        )
    if missing:
        client.ensure_property_group(object_type, PROPERTY_GROUP, PROPERTY_GROUP_LABEL)
        definitions = [
            hubspot_property(name, wanted[name], unique=name == id_property) for name in missing
        ]
        outcome = client.create_properties(object_type, definitions)
        if outcome.refusals:
            raise DestinationSchemaError(
                f"could not create properties on {object_name!r}: "
                + "; ".join(r.message for r in outcome.refusals)
            )
        for created in outcome.results:
            info.properties[created["name"]] = created
        info.created_properties = sorted(missing)
    return info


def _create_schema(
    client: HubSpotClient,
    object_name: str,
    id_property: str,
    fields: Mapping[str, Mapping[str, Any]],
    associated_objects: Sequence[str],
    label: str | None,
) -> str:
    """Create a custom object with the stream's properties; the id property is unique,
    required and searchable, the first text field is the primary display property."""
    properties = [hubspot_property(id_property, {"type": "string"}, unique=True)]
    properties += [
        hubspot_property(name, schema)
        for name, schema in fields.items()
        if name not in (id_property, OWNER_PROPERTY)  # the owner comes with the object
    ]
    for prop in properties:
        prop.pop("groupName", None)
    text_props = [p["name"] for p in properties[1:] if p["type"] == "string"]
    primary = text_props[0] if text_props else id_property
    singular = label or object_name.replace("_", " ").title()
    body = {
        "name": object_name,
        "labels": {"singular": singular, "plural": singular + "s"},
        "primaryDisplayProperty": primary,
        "secondaryDisplayProperties": [],
        "searchableProperties": sorted({primary, id_property}),
        "requiredProperties": [id_property],
        "properties": properties,
        "associatedObjects": [_STANDARD_ASSOC.get(o, o) for o in associated_objects],
    }
    created = client.create_schema(body)
    return str(created["objectTypeId"])
