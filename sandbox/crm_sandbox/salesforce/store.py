"""The org's records in SQLite: DML with Salesforce's validation and per-record results.

One table per sObject (``sobj_<Name>``, see README.md), a log of deletions for
getDeleted, and server-maintained Id / audit fields / IsDeleted. Knows nothing of HTTP:
whole-request problems raise :class:`SalesforceError`, per-record ones become
:class:`SaveResult` values with :class:`RecordError` entries, in input order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crm_sandbox.core.ids import salesforce_id
from crm_sandbox.salesforce.calculated import (
    refresh_rollups,
    rollup_inputs,
    rollup_parents,
    row_columns,
)
from crm_sandbox.salesforce.derived import derive
from crm_sandbox.salesforce.errors import (
    ROLLED_BACK_MESSAGE,
    RecordError,
    RecordFailed,
    SalesforceError,
)
from crm_sandbox.salesforce.org import organization_row
from crm_sandbox.salesforce.row_checks import RowChecks
from crm_sandbox.salesforce.schema import FieldDef, ObjectDef, SchemaRegistry
from crm_sandbox.salesforce.update_batch import UpdateBatch
from crm_sandbox.salesforce.values import format_datetime, normalize_id, to_store, to_wire

if TYPE_CHECKING:
    import sqlite3

    from crm_sandbox.core.clock import Clock
    from crm_sandbox.core.db import Database

REFUSAL = RecordError(
    "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    "Record refused by validation rule Sandbox_Refusal (fault injection)",
)
DELETED_LOG = "sf_deleted_log"
"""The table of deletions (object, id, deleted_date) getDeleted reads."""
_LOG_TABLE = DELETED_LOG


@dataclass
class SaveResult:
    """One record's outcome (SaveResult / UpsertResult / DeleteResult)."""

    id: str | None
    success: bool
    errors: list[RecordError] = field(default_factory=list)
    created: bool | None = None
    """Set for upserts only."""

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "success": self.success}
        body["errors"] = [e.as_json() for e in self.errors]
        if self.created is not None:
            body["created"] = self.created
        return body

    @classmethod
    def failed(cls, error: RecordError, record_id: str | None = None) -> SaveResult:
        return cls(record_id, False, [error])


class MultipleMatches(Exception):
    """An upsert or external-id read matched several records."""

    def __init__(self, obj: ObjectDef, ids: list[str]) -> None:
        super().__init__(f"{len(ids)} {obj.name} records match")
        self.obj = obj
        self.ids = ids


class _Rollback(Exception):
    pass


class SalesforceStore:
    """Records of one org. Thread-safe through the Database lock."""

    def __init__(
        self,
        db: Database,
        schema: SchemaRegistry,
        clock: Clock,
        user_id: str,
        refuse: Callable[[], bool] | None = None,
        org_id: str | None = None,
    ) -> None:
        self.db = db
        self.schema = schema
        self.clock = clock
        self.user_id = user_id
        self.org_id = org_id
        """The org's Id: with it, the store keeps the org's one Organization record."""
        self.refuse = refuse or (lambda: False)
        self._next_seq: dict[str, int] = {}
        self.ensure_tables()

    # ---- tables -------------------------------------------------------------------------

    def ensure_tables(self) -> None:
        with self.db.transaction() as conn:
            for obj in self.schema.objects():
                conn.execute(_create_table_sql(obj))
                _add_missing_columns(conn, obj)
                lookups = {
                    f.rollup.lookup for _, f in self.schema.rollups_over(obj.name) if f.rollup
                }
                for sql in _index_sql(obj, lookups):
                    conn.execute(sql)
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{_LOG_TABLE}" (object TEXT NOT NULL, '
                "id TEXT NOT NULL, deleted_date TEXT NOT NULL)"
            )
            conn.execute(
                f'CREATE INDEX IF NOT EXISTS "ix_{_LOG_TABLE}" ON "{_LOG_TABLE}" '
                "(object, deleted_date)"
            )
        self._ensure_integration_user()
        self._ensure_organization()

    def reset(self) -> None:
        """Drop every record (a freshly provisioned org keeps only its integration user)."""
        with self.db.transaction() as conn:
            for obj in self.schema.objects():
                conn.execute(f'DROP TABLE IF EXISTS "{obj.table}"')
            conn.execute(f'DROP TABLE IF EXISTS "{_LOG_TABLE}"')
            conn.execute("DELETE FROM sqlite_sequence")
        self._next_seq.clear()
        self.ensure_tables()

    def _ensure_integration_user(self) -> None:
        user = self.schema.object("User")
        if user is None:
            return
        with self.db.transaction() as conn:
            found = conn.execute(
                f'SELECT 1 FROM "{user.table}" WHERE "Id" = ?', (self.user_id,)
            ).fetchone()
            if found:
                return
            now = format_datetime(self.clock.now())
            row = {
                "Id": self.user_id,
                "Username": "integration@crm-sync.sandbox",
                "FirstName": "Integration",
                "LastName": "User",
                "Name": "Integration User",
                "Email": "integration@crm-sync.sandbox",
                "Alias": "integ",
                "CommunityNickname": "integration",
                "IsActive": 1,
                "TimeZoneSidKey": "America/Los_Angeles",
                "LocaleSidKey": "en_US",
                "EmailEncodingKey": "UTF-8",
                "LanguageLocaleKey": "en_US",
                **self._audit(now, created=True),
            }
            self.insert_rows(user, [row])

    def _ensure_organization(self) -> None:
        org = self.schema.object("Organization")
        if org is None or self.org_id is None:
            return
        with self.db.transaction() as conn:
            found = conn.execute(
                f'SELECT 1 FROM "{org.table}" WHERE "Id" = ?', (self.org_id,)
            ).fetchone()
        if not found:
            now = format_datetime(self.clock.now())
            row = {**organization_row(self.org_id), **self._audit(now, created=True)}
            self.insert_rows(org, [row])

    def _audit(self, now: str, *, created: bool) -> dict[str, Any]:
        values = {"LastModifiedDate": now, "SystemModstamp": now, "LastModifiedById": self.user_id}
        if created:
            values.update(CreatedDate=now, CreatedById=self.user_id, IsDeleted=0)
        return values

    # ---- raw access (seeding, queries) ------------------------------------------------------

    def object(self, name: str) -> ObjectDef:
        """The object named ``name`` or the 404 NOT_FOUND Salesforce gives for an unknown one."""
        obj = self.schema.object(name)
        if obj is None:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        return obj

    def next_sequence(self, obj: ObjectDef, conn: sqlite3.Connection) -> int:
        """The next ``_rowid`` (and Id) of ``obj``, cached within one write only.

        Another process may have inserted rows since (the CLI seeding a data directory
        whose server did not answer in time), so every write starts from MAX(_rowid).
        """
        seq = self._next_seq.get(obj.name)
        if seq is None:
            top = conn.execute(f'SELECT MAX("_rowid") FROM "{obj.table}"').fetchone()[0]
            seq = (top or 0) + 1
        self._next_seq[obj.name] = seq + 1
        return seq

    def insert_rows(
        self, obj: ObjectDef, rows: Iterable[dict[str, Any]], *, rollups: bool = True
    ) -> list[str]:
        """Insert stored-form rows as given (no validation); assign missing Ids. For seeding.

        ``rollups=False`` leaves the roll-ups over these rows to :meth:`refresh_rollups`
        (one pass after many chunks).
        """
        columns = [f.name for f in obj.stored_fields]
        rollup_columns = {f.name for f in obj.stored_fields if f.rollup is not None}
        sql = (
            f'INSERT INTO "{obj.table}" ("_rowid", '
            + ", ".join(f'"{c}"' for c in columns)
            + ") VALUES (?, "
            + ", ".join("?" for _ in columns)
            + ")"
        )
        booleans = {c for c, f in obj.fields.items() if f.type == "boolean"}
        zeroed = booleans | rollup_columns
        lookups = [f.rollup.lookup for _, f in self.schema.rollups_over(obj.name) if f.rollup]
        self._next_seq.clear()
        ids: list[str] = []
        params = []
        parents: list[str] = []
        with self.db.transaction() as conn:
            for row in rows:
                seq = self.next_sequence(obj, conn)
                row.setdefault("Id", salesforce_id(obj.key_prefix, seq))
                ids.append(row["Id"])
                params.append(
                    (
                        seq,
                        *((row.get(c) or 0) if c in zeroed else row.get(c) for c in columns),
                    )
                )
                parents.extend(row[name] for name in lookups if row.get(name))
            conn.executemany(sql, params)
            if rollups:
                refresh_rollups(conn, self.schema, obj, parents)
        return ids

    def refresh_rollups(self, child: ObjectDef) -> None:
        """Recompute every roll-up over ``child`` records (after bulk inserts)."""
        with self.db.transaction() as conn:
            refresh_rollups(conn, self.schema, child, None)

    def fetch_row(self, obj: ObjectDef, record_id: str) -> dict[str, Any] | None:
        """The stored row with Id ``record_id`` (deleted or not), or None."""
        with self.db.reading() as conn:
            row = conn.execute(
                f'SELECT {row_columns(obj)} FROM "{obj.table}" AS t WHERE "Id" = ?', (record_id,)
            ).fetchone()
        return dict(row) if row else None

    def find_by_field(self, obj: ObjectDef, fdef: FieldDef, value: Any) -> list[dict[str, Any]]:
        """Live rows whose ``fdef`` equals ``value`` (case-insensitive, as idLookup matches)."""
        if fdef.type == "id":
            ident = normalize_id(str(value))
            found = self.fetch_row(obj, ident) if ident else None
            return [found] if found and not found["IsDeleted"] else []
        with self.db.reading() as conn:
            rows = conn.execute(
                f'SELECT {row_columns(obj)} FROM "{obj.table}" AS t '
                f'WHERE "{fdef.name}" = ? COLLATE NOCASE AND "IsDeleted" = 0 ORDER BY "_rowid"',
                (str(value),),
            ).fetchall()
        return [dict(r) for r in rows]

    def wire_record(
        self, obj: ObjectDef, row: dict[str, Any], version: str, fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """A row as the REST API returns it, with ``attributes`` first."""
        record: dict[str, Any] = {
            "attributes": {
                "type": obj.name,
                "url": f"/services/data/v{version}/sobjects/{obj.name}/{row['Id']}",
            }
        }
        names = fields if fields is not None else list(obj.fields)
        for name in names:
            fdef = obj.field(name)
            if fdef is not None:
                record[fdef.name] = to_wire(fdef, row.get(fdef.name))
        return record

    def resolve_fields(self, obj: ObjectDef, spec: str | None) -> list[str] | None:
        """Field names of a ``fields=a,b`` parameter (400 INVALID_FIELD for unknown ones)."""
        if not spec:
            return None
        names = []
        for raw in (p.strip() for p in spec.split(",")):
            if not raw:
                continue
            fdef = obj.field(raw)
            if fdef is None:
                raise SalesforceError(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{raw}' on entity '{obj.name}'. If you are attempting to "
                    "use a custom field, be sure to append the '__c' after the custom field "
                    "name. Please reference your WSDL or the describe call for the "
                    "appropriate names.",
                )
            names.append(fdef.name)
        return names

    # ---- per-record writes --------------------------------------------------------------------

    def create(self, sobject: str, values: dict[str, Any]) -> SaveResult:
        """Insert one record (POST sobjects/{O}); failures come back in the result."""
        return self.create_many(sobject, [values], refusals=False)[0]

    def update(self, sobject: str, record_id: str, values: dict[str, Any]) -> SaveResult:
        """Update one record (PATCH sobjects/{O}/{id})."""
        body = {k: v for k, v in values.items() if k.lower() != "id"}
        body["Id"] = record_id
        return self.update_many(sobject, [body], refusals=False)[0]

    def upsert(
        self, sobject: str, ext_field: str, ext_value: str, values: dict[str, Any]
    ) -> SaveResult:
        """Upsert one record by an idLookup field; MultipleMatches when several match."""
        obj = self.object(sobject)
        fdef = self.upsert_field(obj, ext_field)
        if fdef.name != "Id":
            matches = self.find_by_field(obj, fdef, ext_value)
            if len(matches) > 1:
                raise MultipleMatches(obj, [m["Id"] for m in matches])
        body = {k: v for k, v in values.items() if k.lower() != fdef.name.lower()}
        body[fdef.name] = ext_value
        return self.upsert_many(sobject, fdef.name, [body], refusals=False)[0]

    def delete(self, record_id: str) -> SaveResult:
        """Move one record to the recycle bin."""
        return self.delete_many([record_id], refusals=False)[0]

    # ---- list writes (collections, bulk ingest) ------------------------------------------------

    def create_many(
        self,
        sobject: str | None,
        records: Sequence[dict[str, Any]],
        *,
        all_or_none: bool = False,
        refusals: bool = True,
    ) -> list[SaveResult]:
        """Insert records; ``sobject`` None takes each record's ``attributes.type``."""
        prepared = [self._prepare(sobject, rec, "create") for rec in records]
        return self._run(prepared, all_or_none, refusals, self._insert_one)

    def update_many(
        self,
        sobject: str | None,
        records: Sequence[dict[str, Any]],
        *,
        all_or_none: bool = False,
        refusals: bool = True,
    ) -> list[SaveResult]:
        """Update records identified by their ``Id`` (or ``id``) value (set-based when the
        list allows it, see :mod:`~crm_sandbox.salesforce.update_batch`)."""
        prepared = [self._prepare(sobject, rec, "update") for rec in records]
        batch = UpdateBatch.of(self.schema, prepared)
        if batch is None:
            return self._run(prepared, all_or_none, refusals, self._update_one)

        def write(conn: sqlite3.Connection, item: _Prepared, now: str) -> SaveResult:
            return self._update_one(conn, item, now, batch)

        return self._run(prepared, all_or_none, refusals, write, batch)

    def upsert_many(
        self,
        sobject: str,
        ext_field: str,
        records: Sequence[dict[str, Any]],
        *,
        all_or_none: bool = False,
        refusals: bool = True,
    ) -> list[SaveResult]:
        """Insert or update by ``ext_field`` (an external id, idLookup field or ``Id``)."""
        obj = self.object(sobject)
        fdef = self.upsert_field(obj, ext_field)
        prepared = [self._prepare(obj.name, rec, "upsert", fdef) for rec in records]
        return self._run(prepared, all_or_none, refusals, self._upsert_one)

    def delete_many(
        self, ids: Sequence[str], *, all_or_none: bool = False, refusals: bool = True
    ) -> list[SaveResult]:
        """Delete records of any object by Id (to the recycle bin)."""
        prepared = [_Prepared(None, {}, {"Id": i}, None, None) for i in ids]
        return self._run(prepared, all_or_none, refusals, self._delete_one)

    def upsert_field(self, obj: ObjectDef, name: str) -> FieldDef:
        fdef = obj.field(name)
        if fdef is None or not (fdef.id_lookup or fdef.external_id):
            raise SalesforceError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {name}",
            )
        return fdef

    # ---- machinery ------------------------------------------------------------------------------

    def _run(
        self,
        prepared: list[_Prepared],
        all_or_none: bool,
        refusals: bool,
        write: Callable[[sqlite3.Connection, _Prepared, str], SaveResult],
        batch: UpdateBatch | None = None,
    ) -> list[SaveResult]:
        results: list[SaveResult] = []
        now = format_datetime(self.clock.now())
        self._next_seq.clear()
        try:
            with self.db.transaction() as conn:
                if batch is not None:
                    batch.start(conn)
                for item in prepared:
                    if item.error is not None:
                        results.append(SaveResult.failed(item.error))
                        continue
                    if refusals and self.refuse():
                        results.append(SaveResult.failed(REFUSAL))
                        continue
                    try:
                        results.append(write(conn, item, now))
                    except RecordFailed as failed:
                        results.append(SaveResult.failed(failed.error))
                if batch is not None:
                    batch.finish(conn)
                if all_or_none and not all(r.success for r in results):
                    raise _Rollback
        except _Rollback:
            self._next_seq.clear()
            rolled = RecordError("ALL_OR_NONE_OPERATION_ROLLED_BACK", ROLLED_BACK_MESSAGE)
            results = [r if not r.success else SaveResult.failed(rolled) for r in results]
        return results

    def _prepare(
        self, sobject: str | None, raw: dict[str, Any], op: str, ext: FieldDef | None = None
    ) -> _Prepared:
        """Map field names and convert values; request-level errors raise right away."""
        if not isinstance(raw, dict):
            raise SalesforceError(400, "JSON_PARSER_ERROR", "Expected an sObject record")
        attributes = raw.get("attributes") or {}
        name = sobject or attributes.get("type")
        if not name:
            raise SalesforceError(400, "INVALID_TYPE", "Must send a concrete entity type.", [])
        obj = self.schema.object(name)
        if obj is None:
            raise SalesforceError(400, "INVALID_TYPE", f"sObject type '{name}' is not supported.")
        values: dict[str, Any] = {}
        refs: dict[str, tuple[FieldDef, dict[str, Any]]] = {}
        error: RecordError | None = None
        for key, value in raw.items():
            if key == "attributes":
                continue
            fdef = obj.field(key)
            if fdef is None:
                rel = obj.relationship(key)
                if rel is not None and isinstance(value, dict):
                    refs[rel.name] = (rel, value)
                    continue
                raise SalesforceError(
                    400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {obj.name}"
                )
            if fdef.name == "Id" and op in ("update", "upsert"):
                values["Id"] = value
                continue
            try:
                values[fdef.name] = to_store(fdef, value)
            except RecordFailed as failed:
                error = error or failed.error
        return _Prepared(obj, refs, values, ext, error)

    def _locate(
        self, conn: sqlite3.Connection, record_id: Any, batch: UpdateBatch | None = None
    ) -> tuple[ObjectDef, dict]:
        ident = normalize_id(str(record_id or ""))
        if not record_id:
            raise RecordFailed(
                RecordError("MISSING_ARGUMENT", "Id not specified in an update call")
            )
        if ident is None:
            raise RecordFailed(RecordError("MALFORMED_ID", f"malformed id {record_id}"))
        obj = self.schema.by_key_prefix(ident[:3])
        if obj is None:
            row = None
        elif batch is not None:
            row = batch.rows.get(ident)
        else:
            row = conn.execute(f'SELECT * FROM "{obj.table}" WHERE "Id" = ?', (ident,)).fetchone()
        if obj is None or row is None:
            raise RecordFailed(
                RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
            )
        if row["IsDeleted"]:
            raise RecordFailed(RecordError("ENTITY_IS_DELETED", "entity is deleted"))
        # a batch's row (a dict read for this one record: a batch names each record once)
        # is the caller's to change; a sqlite3.Row becomes one
        return obj, row if batch is not None else dict(row)

    def _check_writable(self, obj: ObjectDef, values: dict[str, Any], op: str) -> None:
        flag = "createable" if op == "create" else "updateable"
        if op == "create" and "Id" in values:
            raise RecordFailed(
                RecordError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "Record ID: cannot specify Id in an insert call",
                    ["Id"],
                )
            )
        bad = [n for n in values if n != "Id" and not getattr(obj.fields[n], flag)]
        if bad:
            raise RecordFailed(
                RecordError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {', '.join(bad)}. Please check the "
                    "security settings of this field and verify that it is read/write for "
                    "your profile or permission set.",
                    bad,
                )
            )

    def _resolve_refs(self, conn: sqlite3.Connection, item: _Prepared) -> None:
        """``Account__r: {"Ext__c": "x"}`` in a body: the lookup by the parent's external id."""
        for fdef, spec in item.refs.values():
            parent = self.schema.object(fdef.reference_to[0])
            keys = [k for k in spec if k != "attributes"]
            pfield = parent.field(keys[0]) if parent and len(keys) == 1 else None
            if parent is None or pfield is None or not (pfield.id_lookup or pfield.external_id):
                raise RecordFailed(
                    RecordError(
                        "INVALID_FIELD",
                        f"Invalid foreign key relationship name {fdef.relationship_name}",
                    )
                )
            matches = conn.execute(
                f'SELECT "Id" FROM "{parent.table}" WHERE "{pfield.name}" = ? COLLATE NOCASE '
                'AND "IsDeleted" = 0 LIMIT 2',
                (str(spec[keys[0]]),),
            ).fetchall()
            if len(matches) != 1:
                what = "not found" if not matches else "matched more than one record"
                raise RecordFailed(
                    RecordError(
                        "INVALID_FIELD",
                        f"Foreign key external ID: {spec[keys[0]]} {what} for field "
                        f"{pfield.name} in entity {parent.name}",
                    )
                )
            item.values[fdef.name] = matches[0]["Id"]

    def _check_row(
        self,
        conn: sqlite3.Connection,
        obj: ObjectDef,
        row: dict[str, Any],
        changed: Iterable[str],
        checks: RowChecks | None = None,
    ) -> None:
        """Required fields, lookups and unique values of a row about to be written."""
        missing = [f.name for f in obj.required_fields if row.get(f.name) is None]
        if missing:
            raise RecordFailed(
                RecordError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(missing)}]",
                    missing,
                )
            )
        for name in changed:
            fdef = obj.fields[name]
            value = row.get(name)
            if value is None:
                continue
            if fdef.type == "reference":
                self._check_reference(checks or RowChecks(conn), fdef, value)
            if fdef.unique:
                dup = (checks or RowChecks(conn)).holder(obj, name, value, row.get("Id") or "")
                if dup:
                    raise RecordFailed(
                        RecordError(
                            "DUPLICATE_VALUE",
                            f"duplicate value found: {name} duplicates value on record with "
                            f"id: {dup}",
                        )
                    )

    def _check_reference(self, checks: RowChecks, fdef: FieldDef, value: str) -> None:
        targets = [t for t in (self.schema.object(n) for n in fdef.reference_to) if t]
        target = next((t for t in targets if t.key_prefix == value[:3]), None)
        if target is None:
            raise RecordFailed(
                RecordError(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"{fdef.label}: id value of incorrect type: {value}",
                    [fdef.name],
                )
            )
        deleted = checks.deleted(target, value)
        if deleted is None:
            raise RecordFailed(
                RecordError(
                    "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [fdef.name]
                )
            )
        if deleted:
            raise RecordFailed(RecordError("ENTITY_IS_DELETED", "entity is deleted", [fdef.name]))

    def _insert_one(self, conn: sqlite3.Connection, item: _Prepared, now: str) -> SaveResult:
        obj = item.obj
        assert obj is not None
        if not obj.createable:
            raise RecordFailed(
                RecordError(
                    "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                    f"entity type cannot be inserted: {obj.label}",
                )
            )
        self._resolve_refs(conn, item)
        values = item.values
        self._check_writable(obj, values, "create")
        row: dict[str, Any] = {}
        for fdef in obj.fields.values():
            if fdef.name in values:
                row[fdef.name] = values[fdef.name]
            elif fdef.default_picklist_value is not None:
                row[fdef.name] = fdef.default_picklist_value
            elif fdef.type == "boolean":
                row[fdef.name] = int(bool(fdef.default_value))
        if "OwnerId" in obj.fields and row.get("OwnerId") is None:
            row["OwnerId"] = self.user_id
        row.update(self._audit(now, created=True))
        changed = set(values) | {k for k, f in obj.fields.items() if f.default_picklist_value}
        derive(obj, row, changed | {"FirstName", "LastName"}, now)
        self._check_row(conn, obj, row, changed)
        seq = self.next_sequence(obj, conn)
        row["Id"] = salesforce_id(obj.key_prefix, seq)
        if obj.custom and row.get("Name") is None and "Name" in obj.fields:
            row["Name"] = row["Id"]  # the API names a custom record after its Id
        if obj.name == "Case":
            row["CaseNumber"] = f"{seq:08d}"
        columns = ["_rowid", *row]
        conn.execute(
            f'INSERT INTO "{obj.table}" ('
            + ", ".join(f'"{c}"' for c in columns)
            + ") VALUES ("
            + ", ".join("?" for _ in columns)
            + ")",
            (seq, *row.values()),
        )
        refresh_rollups(conn, self.schema, obj, rollup_parents(self.schema, obj, row))
        return SaveResult(row["Id"], True, [])

    def _update_one(
        self, conn: sqlite3.Connection, item: _Prepared, now: str, batch: UpdateBatch | None = None
    ) -> SaveResult:
        values = dict(item.values)
        obj, row = self._locate(conn, values.pop("Id", None), batch)
        if item.obj is not None and obj.name != item.obj.name:
            raise RecordFailed(
                RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
            )
        item = _Prepared(obj, item.refs, values, None, None)
        self._resolve_refs(conn, item)
        self._write_update(conn, obj, row, item.values, now, batch)
        return SaveResult(row["Id"], True, [])

    def _write_update(
        self,
        conn: sqlite3.Connection,
        obj: ObjectDef,
        row: dict[str, Any],
        values: dict[str, Any],
        now: str,
        batch: UpdateBatch | None = None,
    ) -> None:
        """Check and write one update; a batch holds the write back (:meth:`UpdateBatch.hold`)."""
        self._check_writable(obj, values, "update")
        before = dict(row)
        row.update(values)
        for name in values:
            if obj.fields[name].type == "boolean" and row[name] is None:
                row[name] = 0
        row.update(self._audit(now, created=False))
        derive(obj, row, set(values), now)
        self._check_row(conn, obj, row, values, batch.checks if batch else None)
        was = before.get
        changed = [k for k, v in row.items() if v != was(k)]  # "_rowid" never moves
        if not changed:
            return
        if batch is not None:
            batch.hold(obj, before, row, changed)
            return
        conn.execute(
            f'UPDATE "{obj.table}" SET '
            + ", ".join(f'"{c}" = ?' for c in changed)
            + ' WHERE "_rowid" = ?',
            (*(row[c] for c in changed), row["_rowid"]),
        )
        if rollup_inputs(self.schema, obj).intersection(changed):
            refresh_rollups(conn, self.schema, obj, rollup_parents(self.schema, obj, before, row))

    def _upsert_one(self, conn: sqlite3.Connection, item: _Prepared, now: str) -> SaveResult:
        obj, ext = item.obj, item.ext
        assert obj is not None and ext is not None
        key = item.values.get(ext.name)
        if ext.name == "Id":
            if not key:
                item.values.pop("Id", None)
                result = self._insert_one(conn, item, now)
                result.created = True
                return result
            self._update_one(conn, item, now)
            return SaveResult(normalize_id(str(key)), True, [], created=False)
        if key in (None, ""):
            raise RecordFailed(RecordError("MISSING_ARGUMENT", f"{ext.name} not specified", []))
        matches = conn.execute(
            f'SELECT * FROM "{obj.table}" WHERE "{ext.name}" = ? COLLATE NOCASE '
            'AND "IsDeleted" = 0 LIMIT 2',
            (key,),
        ).fetchall()
        if len(matches) > 1:
            raise RecordFailed(
                RecordError(
                    "DUPLICATE_EXTERNAL_ID",
                    f"{ext.label}: more than one record found for external id field: "
                    f"{[m['Id'] for m in matches]}",
                    [ext.name],
                )
            )
        if not matches:
            result = self._insert_one(conn, item, now)
            result.created = True
            return result
        row = dict(matches[0])
        self._resolve_refs(conn, item)
        values = {k: v for k, v in item.values.items() if k != ext.name}
        self._write_update(conn, obj, row, values, now)
        return SaveResult(row["Id"], True, [], created=False)

    def _delete_one(self, conn: sqlite3.Connection, item: _Prepared, now: str) -> SaveResult:
        obj, row = self._locate(conn, item.values["Id"])
        if not obj.deletable:
            raise RecordFailed(
                RecordError("INVALID_TYPE", f"Cannot delete records of type {obj.name}")
            )
        conn.execute(
            f'UPDATE "{obj.table}" SET "IsDeleted" = 1, "SystemModstamp" = ?, '
            '"LastModifiedById" = ? WHERE "_rowid" = ?',
            (now, self.user_id, row["_rowid"]),
        )
        conn.execute(
            f'INSERT INTO "{_LOG_TABLE}" (object, id, deleted_date) VALUES (?, ?, ?)',
            (obj.name, row["Id"], now),
        )
        refresh_rollups(conn, self.schema, obj, rollup_parents(self.schema, obj, row))
        return SaveResult(row["Id"], True, [])

    # ---- replication --------------------------------------------------------------------------

    def updated_ids(self, obj: ObjectDef, start: str, end: str) -> list[str]:
        """Live records created or changed in [start, end) (stored datetime strings)."""
        with self.db.reading() as conn:
            rows = conn.execute(
                f'SELECT "Id" FROM "{obj.table}" WHERE "SystemModstamp" >= ? '
                'AND "SystemModstamp" < ? AND "IsDeleted" = 0 ORDER BY "SystemModstamp", "Id"',
                (start, end),
            ).fetchall()
        return [r["Id"] for r in rows]

    def deleted_records(self, obj: ObjectDef, start: str, end: str) -> list[tuple[str, str]]:
        """(id, deleted date) of records deleted in [start, end) and still in the bin."""
        with self.db.reading() as conn:
            rows = conn.execute(
                f'SELECT l.id, l.deleted_date FROM "{_LOG_TABLE}" l JOIN "{obj.table}" t '
                'ON t."Id" = l.id AND t."IsDeleted" = 1 '
                "WHERE l.object = ? AND l.deleted_date >= ? AND l.deleted_date < ? "
                "ORDER BY l.deleted_date, l.id",
                (obj.name, start, end),
            ).fetchall()
        return [(r["id"], r["deleted_date"]) for r in rows]

    def earliest_deletion(self, obj: ObjectDef) -> str | None:
        with self.db.reading() as conn:
            row = conn.execute(
                f'SELECT MIN(deleted_date) FROM "{_LOG_TABLE}" WHERE object = ?', (obj.name,)
            ).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        """Live records per object."""
        with self.db.reading() as conn:
            return {
                obj.name: conn.execute(
                    f'SELECT COUNT(*) FROM "{obj.table}" WHERE "IsDeleted" = 0'
                ).fetchone()[0]
                for obj in self.schema.objects()
            }


@dataclass
class _Prepared:
    obj: ObjectDef | None
    refs: dict[str, tuple[FieldDef, dict[str, Any]]]
    values: dict[str, Any]
    ext: FieldDef | None
    error: RecordError | None


def _column_sql(fdef: FieldDef) -> str:
    spec = f'"{fdef.name}" {fdef.sql_type}'
    if fdef.type == "boolean":
        spec += " NOT NULL DEFAULT 0"
    elif fdef.rollup is not None:
        spec += " NOT NULL DEFAULT 0"  # no children: 0 (unverified for SUM)
    return spec


def _create_table_sql(obj: ObjectDef) -> str:
    columns = ['"_rowid" INTEGER PRIMARY KEY AUTOINCREMENT']
    columns += [_column_sql(f) for f in obj.stored_fields]
    return f'CREATE TABLE IF NOT EXISTS "{obj.table}" ({", ".join(columns)})'


def _add_missing_columns(conn: sqlite3.Connection, obj: ObjectDef) -> None:
    """Columns of fields added to the schema since the data directory was made."""
    have = {r[1] for r in conn.execute(f'PRAGMA table_info("{obj.table}")').fetchall()}
    for fdef in obj.stored_fields:
        if fdef.name not in have:
            conn.execute(f'ALTER TABLE "{obj.table}" ADD COLUMN {_column_sql(fdef)}')


def _index_sql(obj: ObjectDef, rollup_lookups: set[str]) -> list[str]:
    table = obj.table
    statements = [
        f'CREATE UNIQUE INDEX IF NOT EXISTS "ix_{table}_Id" ON "{table}" ("Id")',
        f'CREATE INDEX IF NOT EXISTS "ix_{table}_SystemModstamp" ON "{table}" '
        '("SystemModstamp", "Id")',
    ]
    for fdef in obj.stored_fields:
        if fdef.name in rollup_lookups:
            # a roll-up is recomputed on every child write: find the siblings by index
            statements.append(
                f'CREATE INDEX IF NOT EXISTS "ix_{table}_{fdef.name}" ON "{table}" ("{fdef.name}")'
            )
        elif fdef.name != "Id" and (fdef.external_id or fdef.unique or fdef.id_lookup):
            statements.append(
                f'CREATE INDEX IF NOT EXISTS "ix_{table}_{fdef.name}" ON "{table}" '
                f'("{fdef.name}" COLLATE NOCASE)'
            )
    return statements
