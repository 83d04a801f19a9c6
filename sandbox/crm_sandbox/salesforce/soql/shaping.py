"""Rows of a compiled query in the wire formats: REST JSON records and Bulk 2.0 CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
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
    return csv_converter(fdef)(stored)


def _csv_text(stored: Any) -> str:
    return "" if stored is None else str(stored)


def _csv_boolean(stored: Any) -> str:
    return "" if stored is None else "true" if stored else "false"


def _csv_integer(stored: Any) -> str:
    return "" if stored is None else str(int(stored))


def _csv_double(stored: Any) -> str:
    return "" if stored is None else repr(float(stored))


def _csv_whole_if_integral(stored: Any) -> str:
    if stored is None:
        return ""
    number = float(stored)
    return str(int(number)) if number.is_integer() else repr(number)


def csv_converter(fdef: FieldDef) -> Callable[[Any], str]:
    """The function :func:`csv_value` applies to values of ``fdef`` (picked once a column)."""
    ftype = fdef.type
    if ftype == "boolean":
        return _csv_boolean
    if ftype in ("int", "long"):
        return _csv_integer
    if ftype == "double":
        return _csv_double
    if ftype in ("currency", "percent"):
        return _csv_whole_if_integral
    return _csv_text


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
    return next(csv_rows(compiled, [row]))


def csv_rows(compiled: CompiledQuery, rows: Iterable[Mapping[str, Any]]) -> Iterator[list[str]]:
    """Bulk 2.0 CSV cells of each row, each column's converter picked once."""
    cells = [(f"c{i}", csv_converter(res.field)) for i, res in enumerate(compiled.fields)]
    for row in rows:
        yield [convert(row[key]) for key, convert in cells]
