"""The search key index: typed keys of selected property values, one row per live value.

``record_keys (object_type_id, prop, key, record_id)`` (made in store.py) is a WITHOUT
ROWID table whose primary key is the index: equality and range filters on a property,
its sort order (key, then record id) and range counts are all walks of one B-tree.
``key`` holds the value as search compares it (``search_eval.filter_key``): epoch ms
for dates and datetimes, numbers as numbers, other values lower-cased.

Only the properties searches key on are indexed (measured in bench/bench_hs_search.py: a
row per set value of every property would multiply the table by ~20 at 1M records):
the create/modify dates, which every record carries, and the unique-valued properties
(``salesforce_id``-style id properties, contacts' ``email``). ``hs_object_id`` is the
records table's own key. Multi-select values are never indexed. Archived records have no
rows (search never returns them), so a count over the index needs no join.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crm_sandbox.hubspot.counts import RangeCounts
from crm_sandbox.hubspot.search_eval import filter_key, sql_value

if TYPE_CHECKING:
    import sqlite3

    from crm_sandbox.hubspot.models import ObjectType, Property
    from crm_sandbox.hubspot.properties import Properties
    from crm_sandbox.hubspot.store import Store

VERSION = "1"
"""Bump when the key form changes: stored keys are rebuilt at start-up."""
_DATES = ("hs_lastmodifieddate", "lastmodifieddate", "hs_createdate", "createdate")


_PARSED_KEYS = frozenset({"number", "date", "datetime"})


def key_of(prop: Property, value: str) -> Any:
    """The stored key of a (normalized) value, or None when it has none."""
    if prop.type not in _PARSED_KEYS:
        # text, options, booleans: the value lower-cased, as filter_key gives it (ids
        # are unique, a cache of them would only miss)
        return value.strip().lower()
    return _key(prop.type, value)


@functools.lru_cache(maxsize=4096)
def _key(kind: str, value: str) -> Any:
    # a write moves the modification time's key: the same few stamps parse again and again
    return sql_value(filter_key(kind, value))


@dataclass(frozen=True)
class IndexedSet:
    props: dict[str, Property]
    always: frozenset[str]
    """Indexed properties every live record carries (stamped by the server)."""
    signature: tuple[tuple[str, str, str], ...]


class SearchKeys:
    def __init__(self, store: Store, props: Properties, unique_names: Any) -> None:
        self.store = store
        self.props = props
        self.unique_names = unique_names
        """``(ot) -> list[str]``: the unique-valued properties (contacts add ``email``)."""
        self._sets: dict[str, tuple[int, IndexedSet]] = {}
        self.counts = RangeCounts(store.db)
        """Exact counts over these keys, told of every key this class adds or removes."""
        with store.db.reading() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'search_keys'").fetchone()
            stale = row is None or row[0] != VERSION
        if stale:
            self.rebuild_all()

    # -- which properties ---------------------------------------------------------------
    def indexed(self, ot: ObjectType) -> IndexedSet:
        version = self.store.schema_version
        cached = self._sets.get(ot.object_type_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        live = self.props.live(ot)
        names = {*_DATES, ot.modified_property, ot.created_property, *self.unique_names(ot)}
        chosen = {
            n: live[n]
            for n in sorted(names)
            if n in live and n != "hs_object_id" and live[n].field_type != "checkbox"
        }
        stamped = {"hs_lastmodifieddate", ot.modified_property, "hs_createdate"}
        if not ot.custom:
            stamped.add("createdate")
        signature = tuple((n, p.type, p.field_type) for n, p in chosen.items())
        made = IndexedSet(chosen, frozenset(stamped & set(chosen)), signature)
        if cached is not None and cached[1].signature != signature:
            before = {n: (t, f) for n, t, f in cached[1].signature}
            changed = [n for n, t, f in signature if before.get(n) != (t, f)]
            dropped = [n for n in before if n not in chosen]
            self.counts.forget()
            with self.store.db.transaction() as conn:
                for name in dropped:
                    self._delete_prop(conn, ot.object_type_id, name)
                for name in changed:
                    self._rebuild_prop(conn, ot.object_type_id, chosen[name])
        self._sets[ot.object_type_id] = (version, made)
        return made

    # -- maintenance on writes ------------------------------------------------------------
    def update(
        self,
        conn: sqlite3.Connection,
        ot: ObjectType,
        record_id: int,
        before: dict[str, str],
        after: dict[str, str],
    ) -> None:
        """Move a record's keys from its ``before`` values to its ``after`` values."""
        type_id = ot.object_type_id
        if not before:  # a new record: no row can exist yet, one statement for its keys
            rows = [
                (type_id, name, key, record_id)
                for name, prop in self.indexed(ot).props.items()
                if name in after and (key := key_of(prop, after[name])) is not None
            ]
            conn.executemany("INSERT INTO record_keys VALUES (?, ?, ?, ?)", rows)
            for row in rows:
                self.counts.changed(type_id, row[1], row[2], record_id, 1)
            return
        for name, prop in self.indexed(ot).props.items():
            old, new = before.get(name), after.get(name)
            if old == new:
                continue
            if old is not None:
                key = key_of(prop, old)
                if (
                    key is not None
                    and conn.execute(
                        "DELETE FROM record_keys WHERE object_type_id = ? AND prop = ?"
                        " AND key = ? AND record_id = ?",
                        (type_id, name, key, record_id),
                    ).rowcount
                ):
                    self.counts.changed(type_id, name, key, record_id, -1)
            if new is not None:
                key = key_of(prop, new)
                if (
                    key is not None
                    and conn.execute(
                        "INSERT OR IGNORE INTO record_keys VALUES (?, ?, ?, ?)",
                        (type_id, name, key, record_id),
                    ).rowcount
                ):
                    self.counts.changed(type_id, name, key, record_id, 1)

    def created(self, ot: ObjectType, record_id: int) -> None:
        """A new live record (for the live count)."""
        self.counts.changed(ot.object_type_id, "", None, record_id, 1)

    def insert_many(
        self, conn: sqlite3.Connection, ot: ObjectType, rows: list[tuple[int, dict[str, str]]]
    ) -> None:
        """Keys of new records, in one statement (bulk seeding)."""
        props = self.indexed(ot).props
        memo: dict[tuple[str, str], Any] = {}  # seeded records share their time stamps
        out = []
        for record_id, values in rows:
            for name, prop in props.items():
                value = values.get(name)
                if value is None:
                    continue
                key = memo.get((name, value))
                if key is None:
                    key = memo[name, value] = key_of(prop, value)
                if key is not None:
                    out.append((ot.object_type_id, name, key, record_id))
        # new record ids: no row can already exist, so every row is an added key
        conn.executemany("INSERT INTO record_keys VALUES (?, ?, ?, ?)", out)
        for type_id, name, key, record_id in out:
            self.counts.changed(type_id, name, key, record_id, 1)
        for record_id, _ in rows:
            self.counts.changed(ot.object_type_id, "", None, record_id, 1)

    def drop(
        self, conn: sqlite3.Connection, ot: ObjectType, rows: list[tuple[int, dict[str, str]]]
    ) -> None:
        """Remove the keys of records being archived."""
        for record_id, values in rows:
            self.update(conn, ot, record_id, values, {})
            self.counts.changed(ot.object_type_id, "", None, record_id, -1)

    # -- rebuilds -------------------------------------------------------------------------
    def _delete_prop(self, conn: sqlite3.Connection, type_id: str, name: str) -> None:
        self.counts.forget()
        conn.execute(
            "DELETE FROM record_keys WHERE object_type_id = ? AND prop = ?", (type_id, name)
        )

    def _rebuild_prop(self, conn: sqlite3.Connection, type_id: str, prop: Property) -> None:
        self._delete_prop(conn, type_id, prop.name)
        path = "$." + json.dumps(prop.name)
        cursor = conn.execute(
            "SELECT id, json_extract(props, ?) FROM records WHERE object_type_id = ?"
            " AND archived = 0 AND json_extract(props, ?) IS NOT NULL",
            (path, type_id, path),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO record_keys VALUES (?, ?, ?, ?)",
            [
                (type_id, prop.name, key, record_id)
                for record_id, value in cursor.fetchall()
                if (key := key_of(prop, str(value))) is not None
            ],
        )

    def rebuild_all(self) -> None:
        """Recompute every key (a data directory from before the index, or a new key form)."""
        self._sets.clear()
        self.counts.forget()
        with self.store.db.transaction() as conn:
            conn.execute("DELETE FROM record_keys")
            for ot in self.store.object_types.values():
                for prop in self.indexed(ot).props.values():
                    self._rebuild_prop(conn, ot.object_type_id, prop)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('search_keys', ?)", (VERSION,))
