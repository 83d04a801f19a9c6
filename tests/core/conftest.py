"""Ledger fixtures: every ledger test runs on SQLite and on PostgreSQL.

The throwaway PostgreSQL server lives in :mod:`tests.fixtures_pg` (shared with the
targets' tests); each test gets a fresh database on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures_pg import fresh_database, postgres_server_url

__all__ = ["ledger_url", "postgres_server_url"]


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty ledger location on each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.db")
        return
    admin_url = request.getfixturevalue("postgres_server_url")
    if admin_url is None:
        pytest.skip("no PostgreSQL: set CRM_SYNC_TEST_PG_URL or install postgresql + psycopg")
    with fresh_database(admin_url) as url:
        yield url
