"""Undelete from the recycle bin and merge of duplicates (the SOAP ``undelete``/``merge``).

* undelete: a deleted record comes back with ``IsDeleted = false`` and a new
  ``SystemModstamp``; a live or unknown id fails per record.
* merge (Account, Case, Contact, Lead): the master takes the field values given with it; every
  record that looks a loser up is reparented to the master (its ``SystemModstamp``
  bumped); the losers are deleted with ``MasterRecordId`` = the master. Deleted rows stay
  visible to queryAll with ``IsDeleted = true``.

Knows nothing of HTTP or SOAP: routes/soap.py and the control API call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crm_sandbox.salesforce.calculated import refresh_rollups, rollup_parents
from crm_sandbox.salesforce.describe import MERGEABLE
from crm_sandbox.salesforce.errors import RecordError, RecordFailed, SalesforceError
from crm_sandbox.salesforce.store import DELETED_LOG, SaveResult
from crm_sandbox.salesforce.values import format_datetime, normalize_id

if TYPE_CHECKING:
    import sqlite3

    from crm_sandbox.salesforce.schema import FieldDef, ObjectDef
    from crm_sandbox.salesforce.store import SalesforceStore

MAX_MERGED = 2
"""At most two records merge into a master per call (three records in all)."""
_NOT_REPARENTED = {"CreatedById", "LastModifiedById", "OwnerId", "MasterRecordId"}


@dataclass
class MergeResult:
    """The partner WSDL's MergeResult."""

    id: str | None
    success: bool
    errors: list[RecordError] = field(default_factory=list)
    merged_record_ids: list[str] = field(default_factory=list)
    updated_related_ids: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "success": self.success,
            "errors": [e.as_json() for e in self.errors],
            "mergedRecordIds": self.merged_record_ids,
            "updatedRelatedIds": self.updated_related_ids,
        }


class RecycleBin:
    """Undelete and merge over one org's store."""

    def __init__(self, store: SalesforceStore) -> None:
        self.store = store
        self.schema = store.schema

    def _now(self) -> str:
        return format_datetime(self.store.clock.now())

    def _row(self, conn: sqlite3.Connection, raw_id: str) -> tuple[ObjectDef, dict[str, Any]]:
        ident = normalize_id(str(raw_id or ""))
        if ident is None:
            raise RecordFailed(RecordError("MALFORMED_ID", f"malformed id {raw_id}"))
        obj = self.schema.by_key_prefix(ident[:3])
        row = (
            conn.execute(f'SELECT * FROM "{obj.table}" WHERE "Id" = ?', (ident,)).fetchone()
            if obj
            else None
        )
        if obj is None or row is None:
            raise RecordFailed(
                RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
            )
        return obj, dict(row)

    # ---- undelete ---------------------------------------------------------------------------

    def undelete(self, ids: list[str]) -> list[SaveResult]:
        """Restore records from the recycle bin, one result per id in input order."""
        if len(ids) > 200:
            raise SalesforceError(
                400, "LIMIT_EXCEEDED", "Maximum number of ids allowed is 200"
            )  # (unverified) wording
        results: list[SaveResult] = []
        now = self._now()
        with self.store.db.transaction() as conn:
            for raw_id in ids:
                try:
                    results.append(self._undelete_one(conn, raw_id, now))
                except RecordFailed as failed:
                    results.append(SaveResult.failed(failed.error))
        return results

    def _undelete_one(self, conn: sqlite3.Connection, raw_id: str, now: str) -> SaveResult:
        obj, row = self._row(conn, raw_id)
        if not row["IsDeleted"]:
            # (unverified) message of an undelete of a live record
            raise RecordFailed(RecordError("UNDELETE_FAILED", "Entity is not in the recycle bin"))
        if not obj.undeletable:
            raise RecordFailed(
                RecordError("INVALID_TYPE", f"Cannot undelete records of type {obj.name}")
            )
        for fdef in obj.stored_fields:
            if fdef.unique and row.get(fdef.name) is not None:
                self._check_unique(conn, obj, fdef, row)
        conn.execute(
            f'UPDATE "{obj.table}" SET "IsDeleted" = 0, "SystemModstamp" = ?, '
            '"LastModifiedById" = ? WHERE "_rowid" = ?',
            (now, self.store.user_id, row["_rowid"]),
        )
        conn.execute(
            f'DELETE FROM "{DELETED_LOG}" WHERE object = ? AND id = ?', (obj.name, row["Id"])
        )
        refresh_rollups(conn, self.schema, obj, rollup_parents(self.schema, obj, row))
        return SaveResult(row["Id"], True, [])

    @staticmethod
    def _check_unique(
        conn: sqlite3.Connection, obj: ObjectDef, fdef: FieldDef, row: dict[str, Any]
    ) -> None:
        dup = conn.execute(
            f'SELECT "Id" FROM "{obj.table}" WHERE "{fdef.name}" = ? COLLATE NOCASE '
            'AND "IsDeleted" = 0 AND "Id" != ? LIMIT 1',
            (row[fdef.name], row["Id"]),
        ).fetchone()
        if dup:
            raise RecordFailed(
                RecordError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {fdef.name} duplicates value on record with id: "
                    f"{dup['Id']}",
                    [fdef.name],
                )
            )

    # ---- merge ------------------------------------------------------------------------------

    def merge(self, sobject: str, master: dict[str, Any], loser_ids: list[str]) -> MergeResult:
        """Merge ``loser_ids`` into the master (``master["Id"]`` plus fields to set on it)."""
        obj = self.store.object(sobject)
        if obj.name not in MERGEABLE:
            # a whole-call fault, as salesforcer's issue #102 shows for an Opportunity
            raise SalesforceError(
                500, "INVALID_TYPE_FOR_OPERATION", "entity type does not support merge"
            )
        if not loser_ids or len(loser_ids) > MAX_MERGED:
            return _merge_failed(
                "INVALID_ARGUMENT_TYPE",  # (unverified) code
                f"a merge request takes 1 to {MAX_MERGED} records to merge",
            )
        values = {k: v for k, v in master.items() if k.lower() not in ("id", "type", "attributes")}
        master_id = master.get("Id") or master.get("id")
        now = self._now()
        try:
            with self.store.db.transaction() as conn:
                master_obj, master_row = self._row(conn, str(master_id or ""))
                losers = [self._row(conn, raw) for raw in loser_ids]
                self._check_merge(obj, master_obj, master_row, losers)
                if values:  # joins this transaction; a failure rolls the merge back
                    updated = self.store.update_many(
                        obj.name, [{**values, "Id": master_row["Id"]}], refusals=False
                    )[0]
                    if not updated.success:
                        raise RecordFailed(updated.errors[0])
                related: list[str] = []
                for _, loser in losers:
                    related += self._reparent(conn, obj, loser["Id"], master_row["Id"], now)
                    self._delete_merged(conn, obj, loser, master_row["Id"], now)
        except RecordFailed as failed:
            return MergeResult(None, False, [failed.error])
        return MergeResult(master_row["Id"], True, [], [row["Id"] for _, row in losers], related)

    @staticmethod
    def _check_merge(
        obj: ObjectDef,
        master_obj: ObjectDef,
        master_row: dict[str, Any],
        losers: list[tuple[ObjectDef, dict[str, Any]]],
    ) -> None:
        rows = [(master_obj, master_row), *losers]
        if any(o.name != obj.name for o, _ in rows):
            raise RecordFailed(
                RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
            )
        if any(r["IsDeleted"] for _, r in rows):
            raise RecordFailed(RecordError("ENTITY_IS_DELETED", "entity is deleted"))
        ids = [r["Id"] for _, r in rows]
        if len(set(ids)) != len(ids):
            raise RecordFailed(
                RecordError(
                    "INVALID_ID_FIELD",  # (unverified) code of a master merged into itself
                    "The master record id is also listed among the records to merge",
                )
            )

    def _reparent(
        self, conn: sqlite3.Connection, obj: ObjectDef, loser_id: str, master_id: str, now: str
    ) -> list[str]:
        """Point every lookup at ``loser_id`` to ``master_id``; the children's ids."""
        moved: list[str] = []
        for child in self.schema.objects():
            for fdef in child.stored_fields:
                if fdef.type != "reference" or fdef.name in _NOT_REPARENTED:
                    continue
                if obj.name not in fdef.reference_to:
                    continue
                rows = conn.execute(
                    f'SELECT "_rowid", "Id" FROM "{child.table}" WHERE "{fdef.name}" = ? '
                    'AND "IsDeleted" = 0',
                    (loser_id,),
                ).fetchall()
                if not rows:
                    continue
                conn.execute(
                    f'UPDATE "{child.table}" SET "{fdef.name}" = ?, "SystemModstamp" = ?, '
                    f'"LastModifiedDate" = ?, "LastModifiedById" = ? WHERE "{fdef.name}" = ? '
                    'AND "IsDeleted" = 0',
                    (master_id, now, now, self.store.user_id, loser_id),
                )
                moved += [r["Id"] for r in rows if r["Id"] not in moved]
                if self.schema.rollups_over(child.name):
                    refresh_rollups(conn, self.schema, child, [loser_id, master_id])
        return moved

    def _delete_merged(
        self, conn: sqlite3.Connection, obj: ObjectDef, loser: dict[str, Any], master_id: str,
        now: str,
    ) -> None:  # fmt: skip
        conn.execute(
            f'UPDATE "{obj.table}" SET "IsDeleted" = 1, "MasterRecordId" = ?, '
            '"SystemModstamp" = ?, "LastModifiedById" = ? WHERE "_rowid" = ?',
            (master_id, now, self.store.user_id, loser["_rowid"]),
        )
        conn.execute(
            f'INSERT INTO "{DELETED_LOG}" (object, id, deleted_date) VALUES (?, ?, ?)',
            (obj.name, loser["Id"], now),
        )
        refresh_rollups(conn, self.schema, obj, rollup_parents(self.schema, obj, loser))


def _merge_failed(code: str, message: str) -> MergeResult:
    return MergeResult(None, False, [RecordError(code, message)])
