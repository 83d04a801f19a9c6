"""Salesforce field types → JSON Schema, and wire values → typed record values.

Every property keeps its Salesforce type as ``x-sf-type``; references also carry
``x-sf-reference-to`` (target objects) and ``x-sf-relationship-name``, so the mapper
can turn lookups into associations without a describe call of its own; formula and
roll-up fields carry ``x-sf-calculated`` (what a mapping's ``refresh: formulas`` re-reads).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from crm_sync.convert import Kind
from crm_sync.convert.codec import SALESFORCE, iso_datetime
from crm_sync.convert.values import utc_millis_prefix

LOGGER = logging.getLogger("tap-salesforce-custom")

STRING_TYPES = frozenset(
    {"id", "string", "textarea", "email", "phone", "url", "picklist", "multipicklist",
     "combobox", "reference", "encryptedstring", "anyType"}
)  # fmt: skip
INTEGER_TYPES = frozenset({"int", "long"})
NUMBER_TYPES = frozenset({"double", "currency", "percent"})
FORMATS = {"date": "date", "datetime": "date-time", "time": "time"}
SKIPPED = {
    "base64": "binary content is served by the blob URL, not by query or Bulk",
    "address": "compound address; its component fields (…Street, …City, …) are synced",
    "location": "compound geolocation; its __Latitude__s/__Longitude__s fields are synced",
}
REPLICATION_KEYS = ("SystemModstamp", "LastModifiedDate", "CreatedDate")
DELETED_AT = "_sdc_deleted_at"


def field_schema(field: dict[str, Any]) -> dict[str, Any] | None:
    """JSON Schema of one describe field, or None (logged) when it is not synced."""
    sf_type = str(field.get("type"))
    name = field.get("name")
    if sf_type in SKIPPED:
        LOGGER.info("Skipping field %s (%s): %s", name, sf_type, SKIPPED[sf_type])
        return None
    if sf_type in STRING_TYPES:
        prop: dict[str, Any] = {"type": "string"}
    elif sf_type == "boolean":
        prop = {"type": "boolean"}
    elif sf_type in INTEGER_TYPES:
        prop = {"type": "integer"}
    elif sf_type in NUMBER_TYPES:
        prop = {"type": "number"}
    elif sf_type in FORMATS:
        prop = {"type": "string", "format": FORMATS[sf_type]}
    else:
        LOGGER.warning("Skipping field %s: unsupported Salesforce type %r", name, sf_type)
        return None
    if field.get("nillable", True):
        prop["type"] = [prop["type"], "null"]
    prop["x-sf-type"] = sf_type
    if sf_type == "reference":
        prop["x-sf-reference-to"] = list(field.get("referenceTo") or [])
        if field.get("relationshipName"):
            prop["x-sf-relationship-name"] = field["relationshipName"]
    if field.get("externalId"):
        prop["x-sf-external-id"] = True
    if field.get("calculated"):
        prop["x-sf-calculated"] = True  # formula or roll-up: changes leave SystemModstamp
    if field.get("label"):
        prop["description"] = str(field["label"])
    return prop


def object_schema(describe: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of an object (its describe), with ``_sdc_deleted_at`` added."""
    props: dict[str, Any] = {}
    for field in describe.get("fields", []):
        prop = field_schema(field)
        if prop is not None:
            props[field["name"]] = prop
    props[DELETED_AT] = {"type": ["string", "null"], "format": "date-time"}
    return {"type": "object", "properties": props, "x-sf-object": describe.get("name")}


def replication_key(schema: dict[str, Any]) -> str | None:
    props = schema.get("properties", {})
    return next((k for k in REPLICATION_KEYS if k in props), None)


# --- values ------------------------------------------------------------------------


def normalize_datetime(value: str) -> str:
    """Any Salesforce datetime (``…000+0000``, ``…Z``) as ``YYYY-MM-DDTHH:MM:SS.mmm+00:00``.

    One fixed-width UTC form, so bookmarks compare correctly as strings. The API's own
    UTC form takes a short cut (a third of the tap's CPU went to the full parse of each
    Bulk row's three or four datetimes): once the calendar check of
    ``datetime.fromisoformat`` accepts its date and time, only the zone suffix changes.
    Anything else, or a date that does not exist, goes through the full parse, which
    gives the same result or error (:func:`normalize_any_datetime`).
    """
    prefix = utc_millis_prefix(value)
    if prefix is not None:
        return prefix + "+00:00"
    return normalize_any_datetime(value)  # which raises the error of a bad value


def normalize_any_datetime(value: str) -> str:
    """:func:`normalize_datetime` without its short cut: any offset, precision or form."""
    stamp = SALESFORCE.decode(value, Kind.DATETIME)
    if not isinstance(stamp, datetime):
        raise ValueError(f"not a datetime: {value!r}")
    return iso_datetime(stamp)


def soql_datetime(value: str) -> str:
    """A bookmark as an unquoted SOQL datetime literal, millisecond precision, UTC."""
    return normalize_datetime(value).replace("+00:00", "Z")


_CELLS: dict[str, Callable[[str], Any]] = {
    "boolean": lambda v: v.lower() == "true",
    **dict.fromkeys(INTEGER_TYPES, lambda v: int(float(v))),
    **dict.fromkeys(NUMBER_TYPES, float),
    "datetime": normalize_datetime,
}
"""How a non-empty CSV cell of each non-text type reads; every other type stays text."""


def converter(sf_type: str) -> Callable[[str], Any]:
    """A function turning a CSV cell (Bulk 2.0 results) into the typed value."""
    cell = _CELLS.get(sf_type)
    if cell is None:
        return lambda v: None if v == "" else v
    return lambda v: None if v == "" else cell(v)


def row_converter(sf_types: Mapping[str, str]) -> Callable[[dict[str, str]], dict[str, Any]]:
    """A function turning a Bulk 2.0 CSV row into the typed record, as :func:`converter`
    does cell by cell: an empty cell is None, the non-text columns are read.

    Text cells are only checked for emptiness, in one pass, and only the few typed
    columns of ``sf_types`` are then converted: converting every cell through its own
    function cost about as much as reading the CSV.
    """
    typed = tuple((name, cell) for name, t in sf_types.items() if (cell := _CELLS.get(t)))

    def convert(row: dict[str, str]) -> dict[str, Any]:
        record: dict[str, Any] = {k: v or None for k, v in row.items()}
        for name, cell in typed:
            value = record.get(name)
            if value is not None:
                record[name] = cell(value)
        return record

    return convert


def json_record(raw: dict[str, Any], datetime_fields: tuple[str, ...]) -> dict[str, Any]:
    """A REST query record as emitted: no ``attributes``, UTC datetimes in one form."""
    raw.pop("attributes", None)
    for name in datetime_fields:
        value = raw.get(name)
        if value:
            raw[name] = normalize_datetime(value)
    return raw
