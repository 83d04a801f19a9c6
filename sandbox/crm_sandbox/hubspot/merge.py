"""``POST /crm/v3/objects/{objectType}/merge``: two records of a type become one.

HubSpot's changelog ("Updated merge functionality for contacts and companies") gives
the semantics the sandbox follows for every object type:

* the merge makes a new record with a new id, and both original ids then point to it:
  a read of either original id answers with the merged record (and its new id);
* the merged record's property values are the primary's, with the secondary's values
  filling properties the primary has no value for;
* associations of both records move to the merged record; where both had a ``Primary``
  association of the same kind, the primary record's is kept and the secondary's
  dropped;
* ``hs_merged_object_ids`` on the merged record lists the ids merged into it;
* a merged contact keeps the secondary's email as an additional email
  (``hs_additional_emails``, HubSpot's merge knowledge-base article): a read by
  ``idProperty=email`` with it finds the merged contact, and a new contact cannot take it.

The originals leave every list, search and ``archived=true`` list. Which create date
the merged record keeps is (unverified): the earlier of the two. The batch update API
drops a merged-away id without an error [rec] (see ``Records.batch_update``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_sandbox.core import jsontext
from crm_sandbox.hubspot.errors import ValidationError
from crm_sandbox.hubspot.records import _SERVER_PROPS, Record, object_not_found

if TYPE_CHECKING:
    import sqlite3

    from crm_sandbox.hubspot.association_types import AssociationTypes
    from crm_sandbox.hubspot.models import ObjectType
    from crm_sandbox.hubspot.records import Records

_DDL = (
    "CREATE TABLE IF NOT EXISTS merged_ids (old_id INTEGER PRIMARY KEY,"
    " object_type_id TEXT NOT NULL, new_id INTEGER NOT NULL)"
)


class Merges:
    def __init__(self, records: Records, types: AssociationTypes) -> None:
        self.records = records
        self.types = types
        self.db = records.store.db
        with self.db.transaction() as conn:
            conn.execute(_DDL)
        records.merged_into = self.survivor

    def wipe(self) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM merged_ids")

    def survivor(self, conn: sqlite3.Connection, ot: ObjectType, ref: str) -> int | None:
        """The id a merged-away record ``ref`` now answers with, if it was merged away."""
        try:
            number = int(ref)
        except (TypeError, ValueError):
            return None
        row = conn.execute(
            "SELECT new_id FROM merged_ids WHERE old_id = ? AND object_type_id = ?",
            (number, ot.object_type_id),
        ).fetchone()
        return int(row[0]) if row else None

    def _live(self, conn: sqlite3.Connection, ot: ObjectType, ref: Any) -> Record:
        text = str(ref) if ref is not None else ""
        record = self.records.get(conn, ot, text)
        if record is None:
            moved = self.survivor(conn, ot, text)
            record = self.records.get(conn, ot, moved) if moved is not None else None
        if record is None:
            raise object_not_found(text)
        return record

    def merge(self, ot: ObjectType, primary_ref: Any, other_ref: Any) -> Record:
        missing = [
            k
            for k, v in (("objectIdToMerge", other_ref), ("primaryObjectId", primary_ref))
            if v in (None, "")
        ]
        if missing:
            raise ValidationError(f"Some required fields were not set: [{', '.join(missing)}]")
        with self.db.transaction() as conn:
            primary = self._live(conn, ot, primary_ref)
            other = self._live(conn, ot, other_ref)
            if primary.id == other.id:
                raise ValidationError(
                    f"Cannot merge {ot.singular_upper} {primary.id} into itself (unverified"
                    " wording)"
                )
            values = {
                k: v for k, v in {**other.props, **primary.props}.items() if k not in _SERVER_PROPS
            }
            merged = self.records.insert(conn, ot, {})  # fresh id and stamps, no values yet
            old_ids = [primary.id, other.id]
            earlier = min(primary.created_at, other.created_at)
            conn.execute("DELETE FROM unique_values WHERE record_id IN (?, ?)", old_ids)
            merged_ids = sorted(
                {
                    *old_ids,
                    *_ids(primary.props.get("hs_merged_object_ids")),
                    *_ids(other.props.get("hs_merged_object_ids")),
                }
            )
            merged = self.records.modify(conn, ot, merged, values)
            props = dict(merged.props)
            props["hs_merged_object_ids"] = ";".join(str(i) for i in merged_ids)
            props["hs_createdate"] = earlier
            if "createdate" in props:
                props["createdate"] = earlier
            if ot.object_type_id == "0-1":
                self._keep_emails(conn, merged.id, props, [other.props, primary.props])
            # the search key index follows every write to a record's values
            self.records.keys.update(conn, ot, merged.id, merged.props, props)
            conn.execute(
                "UPDATE records SET props = ?, created_at = ? WHERE id = ?",
                (jsontext.dumps(props), earlier, merged.id),
            )
            merged.props, merged.created_at = props, earlier
            self._move_associations(conn, primary.id, other.id, merged.id)
            for callback in self.records.on_archive:
                callback(conn, old_ids)
            self.records.keys.drop(conn, ot, [(primary.id, primary.props), (other.id, other.props)])
            conn.execute("DELETE FROM records WHERE id IN (?, ?)", old_ids)
            conn.execute(
                "UPDATE merged_ids SET new_id = ? WHERE new_id IN (?, ?)", (merged.id, *old_ids)
            )
            conn.executemany(
                "INSERT OR REPLACE INTO merged_ids VALUES (?, ?, ?)",
                [(i, ot.object_type_id, merged.id) for i in old_ids],
            )
        return merged

    def _keep_emails(
        self,
        conn: sqlite3.Connection,
        merged_id: int,
        props: dict[str, str],
        originals: list[dict[str, str]],
    ) -> None:
        """Emails of the originals other than the merged contact's own stay its own."""
        own = (props.get("email") or "").lower()
        extra: list[str] = []
        for old in originals:
            extra += [e for e in (old.get("hs_additional_emails") or "").split(";") if e]
            if old.get("email"):
                extra.append(old["email"].lower())
        extra = [e for e in dict.fromkeys(extra) if e != own]
        if not extra:
            return
        props["hs_additional_emails"] = ";".join(extra)
        conn.executemany(
            "INSERT OR REPLACE INTO unique_values VALUES ('0-1', 'email', ?, ?)",
            [(e, merged_id) for e in extra],
        )

    def _move_associations(
        self, conn: sqlite3.Connection, primary: int, other: int, merged: int
    ) -> None:
        rows = conn.execute(
            "SELECT from_type, from_id, to_type, to_id, type_id FROM associations"
            " WHERE from_id IN (?, ?)",
            (primary, other),
        ).fetchall()
        primary_kinds = {
            r[4]
            for r in rows
            if r[1] == primary and (t := self.types.get(r[4])) and t.label == "Primary"
        }
        for from_type, from_id, to_type, to_id, type_id in rows:
            if to_id in (primary, other):
                continue  # a link between the two merged records themselves
            if from_id == other and type_id in primary_kinds:
                continue  # the primary record's Primary association wins
            t = self.types.get(type_id)
            inverse = t.inverse_id if t is not None else type_id
            conn.execute(
                "INSERT OR IGNORE INTO associations VALUES (?, ?, ?, ?, ?)",
                (from_type, merged, to_type, to_id, type_id),
            )
            conn.execute(
                "INSERT OR IGNORE INTO associations VALUES (?, ?, ?, ?, ?)",
                (to_type, to_id, from_type, merged, inverse),
            )


def _ids(raw: str | None) -> list[int]:
    return [int(p) for p in (raw or "").split(";") if p.strip().isdigit()]
