"""Counts every API call by API, method + route template and status, durably.

Tests and benchmarks assert API-call counts from these figures (``crm-sandbox stats``
or ``GET /__sandbox/stats``), so they live in SQLite and survive a restart. The calls
being served at once (:mod:`crm_sandbox.core.in_flight`) are kept in memory beside them.
"""

from __future__ import annotations

from pathlib import Path

from crm_sandbox.core.db import Database
from crm_sandbox.core.in_flight import InFlight

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
    """Durable call counters."""

    def __init__(self, path: Path) -> None:
        self.db = Database(path)
        self.in_flight = InFlight()
        with self.db.transaction() as conn:
            conn.execute(_SCHEMA)

    def count(self, api: str, route: str, status: int) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO calls (api, route, status, n) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (api, route, status) DO UPDATE SET n = n + 1",
                (api, route, status),
            )

    def snapshot(self) -> dict[str, dict[str, object]]:
        """``{api: {"calls": {route: n}, "statuses": {route: {status: n}}, "total": n}}``."""
        result: dict[str, dict[str, object]] = {}
        with self.db.reading() as conn:
            rows = conn.execute("SELECT api, route, status, n FROM calls ORDER BY api, route")
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
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM calls")
