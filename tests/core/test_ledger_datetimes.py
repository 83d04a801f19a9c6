"""The ledger's date-times on SQLite: stored as SQLAlchemy's own ``DATETIME`` text.

:class:`crm_sync.ledger.models.UtcDateTime` binds SQLite values in one step; the text
must be the one SQLAlchemy's dialect writes (``process_bind_param`` then ``DATETIME``'s
format), since ledgers written before keep that text and SQL compares it as text (the
later-of-two-times update of a link).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from crm_sync.ledger import LedgerStore
from crm_sync.ledger.models import SyncRecordRow, UtcDateTime

DIALECT = sqlite.dialect()
TIMES = [
    datetime(2026, 11, 30, 2, 3, 22, 472000, tzinfo=UTC),
    datetime(2026, 11, 30, 2, 3, 22, tzinfo=UTC),  # no microseconds
    datetime(2026, 11, 30, 4, 3, 22, 5, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 11, 30, 2, 3, 22, 999999),  # naive: taken as UTC
    datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),  # a three-digit year
]


@pytest.mark.parametrize("value", [*TIMES, None])
def test_sqlite_text_is_the_dialects_own(value: datetime | None) -> None:
    column = UtcDateTime()
    ours = column.bind_processor(DIALECT)
    dialects = sqlite.DATETIME().bind_processor(DIALECT)
    assert ours is not None and dialects is not None
    assert ours(value) == dialects(column.process_bind_param(value, DIALECT))


def test_times_round_trip_and_only_move_forward(tmp_path: Path) -> None:
    later, earlier = TIMES[0], TIMES[0] - timedelta(microseconds=1)
    with LedgerStore(tmp_path / "ledger.sqlite") as store:
        with store.batch() as uow:
            uow.link("project", "a1", "h1", sf_modified_at=later, hs_modified_at=TIMES[2])
        with store.batch() as uow:
            uow.link("project", "a1", "h1", sf_modified_at=earlier)
        with store.engine.connect() as connection:
            row = connection.execute(
                select(SyncRecordRow.sf_modified_at, SyncRecordRow.hs_modified_at)
            ).one()
    assert row == (later, TIMES[2].astimezone(UTC))
