"""Rows of a compiled query in the wire formats: REST JSON records and Bulk 2.0 CSV."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_sandbox.salesforce.schema import FieldDef
from crm_sandbox.salesforce.soql.compiler import CompiledQuery


def json_value(fdef: FieldDef, stored: Any) -> Any:
    """Stored value -> REST JSON (datetime ``…000+0000``, booleans, numbers, null)."""
    if stored is None:
        return None
    ftype = fdef.type
    if ftype == "boolean":
        return bool(stored)
    if ftype == "datetime":
        return stored[:-1] + "+0000" if stored.endswith("Z") else stored
    if ftype in ("int", "long"):
        return int(stored)
    if ftype in ("double", "currency", "percent"):
        return float(stored)
    return stored


def csv_value(fdef: FieldDef, stored: Any) -> str:
    """Stored value -> Bulk 2.0 CSV text (empty for null, ``…000Z`` datetimes, true/false)."""
    if stored is None:
        return ""
    ftype = fdef.type
    if ftype == "boolean":
        return "true" if stored else "false"
    if ftype in ("int", "long"):
        return str(int(stored))
    if ftype in ("double", "currency", "percent"):
        number = float(stored)
        return str(int(number)) if number.is_integer() and ftype != "double" else repr(number)
    return str(stored)


def _attributes(sobject: str, record_id: str | None, version: str) -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}"}


def json_record(compiled: CompiledQuery, row: Mapping[str, Any], version: str) -> dict[str, Any]:
    """One REST record: ``attributes`` first, fields in SELECT order, parents nested."""
    record: dict[str, Any] = {"attributes": _attributes(compiled.sobject.name, row["_id"], version)}
    for i, res in enumerate(compiled.fields):
        target: dict[str, Any] | None = record
        for rel_name, join in res.rels:
            assert target is not None
            if rel_name in target:
                target = target[rel_name]
            else:
                parent_id = row[f"_id_{join.alias}"]
                if parent_id is None:
                    target[rel_name] = None
                    target = None
                else:
                    nested = {"attributes": _attributes(join.obj.name, parent_id, version)}
                    if join.polymorphic:  # type Name, url of the real object (unverified)
                        url_obj = join.url_object(parent_id)
                        nested["attributes"]["url"] = (
                            f"/services/data/v{version}/sobjects/{url_obj}/{parent_id}"
                        )
                    target[rel_name] = nested
                    target = nested
            if target is None:
                break
        if target is not None:
            target[res.field.name] = json_value(res.field, row[f"c{i}"])
    return record


def csv_header(compiled: CompiledQuery) -> list[str]:
    """Column names of a Bulk 2.0 result: ``Name``, ``Account__r.Name``."""
    return [".".join(res.path) for res in compiled.fields]


def csv_row(compiled: CompiledQuery, row: Mapping[str, Any]) -> list[str]:
    return [csv_value(res.field, row[f"c{i}"]) for i, res in enumerate(compiled.fields)]
