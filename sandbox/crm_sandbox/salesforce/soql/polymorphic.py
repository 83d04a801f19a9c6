"""Polymorphic relationships in SOQL (``Task.Who``, ``Task.What``): the ``Name`` object.

A lookup to several objects is traversed through Salesforce's ``Name`` entity, which
holds the few fields every target has: ``Id``, ``Name`` and ``Type`` (the target's
object name). The sandbox joins a UNION ALL of the targets' id, name field and type.
"""

from __future__ import annotations

from crm_sandbox.salesforce.schema import FieldDef, ObjectDef, SchemaRegistry

NAME_OBJECT = ObjectDef(
    "Name",
    "Name",
    "Names",
    "",
    False,
    {
        "Id": FieldDef("Id", "id", "Record ID", length=18, nillable=False),
        "Name": FieldDef("Name", "string", "Name", length=255),
        "Type": FieldDef("Type", "picklist", "Object Type", length=40),
    },
    createable=False,
    updateable=False,
    deletable=False,
)


def union_sql(fk: FieldDef, schema: SchemaRegistry) -> str:
    """The derived table a polymorphic lookup joins: ``(Id, Name, Type)`` of each target."""
    parts = []
    for target in (schema.object(n) for n in fk.reference_to):
        if target is None:
            continue
        name = target.name_field
        name_sql = name.sql("x") if name is not None else "NULL"
        parts.append(
            f'SELECT x."Id" AS "Id", {name_sql} AS "Name", \'{target.name}\' AS "Type" '
            f'FROM "{target.table}" AS x'
        )
    return "(" + " UNION ALL ".join(parts) + ")"


def target_name(fk: FieldDef, schema: SchemaRegistry, record_id: str) -> str:
    """The object a polymorphic lookup's value points at (by key prefix)."""
    for name in fk.reference_to:
        target = schema.object(name)
        if target is not None and record_id.startswith(target.key_prefix):
            return target.name
    return NAME_OBJECT.name
