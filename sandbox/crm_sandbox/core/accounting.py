"""Counts every API call by API, method + route template and status, durably.

Tests and benchmarks assert API-call counts from these figures (``crm-sandbox stats``
or ``GET /__sandbox/stats``), so they live in SQLite and survive a restart. The calls
being served at once (:mod:`crm_sandbox.core.in_flight`) are kept in memory beside them.

Each API counts into its own file (``DIR/calls-salesforce.db``, ``DIR/calls-hubspot.db``):
the two server processes (:mod:`crm_sandbox.core.server`) never wait on each other's
write lock, and a process that serves both (or the CLI with no server) reads both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crm_sandbox.core.db import Database
from crm_sandbox.core.in_flight import InFlight

if TYPE_CHECKING:
    from collections.abc import Iterable

    from crm_sandbox.core.datadir import DataDir

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    api TEXT NOT NULL,
    route TEXT NOT NULL,
    status INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (api, route, status)
);
"""


class Accounting:
    """Durable call counters of ``apis``, one SQLite file per API."""

    def __init__(self, data_dir: DataDir, apis: Iterable[str]) -> None:
        self.dbs = {api: Database(data_dir.db_path(f"calls-{api}")) for api in apis}
        self.in_flight = InFlight()
        for db in self.dbs.values():
            with db.transaction() as conn:
                conn.execute(_SCHEMA)

    def count(self, api: str, route: str, status: int) -> None:
        with self.dbs[api].transaction() as conn:
            conn.execute(
                "INSERT INTO calls (api, route, status, n) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (api, route, status) DO UPDATE SET n = n + 1",
                (api, route, status),
            )

    def snapshot(self) -> dict[str, dict[str, object]]:
        """``{api: {"calls": {route: n}, "statuses": {route: {status: n}}, "total": n}}``."""
        result: dict[str, dict[str, object]] = {}
        for _, db in sorted(self.dbs.items()):
            with db.reading() as conn:
                rows = conn.execute("SELECT api, route, status, n FROM calls ORDER BY route")
                for row in rows:
                    entry = result.setdefault(row["api"], {"calls": {}, "statuses": {}, "total": 0})
                    calls: dict[str, int] = entry["calls"]  # type: ignore[assignment]
                    statuses: dict[str, dict[str, int]] = entry["statuses"]  # type: ignore[assignment]
                    calls[row["route"]] = calls.get(row["route"], 0) + row["n"]
                    statuses.setdefault(row["route"], {})[str(row["status"])] = row["n"]
                    entry["total"] = int(entry["total"]) + row["n"]  # type: ignore[call-overload]
        return result

    def clear(self) -> None:
        self.in_flight.clear()
        for db in self.dbs.values():
            with db.transaction() as conn:
                conn.execute("DELETE FROM calls")

    def close(self) -> None:
        for db in self.dbs.values():
            db.close()
