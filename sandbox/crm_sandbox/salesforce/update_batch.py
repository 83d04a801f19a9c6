"""A list update (sObject Collections, Bulk ingest) written set-based.

Record by record, an update costs a read of its row, a query per unique field it sets,
one ``UPDATE`` and, when it moves a roll-up's input, a refresh of the parents: for an
id write-back of 200 records, 600 statements. A batch reads every row in one query,
the holders of every unique value it sets in one more, checks each record in order
against those maps (kept in step with the records before it, see
:class:`~crm_sandbox.salesforce.row_checks.BatchChecks`), and writes the rows with one
``executemany`` per set of changed columns and the roll-ups once at the end. The
outcome, record by record, is the one the sequential path gives; a list it could not
answer that way (two entries for one record, a parent named by external id) takes the
sequential path.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from crm_sandbox.salesforce.calculated import refresh_rollups, rollup_inputs, rollup_parents
from crm_sandbox.salesforce.derived import AUDIT_FIELDS, DERIVING_OBJECTS
from crm_sandbox.salesforce.row_checks import BatchChecks
from crm_sandbox.salesforce.values import normalize_id

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from crm_sandbox.salesforce.schema import ObjectDef, SchemaRegistry
    from crm_sandbox.salesforce.store import _Prepared

_CHUNK = 500


class UpdateBatch:
    """The held-back writes and prefetched rows of one list update."""

    def __init__(self, schema: SchemaRegistry, items: Sequence[_Prepared]) -> None:
        self.schema = schema
        self.items = items
        self.rows: dict[str, dict[str, Any]] = {}
        self.checks: BatchChecks | None = None
        self._conn: sqlite3.Connection | None = None
        self._held: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = defaultdict(list)
        self._parents: dict[str, tuple[ObjectDef, list[str]]] = {}
        self.idents: list[str | None] = []
        """Each item's normalized ``Id`` (None: malformed, absent, or a refused item)."""
        self._uniques: dict[str, frozenset[str]] = {}

    def unique_fields(self, obj: ObjectDef) -> frozenset[str]:
        """The unique fields of ``obj`` but ``Id`` (asked once a batch)."""
        found = self._uniques.get(obj.name)
        if found is None:
            found = self._uniques[obj.name] = frozenset(
                n for n, f in obj.fields.items() if f.unique and n != "Id"
            )
        return found

    @classmethod
    def of(cls, schema: SchemaRegistry, items: Sequence[_Prepared]) -> UpdateBatch | None:
        """A batch for ``items``, or None when they need the sequential path: a record
        named twice (the second sees the first's write), a parent given by external id,
        a unique value that is not text."""
        batch = cls(schema, items)
        seen: set[str] = set()
        for item in items:
            batch.idents.append(None)
            if item.error is not None:
                continue
            if item.refs:
                return None
            ident = normalize_id(str(item.values.get("Id") or ""))
            if ident is not None:
                if ident in seen:
                    return None
                seen.add(ident)
                batch.idents[-1] = ident
            obj = item.obj
            if obj is not None:
                for name in batch.unique_fields(obj).intersection(item.values):
                    value = item.values[name]
                    if value is not None and not isinstance(value, str):
                        return None
        return batch

    def start(self, conn: sqlite3.Connection) -> None:
        """Read the rows the list names and the holders of the unique values it sets."""
        self._conn = conn
        self.checks = BatchChecks(conn, self.flush)
        by_object: dict[str, list[str]] = defaultdict(list)
        unique: dict[tuple[str, str], set[str]] = defaultdict(set)
        objects: dict[str, ObjectDef] = {}
        written: dict[str, set[str]] = defaultdict(set)
        """Field names each object's items set."""
        for item, ident in zip(self.items, self.idents, strict=True):
            if item.error is not None:
                continue
            if ident is not None:
                by_object[ident[:3]].append(ident)
            if item.obj is not None:
                objects[item.obj.name] = item.obj
                written[item.obj.name].update(item.values)
                for name in self.unique_fields(item.obj).intersection(item.values):
                    value = item.values[name]
                    if isinstance(value, str):
                        unique[(item.obj.name, name)].add(value)
        for prefix, ids in by_object.items():
            obj = self.schema.by_key_prefix(prefix)
            if obj is None:
                continue
            columns = self._columns(obj, written[obj.name])
            for begin in range(0, len(ids), _CHUNK):
                chunk = ids[begin : begin + _CHUNK]
                # plain tuples zipped with the column names: a dict a row at C speed
                cursor = conn.cursor()
                cursor.row_factory = None
                try:
                    marks = ", ".join("?" * len(chunk))
                    cursor.execute(
                        f'SELECT {columns} FROM "{obj.table}" WHERE "Id" IN ({marks})', chunk
                    )
                    names = [d[0] for d in cursor.description]
                    for values in cursor.fetchall():
                        row = dict(zip(names, values, strict=True))
                        self.rows[row["Id"]] = row
                finally:
                    cursor.close()
        for (name_of_object, name), values in unique.items():
            self.checks.read_holders(objects[name_of_object], name, values)

    def _columns(self, obj: ObjectDef, written: set[str]) -> str:
        """The columns of ``obj`` a batch's update can read or change: the fields it sets,
        the audit fields, the required fields (checked on every row), the roll-ups'
        inputs; every column when :func:`derive` computes fields of ``obj``. The rest
        stay out of the row (an id write-back sets 1 of Project__c's ~30)."""
        if obj.name in DERIVING_OBJECTS:
            return "*"
        wanted = {
            *written,
            *AUDIT_FIELDS,
            "Id",
            "IsDeleted",
            *(f.name for f in obj.required_fields),
            *rollup_inputs(self.schema, obj),
        }
        stored = [f.name for f in obj.stored_fields if f.name in wanted]
        return ", ".join(f'"{name}"' for name in ["_rowid", *stored])

    def hold(
        self, obj: ObjectDef, before: dict[str, Any], row: dict[str, Any], changed: list[str]
    ) -> None:
        """Keep one record's write for :meth:`flush`; note what it moves."""
        self._held[(obj.table, tuple(changed))].append((*(row[c] for c in changed), row["_rowid"]))
        assert self.checks is not None
        for name in changed:
            if obj.fields[name].unique:
                self.checks.moved(obj, name, row["_rowid"], row["Id"], before.get(name), row[name])
        if rollup_inputs(self.schema, obj).intersection(changed):
            parents = self._parents.setdefault(obj.name, (obj, []))[1]
            parents.extend(rollup_parents(self.schema, obj, before, row))

    def flush(self) -> None:
        """Write the held-back rows: one statement per table and set of changed columns."""
        assert self._conn is not None
        for (table, columns), params in self._held.items():
            self._conn.executemany(
                f'UPDATE "{table}" SET '
                + ", ".join(f'"{c}" = ?' for c in columns)
                + ' WHERE "_rowid" = ?',
                params,
            )
        self._held.clear()

    def finish(self, conn: sqlite3.Connection) -> None:
        """Flush, then recompute the roll-ups every moved input feeds, once per parent."""
        self.flush()
        for obj, parents in self._parents.values():
            refresh_rollups(conn, self.schema, obj, parents)
        self._parents.clear()
