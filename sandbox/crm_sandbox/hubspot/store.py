"""The portal's SQLite file: tables, counters, and the in-memory schema cache.

Records keep their properties in one JSON column (string values only); values of
unique properties (and contact emails) are mirrored in ``unique_values`` so lookups by
``idProperty`` and duplicate checks are one indexed read.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

from crm_sandbox.core.db import Database
from crm_sandbox.hubspot.models import ObjectType, Property, PropertyGroup

if TYPE_CHECKING:
    from pathlib import Path

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS object_types (object_type_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS properties (
    object_type_id TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (object_type_id, name));
CREATE TABLE IF NOT EXISTS property_groups (
    object_type_id TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (object_type_id, name));
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY, object_type_id TEXT NOT NULL, props TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0, archived_at TEXT);
CREATE INDEX IF NOT EXISTS records_by_type ON records (object_type_id, archived, id);
CREATE TABLE IF NOT EXISTS unique_values (
    object_type_id TEXT NOT NULL, prop TEXT NOT NULL, value TEXT NOT NULL,
    record_id INTEGER NOT NULL, PRIMARY KEY (object_type_id, prop, value)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS unique_values_by_record ON unique_values (record_id);
CREATE TABLE IF NOT EXISTS record_keys (
    object_type_id TEXT NOT NULL, prop TEXT NOT NULL, key NOT NULL, record_id INTEGER NOT NULL,
    PRIMARY KEY (object_type_id, prop, key, record_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS association_types (
    type_id INTEGER PRIMARY KEY, from_type TEXT NOT NULL, to_type TEXT NOT NULL,
    category TEXT NOT NULL, label TEXT, name TEXT, inverse_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS associations (
    from_type TEXT NOT NULL, from_id INTEGER NOT NULL, to_type TEXT NOT NULL,
    to_id INTEGER NOT NULL, type_id INTEGER NOT NULL,
    PRIMARY KEY (from_id, to_type, to_id, type_id)) WITHOUT ROWID;
-- rows are stored both ways: archiving a record finds the links pointing at it as its own
-- rows' mirrors (associations.py), so no index on to_id (one made before is dropped)
DROP INDEX IF EXISTS associations_by_to;
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, portal_id INTEGER NOT NULL, kind TEXT NOT NULL,
    expires_at REAL);
"""

FIRST_RECORD_ID = 1001
FIRST_CUSTOM_OBJECT_ID = 3_500_001
FIRST_CUSTOM_ASSOCIATION_TYPE = 1001


class Store:
    """SQLite access plus the schema cache (the server is the only writer)."""

    def __init__(self, path: Path) -> None:
        self.db = Database(path)
        self._lock = threading.Lock()
        with self.db.transaction() as conn:
            for statement in filter(None, (s.strip() for s in _DDL.split(";"))):
                conn.execute(statement)
        self.object_types: dict[str, ObjectType] = {}
        self.properties: dict[str, dict[str, Property]] = {}
        self.groups: dict[str, dict[str, PropertyGroup]] = {}
        self.schema_version = 0
        """Bumped on every schema change (caches derived from the schema compare it)."""
        self.load()

    # -- schema cache ------------------------------------------------------------------
    def load(self) -> None:
        with self.db.reading() as conn:
            types = {
                row[0]: ObjectType(**json.loads(row[1]))
                for row in conn.execute("SELECT object_type_id, body FROM object_types")
            }
            props: dict[str, dict[str, Property]] = {t: {} for t in types}
            for ot, name, body in conn.execute(
                "SELECT object_type_id, name, body FROM properties ORDER BY rowid"
            ):
                props.setdefault(ot, {})[name] = Property(**json.loads(body))
            groups: dict[str, dict[str, PropertyGroup]] = {t: {} for t in types}
            for ot, name, body in conn.execute(
                "SELECT object_type_id, name, body FROM property_groups ORDER BY rowid"
            ):
                groups.setdefault(ot, {})[name] = PropertyGroup(**json.loads(body))
        self.object_types, self.properties, self.groups = types, props, groups
        self.schema_version += 1

    def save_object_type(self, ot: ObjectType) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO object_types VALUES (?, ?)",
                (ot.object_type_id, json.dumps(ot.to_json())),
            )
        self.object_types[ot.object_type_id] = ot
        self.schema_version += 1
        self.properties.setdefault(ot.object_type_id, {})
        self.groups.setdefault(ot.object_type_id, {})

    def delete_object_type(self, object_type_id: str) -> None:
        with self.db.transaction() as conn:
            for table in (
                "object_types",
                "properties",
                "property_groups",
                "records",
                "unique_values",
                "record_keys",
            ):
                conn.execute(f"DELETE FROM {table} WHERE object_type_id = ?", (object_type_id,))
            conn.execute(
                "DELETE FROM associations WHERE from_type = ? OR to_type = ?",
                (object_type_id, object_type_id),
            )
            conn.execute(
                "DELETE FROM association_types WHERE from_type = ? OR to_type = ?",
                (object_type_id, object_type_id),
            )
        self.object_types.pop(object_type_id, None)
        self.properties.pop(object_type_id, None)
        self.groups.pop(object_type_id, None)
        self.schema_version += 1

    def save_property(self, object_type_id: str, prop: Property) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO properties VALUES (?, ?, ?) ON CONFLICT (object_type_id, name)"
                " DO UPDATE SET body = excluded.body",
                (object_type_id, prop.name, json.dumps(prop.to_json())),
            )
        self.properties.setdefault(object_type_id, {})[prop.name] = prop
        self.schema_version += 1

    def save_group(self, object_type_id: str, group: PropertyGroup) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO property_groups VALUES (?, ?, ?) ON CONFLICT"
                " (object_type_id, name) DO UPDATE SET body = excluded.body",
                (object_type_id, group.name, json.dumps(group.__dict__)),
            )
        self.groups.setdefault(object_type_id, {})[group.name] = group

    # -- counters ------------------------------------------------------------------------
    def next_value(self, key: str, first: int, count: int = 1) -> int:
        """Reserve ``count`` consecutive numbers of counter ``key``; return the first."""
        with self._lock, self.db.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            start = int(row[0]) if row else first
            conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(start + count)))
        return start

    def wipe(self) -> None:
        with self.db.transaction() as conn:
            # the search-key version mark survives: an empty index is up to date
            conn.execute("DELETE FROM meta WHERE key != 'search_keys'")
            for table in (
                "object_types",
                "properties",
                "property_groups",
                "records",
                "unique_values",
                "record_keys",
                "association_types",
                "associations",
            ):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM tokens WHERE kind = 'oauth'")
        self.object_types, self.properties, self.groups = {}, {}, {}
        self.schema_version += 1

    def close(self) -> None:
        self.db.close()
