"""Value kinds: the common ground between Salesforce field types and HubSpot property types.

A *kind* says how a value is read, written and compared; both type systems collapse
onto it. The tables are plain data so validation and conversion share them.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """How a value behaves, independent of which CRM holds it."""

    TEXT = "text"
    BOOL = "bool"
    INT = "int"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    ENUM = "enum"
    MULTI = "multi"
    REFERENCE = "reference"
    UNSUPPORTED = "unsupported"


#: Salesforce describe ``type`` -> kind.
SF_TYPE_KINDS: dict[str, Kind] = {
    "id": Kind.TEXT,
    "string": Kind.TEXT,
    "textarea": Kind.TEXT,
    "phone": Kind.TEXT,
    "email": Kind.TEXT,
    "url": Kind.TEXT,
    "encryptedstring": Kind.TEXT,
    "combobox": Kind.TEXT,
    "boolean": Kind.BOOL,
    "int": Kind.INT,
    "long": Kind.INT,
    "double": Kind.NUMBER,
    "currency": Kind.NUMBER,
    "percent": Kind.NUMBER,
    "date": Kind.DATE,
    "datetime": Kind.DATETIME,
    "time": Kind.TIME,
    "picklist": Kind.ENUM,
    "multipicklist": Kind.MULTI,
    "reference": Kind.REFERENCE,
    "base64": Kind.UNSUPPORTED,
    "address": Kind.UNSUPPORTED,
    "location": Kind.UNSUPPORTED,
    "anyType": Kind.UNSUPPORTED,
    "json": Kind.UNSUPPORTED,
}

#: HubSpot ``(type, fieldType)`` -> kind; ``None`` as fieldType is the type's default.
HS_TYPE_KINDS: dict[tuple[str, str | None], Kind] = {
    ("string", None): Kind.TEXT,
    ("phone_number", None): Kind.TEXT,
    ("number", None): Kind.NUMBER,
    ("bool", None): Kind.BOOL,
    ("enumeration", None): Kind.ENUM,
    ("enumeration", "booleancheckbox"): Kind.BOOL,
    ("enumeration", "checkbox"): Kind.MULTI,
    ("date", None): Kind.DATE,
    ("datetime", None): Kind.DATETIME,
}

#: Nominal maximum text length per HubSpot fieldType (single-line inputs hold what the
#: UI lets one type; the API limit for any string is 65,536 characters).
HS_TEXT_LENGTHS: dict[str, int] = {
    "text": 65_536,
    "textarea": 65_536,
    "html": 65_536,
    "phonenumber": 65_536,
    "file": 65_536,
}


def sf_kind(sf_type: str) -> Kind:
    """The kind of a Salesforce describe type (unknown types are unsupported)."""
    return SF_TYPE_KINDS.get(sf_type, Kind.UNSUPPORTED)


def hs_kind(hs_type: str, field_type: str | None = None) -> Kind:
    """The kind of a HubSpot property ``type`` / ``fieldType`` pair."""
    return HS_TYPE_KINDS.get(
        (hs_type, field_type), HS_TYPE_KINDS.get((hs_type, None), Kind.UNSUPPORTED)
    )


def json_schema_kind(prop: dict) -> Kind:
    """Best-effort kind of a Singer JSON Schema property.

    Explicit annotations win (``x-sf-type``, or ``x-hubspot-type`` with
    ``x-hubspot-field-type``), then ``format``, then the JSON type. A multi-picklist
    without annotation reads as text: its wire form is the same ``a;b`` string.
    """
    if "x-sf-type" in prop:
        return sf_kind(str(prop["x-sf-type"]))
    if "x-hubspot-type" in prop:
        return hs_kind(str(prop["x-hubspot-type"]), prop.get("x-hubspot-field-type"))
    fmt = prop.get("format")
    if fmt == "date-time":
        return Kind.DATETIME
    if fmt == "date":
        return Kind.DATE
    if fmt == "time":
        return Kind.TIME
    types = prop.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    if prop.get("anyOf"):
        for sub in prop["anyOf"]:
            kind = json_schema_kind(sub)
            if kind is not Kind.UNSUPPORTED:
                return kind
    for name, kind in (
        ("boolean", Kind.BOOL),
        ("integer", Kind.INT),
        ("number", Kind.NUMBER),
        ("string", Kind.TEXT),
    ):
        if name in types:
            return kind
    return Kind.UNSUPPORTED


def compared_kind(sf: Kind, hs: Kind) -> Kind | None:
    """The kind a field's values are compared in when its sides differ in precision, else
    None: a Salesforce date and a HubSpot datetime (a task's ``ActivityDate`` and
    ``hs_timestamp``) compare as dates, since the date keeps no time of day; compared as
    instants, a HubSpot-born task's 15:30 would differ from the midnight its Salesforce
    date gives back, and the next forward run would move the task's time."""
    return Kind.DATE if {sf, hs} == {Kind.DATE, Kind.DATETIME} else None
