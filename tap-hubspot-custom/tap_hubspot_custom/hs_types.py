"""HubSpot property definitions -> JSON Schema, and wire values -> typed record values.

Every property keeps its HubSpot definition as annotations (``x-hubspot-type``,
``x-hubspot-field-type``, ``x-hubspot-options``, ``x-hubspot-has-unique-value``), which
the mapper (``crm_sync.convert.json_schema_kind``) reads to pick a value kind.

| HubSpot type / fieldType            | JSON Schema                      | value            |
| ----------------------------------- | -------------------------------- | ---------------- |
| string, phone_number, (unknown)     | string                           | as sent          |
| number                              | number                           | int or float     |
| bool, enumeration + booleancheckbox | boolean                          | ``"true"`` -> True |
| date                                | string, format date              | ``YYYY-MM-DD``   |
| datetime                            | string, format date-time         | ISO 8601 UTC, ms |
| enumeration (select, radio, ...)    | string                           | as sent          |
| enumeration + checkbox              | string (``;``-joined)            | as sent          |

Records are flat: ``id``, ``createdAt``, ``updatedAt``, ``archived``, ``archivedAt``,
every property at top level, ``associations`` (v3 shape) and ``_sdc_deleted_at``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crm_sync.convert import ConversionError, Kind, hs_kind
from crm_sync.convert.codec import HUBSPOT

LOGGER = logging.getLogger("tap-hubspot-custom")
_CANONICAL_DATETIME = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z"
)
"""What HubSpot sends and the stream emits: already normal, nothing to parse (the hot path)."""

DELETED_AT = "_sdc_deleted_at"
ASSOCIATIONS = "associations"
REPLICATION_KEY = "updatedAt"
#: Top-level record fields; a HubSpot property with one of these names is not emitted.
ENVELOPE = ("id", "createdAt", "updatedAt", "archived", "archivedAt", ASSOCIATIONS, DELETED_AT)

_DATETIME = {"type": ["string", "null"], "format": "date-time"}
_ASSOCIATION_RESULT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "type": {"type": ["string", "null"]},
        "typeId": {"type": ["integer", "null"]},
        "category": {"type": ["string", "null"]},
        "label": {"type": ["string", "null"]},
    },
}
ASSOCIATIONS_SCHEMA = {
    "type": ["object", "null"],
    "description": "Associated records per object type, in the v3 shape "
    '{"companies": {"results": [{"id", "type", "typeId", "category", "label"}]}}; '
    "a type read with no associations has empty results.",
    "additionalProperties": {
        "type": "object",
        "properties": {"results": {"type": "array", "items": _ASSOCIATION_RESULT}},
    },
}

_JSON_TYPES: dict[Kind, dict[str, Any]] = {
    Kind.NUMBER: {"type": ["number", "null"]},
    Kind.BOOL: {"type": ["boolean", "null"]},
    Kind.DATE: {"type": ["string", "null"], "format": "date"},
    Kind.DATETIME: _DATETIME,
}


def property_kind(prop: dict[str, Any]) -> Kind:
    kind = hs_kind(str(prop.get("type") or "string"), prop.get("fieldType"))
    return Kind.TEXT if kind is Kind.UNSUPPORTED else kind


def property_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of one property, annotated with its HubSpot definition."""
    schema = dict(_JSON_TYPES.get(property_kind(prop), {"type": ["string", "null"]}))
    if prop.get("label"):
        schema["title"] = str(prop["label"])
    if prop.get("description"):
        schema["description"] = str(prop["description"])
    schema["x-hubspot-type"] = str(prop.get("type") or "string")
    schema["x-hubspot-field-type"] = prop.get("fieldType")
    if prop.get("options"):
        schema["x-hubspot-options"] = [
            {"label": o.get("label"), "value": o.get("value")} for o in prop["options"]
        ]
    schema["x-hubspot-has-unique-value"] = bool(prop.get("hasUniqueValue", False))
    return schema


def object_schema(properties: list[dict[str, Any]]) -> dict[str, Any]:
    """The stream schema of an object type from its ``/crm/v3/properties`` list."""
    props: dict[str, Any] = {
        "id": {"type": ["string"]},
        "createdAt": _DATETIME,
        "updatedAt": _DATETIME,
        "archived": {"type": ["boolean", "null"]},
        "archivedAt": _DATETIME,
    }
    for prop in sorted(properties, key=lambda p: str(p["name"])):
        name = str(prop["name"])
        if name in ENVELOPE:
            LOGGER.warning("HubSpot property %r shadows a record field; not emitted", name)
            continue
        props[name] = property_schema(prop)
    props[ASSOCIATIONS] = ASSOCIATIONS_SCHEMA
    props[DELETED_AT] = _DATETIME
    return {"type": "object", "properties": props, "required": ["id"]}


def _number(value: Any) -> int | float | None:
    if isinstance(value, str) and 0 < len(value) < 19 and value.isascii() and value.isdigit():
        return int(value)  # the common case (ids, counts) without a Decimal
    number = HUBSPOT.decode(value, Kind.NUMBER)
    if not isinstance(number, Decimal):
        return None
    if number == number.to_integral_value() and abs(number) < Decimal(2**63):
        return int(number)
    return float(number)


def _bool(value: Any) -> bool | None:
    flag = HUBSPOT.decode(value, Kind.BOOL)
    return flag if isinstance(flag, bool) else None


def _date(value: Any) -> str | None:
    day = HUBSPOT.decode(value, Kind.DATE)  # YYYY-MM-DD, epoch ms or a midnight-UTC datetime
    return day.isoformat() if isinstance(day, date) else None


def normalize_datetime(value: Any) -> str | None:
    """ISO 8601 UTC with milliseconds (``2024-01-01T00:00:00.000Z``), or None."""
    if isinstance(value, str) and _CANONICAL_DATETIME.fullmatch(value):
        return value
    stamp = HUBSPOT.decode(value, Kind.DATETIME)
    return HUBSPOT.format_datetime(stamp) if isinstance(stamp, datetime) else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


_CONVERTERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.NUMBER: _number,
    Kind.BOOL: _bool,
    Kind.DATE: _date,
    Kind.DATETIME: normalize_datetime,
}


class RecordShaper:
    """Turns API records (``{"id", "properties", ...}``) into flat, typed stream records."""

    def __init__(self, schema: dict[str, Any], object_name: str) -> None:
        self.object_name = object_name
        self.converters: dict[str, Callable[[Any], Any]] = {}
        for name, prop in schema["properties"].items():
            if "x-hubspot-type" in prop:
                kind = hs_kind(str(prop["x-hubspot-type"]), prop.get("x-hubspot-field-type"))
                self.converters[name] = _CONVERTERS.get(kind, _text)

    def shape(self, raw: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": str(raw["id"]),
            "createdAt": normalize_datetime(raw.get("createdAt")),
            "updatedAt": normalize_datetime(raw.get("updatedAt")),
            "archived": bool(raw.get("archived", False)),
            "archivedAt": normalize_datetime(raw.get("archivedAt")),
        }
        for name, value in (raw.get("properties") or {}).items():
            convert = self.converters.get(name)
            if convert is None:
                continue  # not in the catalog (or shadowing an envelope field)
            try:
                record[name] = convert(value)
            except ConversionError as exc:
                LOGGER.warning(
                    "%s %s: property %s value %r kept as null: %s",
                    self.object_name, record["id"], name, value, exc,
                )  # fmt: skip
                record[name] = None
        if record["archived"]:
            record[DELETED_AT] = record["archivedAt"] or record["updatedAt"]
        return record
