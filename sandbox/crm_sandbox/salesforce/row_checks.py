"""The lookups a write's row checks make: a reference's target, a unique value's holder.

:class:`RowChecks` asks the database each time (one record written at a time sees every
earlier write). :class:`BatchChecks` answers a list update's records from maps read once
for the whole list and kept in step with the list's own writes, which it holds back
until the end (or until a lookup the maps cannot answer needs the database current).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from crm_sandbox.salesforce.schema import ObjectDef

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def nocase(value: str) -> str:
    """``value`` as SQLite's NOCASE collation compares it (ASCII letters folded only:
    for ASCII text, what ``lower`` gives, several times faster than the table)."""
    return value.lower() if value.isascii() else value.translate(_ASCII_LOWER)


class RowChecks:
    """One query a lookup, against the transaction's current state."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def deleted(self, target: ObjectDef, record_id: str) -> bool | None:
        """Whether the record ``record_id`` of ``target`` is deleted; None if none has it."""
        found = self.conn.execute(
            f'SELECT "IsDeleted" FROM "{target.table}" WHERE "Id" = ?', (record_id,)
        ).fetchone()
        return None if found is None else bool(found["IsDeleted"])

    def holder(self, obj: ObjectDef, name: str, value: str, own_id: str) -> str | None:
        """The Id of another live record whose unique ``name`` equals ``value`` (NOCASE)."""
        dup = self.conn.execute(
            f'SELECT "Id" FROM "{obj.table}" WHERE "{name}" = ? COLLATE NOCASE '
            'AND "IsDeleted" = 0 AND "Id" != ? LIMIT 1',
            (value, own_id),
        ).fetchone()
        return dup["Id"] if dup else None


class BatchChecks(RowChecks):
    """Lookups of a list update answered from maps read once (see the module doc).

    ``flush`` writes the held-back updates: a lookup the maps cannot answer calls it
    first, so the database it then asks is as the records before wrote it.
    """

    def __init__(self, conn: sqlite3.Connection, flush: Callable[[], None]) -> None:
        super().__init__(conn)
        self.flush = flush
        self._deleted: dict[tuple[str, str], bool | None] = {}
        self._holders: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
        """(table, field, NOCASE value) -> live holders as (rowid, Id), rowid order."""

    def read_holders(self, obj: ObjectDef, name: str, values: Iterable[str]) -> None:
        """Read who holds each of ``values`` of unique field ``name``, in one query a 500."""
        wanted = sorted({nocase(v) for v in values})
        for folded in wanted:
            self._holders[(obj.table, name, folded)] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.conn.execute(
                f'SELECT "_rowid", "Id", "{name}" FROM "{obj.table}" '
                f'WHERE "{name}" COLLATE NOCASE IN ({", ".join("?" * len(chunk))}) '
                'AND "IsDeleted" = 0 ORDER BY "_rowid"',
                chunk,
            ).fetchall()
            for rowid, record_id, value in rows:
                self._holders[(obj.table, name, nocase(value))].append((rowid, record_id))

    def deleted(self, target: ObjectDef, record_id: str) -> bool | None:
        # An update never deletes nor undeletes: what the first lookup found stays true.
        key = (target.table, record_id)
        if key not in self._deleted:
            self._deleted[key] = super().deleted(target, record_id)
        return self._deleted[key]

    def holder(self, obj: ObjectDef, name: str, value: str, own_id: str) -> str | None:
        key = (obj.table, name, nocase(value)) if isinstance(value, str) else None
        holders = self._holders.get(key) if key else None
        if holders is None:
            self.flush()
            return super().holder(obj, name, value, own_id)
        return next((i for _, i in holders if i != own_id), None)

    def moved(self, obj: ObjectDef, name: str, rowid: int, record_id: str,
              old: object, new: object) -> None:  # fmt: skip
        """A written record's unique ``name`` went from ``old`` to ``new``."""
        if isinstance(old, str):
            holders = self._holders.get((obj.table, name, nocase(old)))
            if holders is not None and (rowid, record_id) in holders:
                holders.remove((rowid, record_id))
        if isinstance(new, str):
            holders = self._holders.get((obj.table, name, nocase(new)))
            if holders is not None:
                bisect.insort(holders, (rowid, record_id))
