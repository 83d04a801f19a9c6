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
from crm_sync.hubspot.upsert_keys import upsert_key_ok
from crm_sync.stops import InputError

PROPERTY_GROUP = "crm_sync"
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


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type", "string")
    return {kind} if isinstance(kind, str) else set(kind)


#: map-crm's ``x-crm-kind`` (the value's kind; its wire form is a string) -> the JSON
#: Schema a property of that kind is created from, so a Salesforce currency field becomes
#: a number property, the type ``map-crm validate`` accepts for it.
_KIND_SCHEMA: dict[str, dict[str, Any]] = {
    "number": {"type": "number"},
    "int": {"type": "number"},
    "bool": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}


def hubspot_property(name: str, schema: Mapping[str, Any], unique: bool = False) -> dict[str, Any]:
    """A HubSpot property definition for a stream field described by JSON Schema."""
    schema = {**schema, **_KIND_SCHEMA.get(str(schema.get("x-crm-kind")), {})}
    types = _types(schema) - {"null"}
    label = str(schema.get("title") or name.replace("_", " ").capitalize())
    prop: dict[str, Any] = {"name": name, "label": label, "groupName": PROPERTY_GROUP}
    enum = [v for v in schema.get("enum", []) if v is not None]
    if "boolean" in types:
        prop |= {
            "type": "bool",
            "fieldType": "booleancheckbox",
            "options": [
                {"label": "Yes", "value": "true", "displayOrder": 0},
                {"label": "No", "value": "false", "displayOrder": 1},
            ],
        }
    elif types & {"number", "integer"}:
        prop |= {"type": "number", "fieldType": "number"}
    elif "array" in types and not [
        v for v in (schema.get("items") or {}).get("enum", []) if v is not None
    ]:
        # no known options: a checkbox would need them, so the list is kept as text
        prop |= {"type": "string", "fieldType": "textarea"}
    elif "array" in types:
        items = schema.get("items") or {}
        options = [v for v in items.get("enum", []) if v is not None]
        prop |= {
            "type": "enumeration",
            "fieldType": "checkbox",
            "options": [
                {"label": str(v), "value": str(v), "displayOrder": i} for i, v in enumerate(options)
            ],
        }
    elif enum:
        prop |= {
            "type": "enumeration",
            "fieldType": "select",
            "options": [
                {"label": str(v), "value": str(v), "displayOrder": i} for i, v in enumerate(enum)
            ],
        }
    elif schema.get("format") == "date-time":
        prop |= {"type": "datetime", "fieldType": "date"}
    elif schema.get("format") == "date":
        prop |= {"type": "date", "fieldType": "date"}
    else:
        prop |= {"type": "string", "fieldType": "text"}
    if unique:
        prop["hasUniqueValue"] = True
    return prop


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
                f"HubSpot object {object_name!r} does not exist; create the custom object or "
                "set create_object_schema: true"
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
        hubspot_property(name, schema) for name, schema in fields.items() if name != id_property
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
