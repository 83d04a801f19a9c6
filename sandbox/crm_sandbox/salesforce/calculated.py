"""Calculated fields: formula values computed on read, roll-up summaries kept current.

Neither kind bumps ``SystemModstamp``, as in a real org: a formula has no column (its
SQL expression is evaluated wherever the field is read: SOQL, REST, Bulk), and a
roll-up summary is a column the store rewrites whenever a child record that feeds it is
created, changed, deleted, undeleted or reparented, leaving the parent's audit fields
alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from crm_sandbox.salesforce.schema import FieldDef, ObjectDef, SchemaRegistry


FULL_REFRESH_ABOVE = 2_000


def row_columns(obj: ObjectDef, alias: str = "t") -> str:
    """``t.*`` plus every formula field computed, for reading whole rows."""
    extra = "".join(f', {f.sql(alias)} AS "{f.name}"' for f in obj.formula_fields)
    return f"{alias}.*{extra}"


def _aggregate(child: ObjectDef, fdef: FieldDef, parent_table: str) -> str:
    rollup = fdef.rollup
    assert rollup is not None
    value = (
        "count(*)"
        if rollup.function == "COUNT"
        else f'round(sum(c."{rollup.field}"), {fdef.scale})'
    )
    return (
        f'coalesce((SELECT {value} FROM "{child.table}" AS c '
        f'WHERE c."{rollup.lookup}" = "{parent_table}"."Id" AND c."IsDeleted" = 0), 0)'
    )


def refresh_rollups(
    conn: sqlite3.Connection,
    schema: SchemaRegistry,
    child: ObjectDef,
    parent_ids: Iterable[str | None] | None,
) -> None:
    """Recompute the roll-ups over ``child`` on the given parents (None: on every parent)."""
    by_parent: dict[str, tuple[ObjectDef, list[FieldDef]]] = {}
    for parent, fdef in schema.rollups_over(child.name):
        by_parent.setdefault(parent.name, (parent, []))[1].append(fdef)
    ids = None if parent_ids is None else sorted({i for i in parent_ids if i})
    if ids == []:
        return
    if ids is not None and len(ids) > FULL_REFRESH_ABOVE:
        ids = None  # one pass over every parent beats thousands of keyed updates
    for parent, fields in by_parent.values():
        if ids is None:
            _refresh_all(conn, child, parent, fields)
            continue
        sets = ", ".join(f'"{f.name}" = {_aggregate(child, f, parent.table)}' for f in fields)
        sql = f'UPDATE "{parent.table}" SET {sets}'
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            conn.execute(f'{sql} WHERE "Id" IN ({marks})', chunk)


def _refresh_all(
    conn: sqlite3.Connection, child: ObjectDef, parent: ObjectDef, fields: list[FieldDef]
) -> None:
    """Every parent in two statements: grouped aggregates in, zeros where none are left."""
    by_lookup: dict[str, list[FieldDef]] = {}
    for fdef in fields:
        assert fdef.rollup is not None
        by_lookup.setdefault(fdef.rollup.lookup, []).append(fdef)
    table = parent.table
    for lookup, group in by_lookup.items():
        values = ", ".join(
            ("count(*)" if f.rollup and f.rollup.function == "COUNT"
             else f'coalesce(round(sum(c."{f.rollup.field if f.rollup else ""}"), {f.scale}), 0)')
            + f' AS "{f.name}"'
            for f in group
        )  # fmt: skip
        live = f'FROM "{child.table}" AS c WHERE c."IsDeleted" = 0 AND c."{lookup}" IS NOT NULL'
        conn.execute(
            f'UPDATE "{table}" SET '
            + ", ".join(f'"{f.name}" = agg."{f.name}"' for f in group)
            + f' FROM (SELECT c."{lookup}" AS pid, {values} {live} GROUP BY c."{lookup}") AS agg'
            f' WHERE agg.pid = "{table}"."Id"'
        )
        conn.execute(
            f'UPDATE "{table}" SET '
            + ", ".join(f'"{f.name}" = 0' for f in group)
            + f' WHERE "Id" NOT IN (SELECT c."{lookup}" {live}) AND ('
            + " OR ".join(f'"{f.name}" != 0' for f in group)
            + ")"
        )


def rollup_inputs(schema: SchemaRegistry, child: ObjectDef) -> frozenset[str]:
    """The fields of ``child`` the roll-ups over it read: an update that changes none of
    them leaves every parent's roll-ups as they are (an id write-back, a rename)."""
    return schema.rollup_inputs(child.name)


def rollup_parents(schema: SchemaRegistry, child: ObjectDef, *rows: dict | None) -> list[str]:
    """The parent ids the given child rows (before/after a write) point at through roll-ups."""
    lookups = {fdef.rollup.lookup for _, fdef in schema.rollups_over(child.name) if fdef.rollup}
    return [row[name] for row in rows if row for name in lookups if row.get(name)]
