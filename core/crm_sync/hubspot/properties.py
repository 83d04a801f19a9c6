"""The HubSpot property a stream field is created as, and the object a mapping creates.

One place decides what target-hubspot-custom creates (a mapping's ``hubspot.create_object``,
``create_missing_properties``) and what ``map-crm validate`` checks a mapping against
when the object does not exist yet, so the two cannot disagree (issue 14, feature 3):

* :func:`creates_object`: whether a mapping's missing custom object is created, one
  decision the spec says per mapping (``hubspot: {create_object: true}``) and both
  map-crm and the target read; each plugin's older ``create_object_schema`` setting
  still answers for a spec that does not say, with a deprecation WARNING
  (:func:`warn_create_setting`);

* :func:`field_schema`: the JSON Schema map-crm gives a field it writes to HubSpot
  (``x-crm-kind``, and ``x-crm-options`` for picklists);
* :func:`hubspot_property`: the HubSpot property definition created from such a schema
  (or from a plain tap's JSON Schema);
* :func:`planned_object_schema`: the object schema (``requiredProperties`` and
  ``properties``, the shape ``validate_live`` takes) the target will create for a
  mapping, from the mapping and the Salesforce describe.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from crm_sync.convert.kinds import Kind, sf_kind
from crm_sync.vocabulary import Direction

if TYPE_CHECKING:
    from crm_sync.spec.model import FieldMapping
    from crm_sync.spec.model import Mapping as SpecMapping

OWNER_PROPERTY = "hubspot_owner_id"
"""The record owner property: every custom object has it from its creation (unverified in
HubSpot's schema docs; its custom-object records take it in the UI and the API), so it is
never created, and a drafted ``OwnerId`` of a new object maps to it."""
OWNER_DEFINITION = {
    "name": OWNER_PROPERTY,
    "label": "Owner",
    "type": "enumeration",
    "fieldType": "select",
    "referencedObjectType": "OWNER",
}
"""How HubSpot serves it (its options are the portal's owners)."""
CREATE_SETTING = "create_object_schema"
"""The deprecated per-plugin setting (map-crm, target-hubspot-custom) for ``create_object``."""

PROPERTY_GROUP = "crm_sync"
KIND_KEY = "x-crm-kind"
OPTIONS_KEY = "x-crm-options"

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


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type", "string")
    return {kind} if isinstance(kind, str) else set(kind)


def _options(values: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {"label": str(v), "value": str(v), "displayOrder": i}
        for i, v in enumerate(v for v in values if v is not None)
    ]


def _kind_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``x-crm-kind`` turned into plain JSON Schema terms."""
    kind = str(schema.get(KIND_KEY))
    options = list(schema.get(OPTIONS_KEY) or [])
    if kind == Kind.ENUM and options:
        return {**schema, "type": "string", "enum": options}
    if kind == Kind.MULTI and options:
        return {**schema, "type": "array", "items": {"enum": options}}
    return {**schema, **_KIND_SCHEMA.get(kind, {})}


def hubspot_property(name: str, schema: Mapping[str, Any], unique: bool = False) -> dict[str, Any]:
    """A HubSpot property definition for a stream field described by JSON Schema."""
    schema = _kind_schema(schema)
    types = _types(schema) - {"null"}
    label = str(schema.get("title") or name.replace("_", " ").capitalize())
    prop: dict[str, Any] = {"name": name, "label": label, "groupName": PROPERTY_GROUP}
    enum = [v for v in schema.get("enum", []) if v is not None]
    item_enum = [v for v in (schema.get("items") or {}).get("enum", []) if v is not None]
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
    elif "array" in types and not item_enum:
        # no known options: a checkbox would need them, so the list is kept as text
        prop |= {"type": "string", "fieldType": "textarea"}
    elif "array" in types:
        prop |= {"type": "enumeration", "fieldType": "checkbox", "options": _options(item_enum)}
    elif enum:
        prop |= {"type": "enumeration", "fieldType": "select", "options": _options(enum)}
    elif schema.get("format") == "date-time":
        prop |= {"type": "datetime", "fieldType": "date"}
    elif schema.get("format") == "date":
        prop |= {"type": "date", "fieldType": "date"}
    else:
        prop |= {"type": "string", "fieldType": "text"}
    if unique:
        prop["hasUniqueValue"] = True
    return prop


def hubspot_options(f: FieldMapping, sf_field: Mapping[str, Any] | None) -> list[str]:
    """The HubSpot options a picklist field needs: its active Salesforce values through
    the value map, then any value-map target not among them (order kept, no repeats)."""
    active = [
        str(p["value"])
        for p in (sf_field or {}).get("picklistValues") or []
        if p.get("active", True) and p.get("value") is not None
    ]
    wanted = [f.values.to_hubspot(v) for v in active] + list(f.values.forward.values())
    return list(dict.fromkeys(wanted))


def field_schema(kind: Kind, options: Iterable[str] = ()) -> dict[str, Any]:
    """The JSON Schema map-crm gives a field it writes to HubSpot (its wire form is a
    string; the kind and options say what property it needs)."""
    options = list(options)
    schema: dict[str, Any] = {"type": ["string", "null"], KIND_KEY: str(kind)}
    if options and kind in (Kind.ENUM, Kind.MULTI):
        schema[OPTIONS_KEY] = options
    return schema


def planned_kind(f: FieldMapping, sf_field: Mapping[str, Any] | None) -> Kind:
    """The kind map-crm gives a field written to a HubSpot property that does not exist
    yet: the Salesforce field's (a lookup or a concat reads as text)."""
    if f.concat is not None or sf_field is None:
        return Kind.TEXT
    kind = sf_kind(str(sf_field.get("type")))
    return Kind.TEXT if kind in (Kind.REFERENCE, Kind.UNSUPPORTED) else kind


def planned_object_schema(mapping: SpecMapping, sf_describe: Mapping[str, Any]) -> dict[str, Any]:
    """The custom object target-hubspot-custom creates for ``mapping`` (``create_object_
    schema``): the id property (unique, required) and one property per field written to
    HubSpot, typed as :func:`hubspot_property` creates them."""
    sf_fields = {str(d["name"]).casefold(): d for d in sf_describe.get("fields", [])}
    id_property = mapping.hubspot.id_property
    properties = [hubspot_property(id_property, {"type": "string"}, unique=True)]
    for f in mapping.fields_for(Direction.SF_TO_HS):
        if f.hubspot.casefold() == id_property.casefold():
            continue
        if f.owner and f.hubspot.casefold() == OWNER_PROPERTY:
            properties.append(dict(OWNER_DEFINITION))  # the object has it from its creation
            continue
        sf_field = sf_fields.get(f.salesforce.casefold())
        kind = planned_kind(f, sf_field)
        properties.append(
            hubspot_property(f.hubspot, field_schema(kind, hubspot_options(f, sf_field)))
        )
    return {"requiredProperties": [id_property], "properties": properties}


def creates_object(declared: bool | None, setting: Any = None) -> bool:
    """Whether a missing HubSpot custom object is created for a mapping: what its spec
    declares (``hubspot.create_object``), else the plugin's deprecated setting."""
    return bool(setting) if declared is None else declared


def warn_create_setting(plugin: str, config: Mapping[str, Any], logger: logging.Logger) -> None:
    """The deprecation WARNING of a plugin's ``create_object_schema`` setting, when on."""
    if not config.get(CREATE_SETTING):
        return
    logger.warning(
        "%s: the %s setting is deprecated: say it per mapping in the spec "
        "(hubspot: {object: ..., id_property: ..., create_object: true}), which map-crm "
        "validate and target-hubspot-custom both read; until then the setting answers "
        "for a mapping whose spec does not say",
        plugin,
        CREATE_SETTING,
    )
