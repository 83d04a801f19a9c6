"""Associations between records (v4): create with types, read, archive, defaults.

Each association is stored in both directions (the inverse type id on the way back),
as HubSpot reports it from either side.

A label never stands alone: making a labelled association also makes the pair's
unlabelled (default) one, and only removing that default (``batch/archive``, the
record-level ``DELETE``, or the unlabelled type in ``batch/labels/archive``) removes the
labels with it; ``batch/labels/archive`` of a label leaves the default association.
HubSpot's v4 guide shows this: every read of a labelled pair lists the unlabelled type
beside the label, "to remove a custom label from an association, but keep the unlabeled
association" is ``batch/labels/archive``, and "if you delete the default unlabeled
association type, this will remove all other associations"; v3 reads of a company's
parent/child companies list ``company_to_company`` beside each (go-hubspot PR 27's
recorded reply). No source states in so many words that a labelled create adds the
default (unverified as a rule; it is what those replies show).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from crm_sandbox.hubspot.errors import BadRequest, HubSpotError, ValidationError

if TYPE_CHECKING:
    import sqlite3

    from crm_sandbox.hubspot.association_types import AssociationType, AssociationTypes
    from crm_sandbox.hubspot.models import ObjectType
    from crm_sandbox.hubspot.records import Record, Records
    from crm_sandbox.hubspot.store import Store


LEAD_TYPE_ID = "0-136"
CATEGORIES = ("HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED")


def invalid_type(category: str, type_id: Any) -> ValidationError:
    """HubSpot's 400 for a ``category=typeId`` the pair has not (a recorded reply to a v4
    ``PUT``: ``USER_DEFINED=3 is not a valid association definition id``)."""
    spec = f"{category}={type_id}"
    return ValidationError(
        "One or more associations are invalid",
        context={
            "associationSpec": [spec],
            "INVALID_ASSOCIATION_TYPE_ID": [f"{spec} is not a valid association definition id"],
        },
    )


def no_record(ot: ObjectType, ref: Any) -> BadRequest:
    """An association end naming no live record."""
    return BadRequest(f"No {ot.name} with id {ref} exists (unverified wording)")


def _int(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


def _category_and_id(spec: Any) -> tuple[str, Any]:
    """An ``{associationCategory, associationTypeId}``'s two fields, both required."""
    if not isinstance(spec, dict):
        raise ValidationError(
            "Invalid input JSON: an association type must be an object (unverified wording)"
        )
    missing = [k for k in ("associationCategory", "associationTypeId") if spec.get(k) is None]
    if missing:
        # HubSpot prefixes "Invalid input JSON on line 1, column N. " (recorded reply to a v4
        # PUT, hubspot-api-nodejs issue 307); the sandbox leaves the position out.
        raise ValidationError(f"Some required fields were not set: [{', '.join(missing)}]")
    category = spec["associationCategory"]
    if category not in CATEGORIES:
        raise ValidationError(
            f"Invalid input JSON: associationCategory {category} is not one of"
            f" {', '.join(CATEGORIES)} (unverified wording)"
        )
    return str(category), spec["associationTypeId"]


class Associations:
    def __init__(self, store: Store, records: Records, types: AssociationTypes) -> None:
        self.store = store
        self.records = records
        self.types = types
        records.on_archive.append(self._drop_for)

    def _drop_for(self, conn: sqlite3.Connection, ids: list[int]) -> None:
        """Delete every link of the records ``ids``, both directions.

        Every link is stored as two rows, one from each end, and every write or delete
        handles both, so the rows pointing at a record are its own rows' mirrors: they
        are found through the primary key from the partners' side. An index on
        ``to_id`` would serve this rare call but cost every association write a second
        scattered B-tree (a third of the server's page writes on a forward leg).
        """
        marks = ",".join("?" * len(ids))
        conn.execute(
            "DELETE FROM associations WHERE from_id IN (SELECT to_id FROM associations"
            f" WHERE from_id IN ({marks})) AND to_id IN ({marks})",
            (*ids, *ids),
        )
        conn.execute(f"DELETE FROM associations WHERE from_id IN ({marks})", ids)

    def _spec(self, a: ObjectType, b: ObjectType, spec: dict[str, Any]) -> AssociationType:
        """The type an ``{associationCategory, associationTypeId}`` names between a and b.

        HubSpot keys a type by category *and* id (a portal can have ``USER_DEFINED`` 1
        beside ``HUBSPOT_DEFINED`` 1 "Primary"), so both are required and a type id
        under the wrong category is refused like one the pair does not have.
        """
        category, raw_id = _category_and_id(spec)
        t = self.types.get(_int(raw_id))
        if (
            t is None
            or t.category != category
            or t.from_type != a.object_type_id
            or t.to_type != b.object_type_id
        ):
            raise invalid_type(category, raw_id)
        return t

    def _spec_memo(
        self,
        a: ObjectType,
        b: ObjectType,
        spec: Any,
        memo: dict[tuple[Any, ...], AssociationType],
    ) -> AssociationType:
        """:meth:`_spec`, remembered in ``memo`` for a spec of the same two values (their
        types part of the key: ``True == 1``); a refused spec is refused each time."""
        if not isinstance(spec, dict):
            return self._spec(a, b, spec)
        category, raw_id = spec.get("associationCategory"), spec.get("associationTypeId")
        try:
            key = (category, type(category), raw_id, type(raw_id))
            found = memo.get(key)
        except TypeError:  # an unhashable value: refused by _spec
            return self._spec(a, b, spec)
        if found is None:
            found = memo[key] = self._spec(a, b, spec)
        return found

    def link(
        self,
        conn: sqlite3.Connection,
        a: ObjectType,
        from_id: int,
        b: ObjectType,
        to_id: int,
        types: list[AssociationType],
    ) -> None:
        """Associate two records with ``types``; a label brings the pair's default along."""
        for t in self._with_default(a, b, types):
            conn.execute(
                "INSERT OR IGNORE INTO associations VALUES (?, ?, ?, ?, ?)",
                (a.object_type_id, from_id, b.object_type_id, to_id, t.type_id),
            )
            conn.execute(
                "INSERT OR IGNORE INTO associations VALUES (?, ?, ?, ?, ?)",
                (b.object_type_id, to_id, a.object_type_id, from_id, t.inverse_id),
            )

    def _with_default(
        self, a: ObjectType, b: ObjectType, types: list[AssociationType]
    ) -> list[AssociationType]:
        """``types`` and, when one is a label, the pair's unlabelled (default) type."""
        if any(t.label is not None for t in types):
            default = self.types.unlabelled(a.object_type_id, b.object_type_id)
            if default is not None and default not in types:
                return [*types, default]
        return types

    def _existing(self, conn: sqlite3.Connection, ot: ObjectType, ref: Any) -> int:
        """The id of a live record of ``ot`` (only its existence is read, not its values)."""
        record_id = self.records.live_id(conn, ot, str(ref))
        if record_id is None:
            raise no_record(ot, ref)
        return record_id

    def link_many(
        self,
        conn: sqlite3.Connection,
        a: ObjectType,
        b: ObjectType,
        pairs: list[tuple[int, int]],
        t: AssociationType,
    ) -> None:
        """:meth:`link` of many ``(from_id, to_id)`` pairs with one type, one statement a side."""
        conn.executemany(
            "INSERT OR IGNORE INTO associations VALUES (?, ?, ?, ?, ?)",
            [(a.object_type_id, f, b.object_type_id, to, t.type_id) for f, to in pairs],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO associations VALUES (?, ?, ?, ?, ?)",
            [(b.object_type_id, to, a.object_type_id, f, t.inverse_id) for f, to in pairs],
        )

    def labelled(
        self,
        conn: sqlite3.Connection,
        a: ObjectType,
        from_id: Any,
        b: ObjectType,
        to_id: Any,
        specs: list[dict[str, Any]],
    ) -> dict[str, Any]:
        src = self._existing(conn, a, from_id)
        dst = self._existing(conn, b, to_id)
        types = [self._spec(a, b, s) for s in specs]
        if not types:
            raise ValidationError("At least one association type is required (unverified)")
        self.link(conn, a, src, b, dst, types)
        return self.pair_wire(conn, a, src, b, dst)

    def pair_wire(
        self, conn: sqlite3.Connection, a: ObjectType, from_id: int, b: ObjectType, to_id: int
    ) -> dict[str, Any]:
        rows = conn.execute(
            "SELECT type_id FROM associations WHERE from_id = ? AND to_type = ? AND to_id = ?",
            (from_id, b.object_type_id, to_id),
        ).fetchall()
        labels = [t.label for r in rows if (t := self.types.get(r[0])) and t.label]
        return {
            "fromObjectTypeId": a.object_type_id,
            "fromObjectId": from_id,
            "toObjectTypeId": b.object_type_id,
            "toObjectId": to_id,
            "labels": labels,
        }

    def on_create(
        self, conn: sqlite3.Connection, ot: ObjectType, record: Record, inputs: list[dict[str, Any]]
    ) -> None:
        """``associations`` of an object create: ``[{"to":{"id"},"types":[…]}]``.

        A lead must be created associated with an existing contact (leads guide); the
        refusal's wording is (unverified).
        """
        if ot.object_type_id == LEAD_TYPE_ID and not any(
            (t := self.types.get(_int(spec.get("associationTypeId"))))
            and t.from_type == LEAD_TYPE_ID
            and t.to_type == "0-1"
            for item in inputs
            for spec in item.get("types") or []
        ):
            raise ValidationError(
                "A lead must be associated with an existing contact when it is created"
            )
        for item in inputs:
            specs = item.get("types") or []
            if not specs:
                raise ValidationError("Some required fields were not set: [types]")
            category, type_id = _category_and_id(specs[0])
            first = self.types.get(_int(type_id))
            if first is None or first.from_type != ot.object_type_id:
                raise invalid_type(category, type_id)
            target = self.store.object_types[first.to_type]
            to_id = (item.get("to") or {}).get("id")
            dst = self.records.get(conn, target, str(to_id))
            if dst is None:
                raise BadRequest(
                    f"Association target {target.name} {to_id} does not exist (unverified wording)"
                )
            self.link(
                conn, ot, record.id, target, dst.id, [self._spec(ot, target, s) for s in specs]
            )

    def batch_create(
        self,
        a: ObjectType,
        b: ObjectType,
        inputs: list[dict[str, Any]],
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """v4 ``batch/create``: each input's pair with its types (errors per input).

        Set-based: both ends of every pair looked up in one query a side, the links
        written in one statement, the pairs' labels read back in one. A batch naming one
        pair twice goes input by input, so the second's reply shows the first's labels.
        """
        ends = [((i.get("from") or {}).get("id"), (i.get("to") or {}).get("id")) for i in inputs]
        if len({(str(src), str(dst)) for src, dst in ends}) != len(ends):
            return self._create_one_by_one(a, b, inputs)
        errors: list[dict[str, Any]] = []
        # what a batch's inputs mostly repeat, worked out once: their type specs, and the
        # types each set of them writes (with the pair's default)
        specs: dict[tuple[Any, ...], AssociationType] = {}
        written: dict[tuple[int, ...], list[tuple[int, int]]] = {}
        with self.store.db.transaction() as conn:
            live_a = self.records.live_ids(conn, a, [src for src, _ in ends])
            live_b = self.records.live_ids(conn, b, [dst for _, dst in ends])
            made: list[tuple[int, int]] = []
            rows: list[tuple[str, int, str, int, int]] = []
            for item, (src_ref, dst_ref) in zip(inputs, ends, strict=True):
                try:
                    src = live_a.get(str(src_ref))
                    if src is None:
                        raise no_record(a, src_ref)
                    dst = live_b.get(str(dst_ref))
                    if dst is None:
                        raise no_record(b, dst_ref)
                    types = [self._spec_memo(a, b, spec, specs) for spec in item.get("types") or []]
                    if not types:
                        raise ValidationError(
                            "At least one association type is required (unverified)"
                        )
                except HubSpotError as exc:
                    context = exc.context or {"fromId": [str(src_ref)], "toId": [str(dst_ref)]}
                    errors.append(exc.as_batch_error(context))
                    continue
                made.append((src, dst))
                key = tuple(t.type_id for t in types)
                pairs = written.get(key)
                if pairs is None:
                    pairs = written[key] = [
                        (t.type_id, t.inverse_id) for t in self._with_default(a, b, types)
                    ]
                for type_id, inverse_id in pairs:
                    rows.append((a.object_type_id, src, b.object_type_id, dst, type_id))
                    rows.append((b.object_type_id, dst, a.object_type_id, src, inverse_id))
            conn.executemany("INSERT OR IGNORE INTO associations VALUES (?, ?, ?, ?, ?)", rows)
            labels = self._labels(conn, b, made)
        results = [
            {
                "fromObjectTypeId": a.object_type_id,
                "fromObjectId": src,
                "toObjectTypeId": b.object_type_id,
                "toObjectId": dst,
                "labels": labels.get((src, dst), []),
            }
            for src, dst in made
        ]
        return results, errors

    def _labels(
        self, conn: sqlite3.Connection, b: ObjectType, pairs: list[tuple[int, int]]
    ) -> dict[tuple[int, int], list[str]]:
        """The labels each ``(from_id, to_id)`` pair holds (type id order), 400 pairs a query."""
        found: dict[tuple[int, int], list[str]] = defaultdict(list)
        for start in range(0, len(pairs), 400):
            chunk = pairs[start : start + 400]
            rows = conn.execute(
                "SELECT a.from_id, a.to_id, a.type_id FROM associations a JOIN (VALUES "
                + ", ".join("(?, ?)" for _ in chunk)
                + ") AS p ON a.from_id = p.column1 AND a.to_id = p.column2"
                " WHERE a.to_type = ? ORDER BY a.from_id, a.to_id, a.type_id",
                (*(n for pair in chunk for n in pair), b.object_type_id),
            ).fetchall()
            for from_id, to_id, type_id in rows:
                t = self.types.get(type_id)
                if t is not None and t.label:
                    found[(from_id, to_id)].append(t.label)
        return found

    def _create_one_by_one(
        self,
        a: ObjectType,
        b: ObjectType,
        inputs: list[dict[str, Any]],
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        results, errors = [], []
        with self.store.db.transaction() as conn:
            for item in inputs:
                src = (item.get("from") or {}).get("id")
                dst = (item.get("to") or {}).get("id")
                try:
                    results.append(self.labelled(conn, a, src, b, dst, item.get("types") or []))
                except HubSpotError as exc:
                    # A refused type keeps its own context (the PUT's, recorded); in a batch
                    # reply that placement is (unverified).
                    context = exc.context or {"fromId": [str(src)], "toId": [str(dst)]}
                    errors.append(exc.as_batch_error(context))
        return results, errors

    def batch_default(
        self,
        a: ObjectType,
        b: ObjectType,
        pairs: list[tuple[Any, Any]],
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Associate each pair with the default type; a pair naming no live record is
        an error of its own. Both ends are looked up one query per side, the links
        written in one statement per direction."""
        t = self.types.default(a.object_type_id, b.object_type_id)
        back = self.types.get(t.inverse_id)
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        with self.store.db.transaction() as conn:
            live_a = self.records.live_ids(conn, a, [src for src, _ in pairs])
            live_b = self.records.live_ids(conn, b, [dst for _, dst in pairs])
            linked: list[tuple[int, int]] = []
            for src_ref, dst_ref in pairs:
                src, dst = live_a.get(str(src_ref)), live_b.get(str(dst_ref))
                if src is None or dst is None:
                    error = no_record(a, src_ref) if src is None else no_record(b, dst_ref)
                    errors.append(
                        error.as_batch_error({"fromId": [str(src_ref)], "toId": [str(dst_ref)]})
                    )
                    continue
                linked.append((src, dst))
                results.append(_default_result(src, dst, t))
                if back is not None and a.object_type_id != b.object_type_id:
                    results.append(_default_result(dst, src, back))
            self.link_many(conn, a, b, linked, t)
        return results, errors

    def read(
        self, a: ObjectType, from_id: int, b: ObjectType, after: int = 0, limit: int = 500
    ) -> tuple[list[dict[str, Any]], int | None]:
        with self.store.db.reading() as conn:
            rows = conn.execute(
                "SELECT to_id, type_id FROM associations WHERE from_id = ? AND to_type = ?"
                " AND to_id >= ? ORDER BY to_id, type_id",
                (from_id, b.object_type_id, after),
            ).fetchall()
        return self._page(rows, limit)

    def read_many(
        self, a: ObjectType, from_ids: list[int], b: ObjectType, limit: int = 500
    ) -> tuple[set[int], dict[int, tuple[list[dict[str, Any]], int | None]]]:
        """:meth:`read` (from the start) for several records of ``a`` in two queries:
        which of ``from_ids`` are live records, and each one's first page."""
        if not from_ids:
            return set(), {}
        marks = ",".join("?" * len(from_ids))
        with self.store.db.reading() as conn:
            live = {
                int(r[0])
                for r in conn.execute(
                    f"SELECT id FROM records WHERE object_type_id = ? AND archived = 0"
                    f" AND id IN ({marks})",
                    (a.object_type_id, *from_ids),
                )
            }
            rows = conn.execute(
                f"SELECT from_id, to_id, type_id FROM associations WHERE to_type = ?"
                f" AND from_id IN ({marks}) ORDER BY from_id, to_id, type_id",
                (b.object_type_id, *from_ids),
            ).fetchall()
        by_from: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for from_id, to_id, type_id in rows:
            by_from[from_id].append((to_id, type_id))
        return live, {f: self._page(by_from.get(f, []), limit) for f in from_ids if f in live}

    def _page(self, rows: list[Any], limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """``(to_id, type_id)`` rows, ordered, as v4 results of at most ``limit`` ids."""
        grouped: dict[int, list[int]] = defaultdict(list)
        for to_id, type_id in rows:
            grouped[to_id].append(type_id)
        items = list(grouped.items())
        next_after = items[limit][0] if len(items) > limit else None
        out = []
        for to_id, type_ids in items[:limit]:
            specs = []
            for type_id in type_ids:
                t = self.types.get(type_id)
                if t is not None:
                    specs.append({"category": t.category, "typeId": t.type_id, "label": t.label})
            out.append({"toObjectId": to_id, "associationTypes": specs})
        return out, next_after

    def archive(
        self,
        a: ObjectType,
        from_id: int,
        b: ObjectType,
        to_ids: list[int],
        type_ids: list[int] | None = None,
    ) -> None:
        """Remove the associations between ``from_id`` and each of ``to_ids``: all of
        them, or with ``type_ids`` only those types, unless one is the pair's unlabelled
        type (removing the default removes every label with it)."""
        only = None if type_ids is None or self._hits_default(type_ids) else type_ids
        with self.store.db.transaction() as conn:
            for to_id in to_ids:
                rows = conn.execute(
                    "SELECT type_id FROM associations WHERE from_id = ? AND to_type = ? AND"
                    " to_id = ?",
                    (from_id, b.object_type_id, to_id),
                ).fetchall()
                for (type_id,) in rows:
                    if only is not None and type_id not in only:
                        continue
                    t = self.types.get(type_id)
                    conn.execute(
                        "DELETE FROM associations WHERE from_id = ? AND to_id = ? AND type_id = ?",
                        (from_id, to_id, type_id),
                    )
                    if t is not None:
                        conn.execute(
                            "DELETE FROM associations WHERE from_id = ? AND to_id = ?"
                            " AND type_id = ?",
                            (to_id, from_id, t.inverse_id),
                        )

    def _hits_default(self, type_ids: list[int]) -> bool:
        """Whether ``type_ids`` names an unlabelled type (the pair's default)."""
        return any((t := self.types.get(i)) is not None and t.label is None for i in type_ids)


def _default_result(src: int, dst: int, t: AssociationType) -> dict[str, Any]:
    """One direction of a default association in a batch reply."""
    return {
        "from": {"id": str(src)},
        "to": {"id": str(dst)},
        "associationSpec": {"associationCategory": t.category, "associationTypeId": t.type_id},
    }
