"""A ledger with links, runs, pending associations and dead letters, written through the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crm_sync.ledger import LedgerStore, PendingAssociation, PendingReason, RunLogEntry
from crm_sync.vocabulary import AssociationType, Direction, RecordError

FWD, REV = Direction.SF_TO_HS, Direction.HS_TO_SF
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
RUNS = [  # (run id, mapping, direction, created, updated, conflicts, failed)
    ("run-1", "project", FWD, 12, 0, 0, 2),
    ("run-1", "project", REV, 3, 1, 0, 0),
    ("run-1", "account", FWD, 5, 0, 0, 0),
    ("run-2", "project", FWD, 0, 7, 2, 1),
    ("run-2", "project", REV, 0, 2, 1, 0),
    ("run-3", "project", FWD, 1, 4, 0, 0),
]


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[LedgerStore]:
    store = LedgerStore(tmp_path / "ledger.sqlite")
    with store.batch() as uow:
        for i in range(4):
            uow.link("project", f"a00{i}", f"h{i}")
        uow.link("account", "001A", "9001")
        for n, (run_id, mapping, direction, created, updated, conflicts, failed) in enumerate(RUNS):
            counts = {"created": created, "updated": updated, "conflicts": conflicts}
            counts |= {"failed": failed, "read": created + updated + failed}
            start = T0 + timedelta(hours=int(run_id[-1]), minutes=n)
            uow.log_run(RunLogEntry(run_id, mapping, direction, start, start, False, counts))
        uow.dead_letter(
            "project", FWD, "a009", {"Name": "secret-name"}, RecordError("INVALID_EMAIL", "bad: x@")
        )
        uow.dead_letter("project", FWD, "a010", {"Name": "n"}, RecordError("INVALID_EMAIL", "bad"))
        uow.dead_letter("project", REV, "h77", {"name": "m"}, RecordError("DUPLICATE_VALUE", "dup"))
        company = AssociationType("Account__c", label="Project's company")
        uow.add_pending(
            PendingAssociation(
                "project", FWD, "a001", company, "account", "001B", 0,
                "Account__c -> account 001B is not synced yet", PendingReason.TARGET_NOT_SYNCED,
            )
        )  # fmt: skip
        uow.add_pending(
            PendingAssociation(
                "project", FWD, "a002", company, "account", "001C", 0,
                "Account__c -> account 001C was refused (INVALID_EMAIL)",
                PendingReason.TARGET_REFUSED,
            )
        )  # fmt: skip
    yield store
    store.close()
