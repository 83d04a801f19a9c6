"""The portal's owners (``/crm/v3/owners``), kept in step with the Salesforce org's Users.

HubSpot creates owners for its users and for users synced from Salesforce by its
Salesforce integration (owners API guide). The sandbox plays that integration: every
User of the sandbox org becomes an owner with the same email and name, active Users as
active owners, inactive (or vanished) ones as archived owners, so an owner mapping
can be built by email. The org is read from its SQLite file, read-only, and re-read
only when that file has changed (``PRAGMA data_version``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from crm_sandbox.core.datadir import Credentials
    from crm_sandbox.hubspot.store import Store

FIRST_OWNER_ID = 70_000_001
FIRST_USER_ID = 9_000_001
# (unverified) the sandbox puts every owner on one team; HubSpot lists a user's teams.
SALES_TEAM = {"id": "4001", "name": "Sales", "primary": True}

_DDL = """
CREATE TABLE IF NOT EXISTS owners (
    id INTEGER PRIMARY KEY, sf_user_id TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
    first_name TEXT, last_name TEXT, user_id INTEGER NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0)
"""


@dataclass(frozen=True)
class SalesforceUser:
    id: str
    email: str
    first_name: str | None
    last_name: str | None
    active: bool


@dataclass(frozen=True)
class Owner:
    id: int
    email: str
    first_name: str | None
    last_name: str | None
    user_id: int
    created_at: str
    updated_at: str
    archived: bool

    def wire(self) -> dict[str, Any]:
        """``PublicOwner`` as the owners API guide shows it (userId null once archived)."""
        return {
            "id": str(self.id),
            "email": self.email,
            "type": "PERSON",
            "firstName": self.first_name or "",
            "lastName": self.last_name or "",
            "userId": None if self.archived else self.user_id,
            "userIdIncludingInactive": self.user_id,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "archived": self.archived,
            "teams": [SALES_TEAM],
        }

    def user_wire(self) -> dict[str, Any]:
        """The same person as the settings API's ``PublicUser`` (unverified beyond the
        fields MeltanoLabs' tap-hubspot reads: id, email, roleIds, primaryTeamId)."""
        return {
            "id": str(self.user_id),
            "email": self.email,
            "firstName": self.first_name or "",
            "lastName": self.last_name or "",
            "roleIds": [],
            "primaryTeamId": SALES_TEAM["id"],
            "secondaryTeamIds": [],
            "superAdmin": False,
        }


class SalesforceUsers:
    """Reads the sandbox org's Users from ``salesforce.db`` (never writes it)."""

    def __init__(self, path: Path, fallback: Credentials) -> None:
        self.path = path
        self.fallback = fallback
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is None and self.path.exists():
            self._conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, timeout=30.0
            )
        return self._conn

    def changed(self) -> bool:
        """Whether the org's file was written since the last :meth:`read`."""
        conn = self._connection()
        if conn is None:
            return self._version is None
        return conn.execute("PRAGMA data_version").fetchone()[0] != self._version

    def read(self) -> list[SalesforceUser]:
        conn = self._connection()
        if conn is None:
            self._version = -1
            return [self._integration_user()]
        self._version = conn.execute("PRAGMA data_version").fetchone()[0]
        try:
            rows = conn.execute(
                'SELECT "Id", "Email", "FirstName", "LastName", "IsActive" FROM "sobj_User"'
                ' ORDER BY "Id"'
            ).fetchall()
        except sqlite3.OperationalError:  # the org is not provisioned yet
            return [self._integration_user()]
        return [SalesforceUser(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows if r[1]]

    def _integration_user(self) -> SalesforceUser:
        return SalesforceUser(
            self.fallback.sf_user_id, self.fallback.sf_username, "Integration", "User", True
        )

    def forget(self) -> None:
        """Re-read the Users on next use (after the portal's owners were wiped)."""
        self._version = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Owners:
    """Owner records in the portal's store, mirrored from :class:`SalesforceUsers`."""

    def __init__(self, store: Store, users: SalesforceUsers, now: Callable[[], str]) -> None:
        self.store = store
        self.users = users
        self.now = now
        with store.db.transaction() as conn:
            conn.execute(_DDL)

    def wipe(self) -> None:
        with self.store.db.transaction() as conn:
            conn.execute("DELETE FROM owners")
        self.users.forget()

    def sync(self) -> None:
        """Bring owners in line with the org's Users when the org has changed.

        Runs under the store's lock (the only lock taken), so a sync inside a batch
        write's transaction and one from an owners read cannot wait on each other.
        """
        with self.store.db.reading():
            if not self.users.changed():
                return
        with self.store.db.transaction() as conn:
            if not self.users.changed():
                return
            users = self.users.read()
            now = self.now()
            known = {
                row[0]: (row[1], row[2], row[3], bool(row[4]))
                for row in conn.execute(
                    "SELECT sf_user_id, email, first_name, last_name, archived FROM owners"
                )
            }
            seen = set()
            for user in users:
                seen.add(user.id)
                state = (user.email.lower(), user.first_name, user.last_name, not user.active)
                if user.id not in known:
                    top = conn.execute("SELECT MAX(id) FROM owners").fetchone()
                    owner_id = max(FIRST_OWNER_ID, (top[0] or 0) + 1)
                    conn.execute(
                        "INSERT INTO owners VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            owner_id,
                            user.id,
                            *state[:3],
                            FIRST_USER_ID + (owner_id - FIRST_OWNER_ID),
                            now,
                            now,
                            int(state[3]),
                        ),
                    )
                elif known[user.id] != state:
                    conn.execute(
                        "UPDATE owners SET email = ?, first_name = ?, last_name = ?,"
                        " archived = ?, updated_at = ? WHERE sf_user_id = ?",
                        (*state[:3], int(state[3]), now, user.id),
                    )
            for gone in set(known) - seen:
                if not known[gone][3]:
                    conn.execute(
                        "UPDATE owners SET archived = 1, updated_at = ? WHERE sf_user_id = ?",
                        (now, gone),
                    )

    def _rows(self, where: str, params: tuple[Any, ...], limit: int = -1) -> list[Owner]:
        self.sync()
        with self.store.db.reading() as conn:
            rows = conn.execute(
                "SELECT id, email, first_name, last_name, user_id, created_at, updated_at,"
                f" archived FROM owners WHERE {where} ORDER BY id LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [Owner(*r[:7], bool(r[7])) for r in rows]  # type: ignore[arg-type]

    def page(
        self, limit: int, after: int, archived: bool, email: str | None
    ) -> tuple[list[Owner], int | None]:
        where, params = "archived = ? AND id >= ?", [int(archived), after]
        if email:
            where += " AND email = ?"
            params.append(email.lower())
        found = self._rows(where, tuple(params), limit + 1)
        next_after = found[limit].id if len(found) > limit else None
        return found[:limit], next_after

    def get(self, ref: str, by_user_id: bool, archived: bool) -> Owner | None:
        try:
            number = int(ref)
        except ValueError:
            return None
        column = "user_id" if by_user_id else "id"
        found = self._rows(f"{column} = ? AND archived = ?", (number, int(archived)))
        return found[0] if found else None

    def is_active_owner(self, value: str) -> bool:
        """Whether ``value`` is the id of an active owner (what ``hubspot_owner_id`` takes)."""
        return self.get(value, by_user_id=False, archived=False) is not None

    def close(self) -> None:
        self.users.close()
