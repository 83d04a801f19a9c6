"""Association type ids and labels between pairs of object types (v4 ``/labels``).

HubSpot-defined pairs keep HubSpot's real ids (:mod:`default_association_types`); pairs
involving a custom object, and user-defined labels, get generated ids in pairs (one
per direction), like the real API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crm_sandbox.hubspot.default_association_types import V3_LABEL_NAMES, hubspot_defined_types
from crm_sandbox.hubspot.errors import Conflict, ObjectNotFound, ValidationError
from crm_sandbox.hubspot.store import FIRST_CUSTOM_ASSOCIATION_TYPE

if TYPE_CHECKING:
    from crm_sandbox.hubspot.store import Store


@dataclass(frozen=True)
class AssociationType:
    type_id: int
    from_type: str
    to_type: str
    category: str
    label: str | None
    name: str | None
    inverse_id: int

    def to_wire(self) -> dict[str, object]:
        return {"category": self.category, "typeId": self.type_id, "label": self.label}


class AssociationTypes:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[int, AssociationType] | None = None
        self._pairs: dict[tuple[str, str], list[AssociationType]] = {}
        """:meth:`between` per pair, dropped with the cache: a batch of associations
        asks for its pair's default once per input."""

    def _all(self) -> dict[int, AssociationType]:
        if self._cache is None:
            with self.store.db.reading() as conn:
                rows = conn.execute("SELECT * FROM association_types").fetchall()
            self._cache = {row["type_id"]: AssociationType(**dict(row)) for row in rows}
        return self._cache

    def invalidate(self) -> None:
        self._cache = None
        self._pairs = {}

    def _insert(self, types: list[AssociationType]) -> None:
        with self.store.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO association_types VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (t.type_id, t.from_type, t.to_type, t.category, t.label, t.name, t.inverse_id)
                    for t in types
                ],
            )
        self.invalidate()

    def install_defaults(self) -> None:
        self._insert(
            [
                AssociationType(type_id, src, dst, "HUBSPOT_DEFINED", label, None, inverse)
                for src, dst, type_id, label, inverse in hubspot_defined_types()
            ]
        )

    def between(self, from_type: str, to_type: str) -> list[AssociationType]:
        found = self._pairs.get((from_type, to_type)) if self._cache is not None else None
        if found is None:
            found = self._pairs[(from_type, to_type)] = sorted(
                (
                    t
                    for t in self._all().values()
                    if t.from_type == from_type and t.to_type == to_type
                ),
                key=lambda t: (t.label is not None, t.type_id),
            )
        return list(found)

    def v3_name(self, t: AssociationType, from_name: str, to_name: str) -> str:
        """The ``type`` a v3 read gives an association (``company_to_contact``).

        HubSpot names a pair ``{from}_to_{to}`` by the objects' singular names; where
        the pair also has a ``Primary`` label, the Primary type takes that name and the
        unlabelled one gets ``_unlabeled`` (``contact_to_company_unlabeled``), as recorded
        replies show. Other labels: HubSpot's own names for parent/child companies, a
        user-defined label's ``name`` (unverified).
        """
        base = f"{from_name}_to_{to_name}"
        if t.type_id in V3_LABEL_NAMES:
            return V3_LABEL_NAMES[t.type_id]
        if t.label is None:
            pair = self.between(t.from_type, t.to_type)
            has_primary = any(o.label == "Primary" for o in pair)
            return f"{base}_unlabeled" if has_primary else base
        if t.label == "Primary" and t.category == "HUBSPOT_DEFINED":
            return base
        return (t.name or t.label).lower().replace(" ", "_")

    def get(self, type_id: int) -> AssociationType | None:
        return self._all().get(type_id)

    def unlabelled(self, from_type: str, to_type: str) -> AssociationType | None:
        """The pair's unlabelled type, if it has one."""
        return next((t for t in self.between(from_type, to_type) if t.label is None), None)

    def default(self, from_type: str, to_type: str) -> AssociationType:
        """The unlabelled type of a pair (what ``associate/default`` uses)."""
        found = self.unlabelled(from_type, to_type)
        if found is not None:
            return found
        raise ValidationError(
            f"No association definition exists between {from_type} and {to_type}"
            " (unverified wording)"
        )

    def _new_ids(self) -> tuple[int, int]:
        first = self.store.next_value("association_type", FIRST_CUSTOM_ASSOCIATION_TYPE, 2)
        return first, first + 1

    def ensure_pair(self, a: str, b: str) -> None:
        """An unlabelled USER_DEFINED pair a<->b (custom objects' schema associations)."""
        if any(t.label is None for t in self.between(a, b)):
            return
        forward, backward = self._new_ids()
        if a == b:
            self._insert([AssociationType(forward, a, b, "USER_DEFINED", None, None, forward)])
            return
        self._insert(
            [
                AssociationType(forward, a, b, "USER_DEFINED", None, None, backward),
                AssociationType(backward, b, a, "USER_DEFINED", None, None, forward),
            ]
        )

    def create_label(
        self, a: str, b: str, label: str, name: str, inverse_label: str | None
    ) -> list[AssociationType]:
        if any(t.name == name for t in self.between(a, b)):
            raise Conflict(f"An association label named {name} already exists (unverified)")
        forward, backward = self._new_ids()
        made = [AssociationType(forward, a, b, "USER_DEFINED", label, name, backward)]
        if a != b:
            made.append(
                AssociationType(
                    backward, b, a, "USER_DEFINED", inverse_label or label, name, forward
                )
            )
        self._insert(made)
        return made

    def update_label(
        self, a: str, b: str, type_id: int, label: str, inverse_label: str | None
    ) -> None:
        t = self.get(type_id)
        if t is None or t.from_type != a or t.to_type != b or t.category != "USER_DEFINED":
            raise ObjectNotFound(f"Association type {type_id} not found (unverified wording)")
        with self.store.db.transaction() as conn:
            conn.execute(
                "UPDATE association_types SET label = ? WHERE type_id = ?", (label, type_id)
            )
            if inverse_label and t.inverse_id != type_id:
                conn.execute(
                    "UPDATE association_types SET label = ? WHERE type_id = ?",
                    (inverse_label, t.inverse_id),
                )
        self.invalidate()

    def delete_label(self, a: str, b: str, type_id: int) -> None:
        t = self.get(type_id)
        if t is None or t.from_type != a or t.to_type != b or t.label is None:
            raise ObjectNotFound(f"Association type {type_id} not found (unverified wording)")
        if t.category != "USER_DEFINED":
            raise ValidationError("HubSpot-defined association labels cannot be deleted")
        with self.store.db.transaction() as conn:
            conn.execute(
                "DELETE FROM association_types WHERE type_id IN (?, ?)", (type_id, t.inverse_id)
            )
            conn.execute(
                "DELETE FROM associations WHERE type_id IN (?, ?)", (type_id, t.inverse_id)
            )
        self.invalidate()
