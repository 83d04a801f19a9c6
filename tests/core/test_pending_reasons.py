"""Every pending association says why it waits (issue 12 item 8), decided from the ledger."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crm_sync.ledger import PendingReason
from crm_sync.sync.batch import BatchWrite
from crm_sync.sync.ledger import AssociationRef, SyncLedger, open_ledger
from crm_sync.sync.pending import warn_stuck
from crm_sync.vocabulary import AssociationType, Direction, RecordError, Side

FWD = Direction.SF_TO_HS
COMPANY = AssociationType("Account__c")


def ref(project: str, to_mapping: str, account: str) -> AssociationRef:
    return AssociationRef("project", project, to_mapping, account, COMPANY)


@pytest.fixture
def ledger(tmp_path: Path) -> SyncLedger:
    ledger = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with ledger.store.batch() as uow:
        for n in range(1, 6):
            uow.link("project", f"a00{n}", f"90{n}")
        uow.link("account", "001A", "801")
        uow.dead_letter("account", FWD, "001R", {"Name": "x"}, RecordError("INVALID_EMAIL", "no"))
    ledger.remember_object("account", Side.HUBSPOT, "companies", "0-2")
    return ledger


def test_each_pending_association_carries_its_reason(ledger: SyncLedger) -> None:
    refs = [
        ref("a001", "account", "001N"),  # account mapping ran; 001N not read yet
        ref("a002", "account", "001R"),  # 001R is a dead letter
        ref("a003", "contact", "003X"),  # mapping 'contact' never ran with this ledger
        ref("a009", "account", "001A"),  # the project itself is not linked
        ref("a005", "account", "001A"),  # both linked: the association was refused
    ]
    ledger.commit("project", FWD, BatchWrite(), pending=refs)
    got = {p.from_id: (p.reason, p.last_error) for p in ledger.store.pending_associations(
        "project", FWD)}  # fmt: skip
    assert got == {
        "a001": (PendingReason.TARGET_NOT_SYNCED, "Account__c -> account 001N is not synced yet"),
        "a002": (
            PendingReason.TARGET_REFUSED,
            "Account__c -> account 001R was refused (INVALID_EMAIL); see its dead letter",
        ),
        "a003": (
            PendingReason.TARGET_MAPPING_NOT_RUN,
            "Account__c -> mapping 'contact' never ran with this ledger (disabled, unknown, "
            "or not in this job)",
        ),
        "a009": (
            PendingReason.SOURCE_NOT_SYNCED,
            "Account__c -> project a009 is not synced itself",
        ),
        "a005": (
            PendingReason.NO_ASSOCIATION_TYPE,
            "Account__c -> project a005 and account 001A are both synced, but the association "
            "(Account__c) was refused: check the association type or label between the two "
            "objects",
        ),
    }


def test_a_reason_changes_with_the_ledger(ledger: SyncLedger) -> None:
    ledger.commit("project", FWD, BatchWrite(), pending=[ref("a001", "account", "001R")])
    with ledger.store.batch() as uow:  # the account is written by a later run
        uow.resolve_dead_letters("account", FWD, ["001R"])
    ledger.commit("project", FWD, BatchWrite(), pending=[ref("a001", "account", "001R")])
    [item] = ledger.store.pending_associations("project", FWD)
    assert item.reason is PendingReason.TARGET_NOT_SYNCED and item.attempts == 2


def test_stuck_associations_are_one_warning_per_reason(
    ledger: SyncLedger, caplog: pytest.LogCaptureFixture
) -> None:
    refs = [ref("a001", "account", "001N"), ref("a004", "account", "001M")]
    ledger.commit("project", FWD, BatchWrite(), pending=[*refs, ref("a002", "account", "001R")])
    logger = logging.getLogger("test-target")
    caplog.set_level(logging.INFO)
    started = datetime.now(UTC) - timedelta(hours=1)  # parked during this run: nothing said
    assert warn_stuck(logger, ledger, "project", FWD, started) == 0
    assert not caplog.records
    later = datetime.now(UTC) + timedelta(seconds=1)  # the next run
    assert warn_stuck(logger, ledger, "project", FWD, later) == 3
    lines = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert lines == [
        (
            logging.WARNING,
            "project: 2 association(s) still pending after more than one run: "
            "target_not_synced (the related record is not synced yet); e.g. Account__c -> "
            "account 001N is not synced yet; `crm-sync pending list --mapping project` lists "
            "them",
        ),
        (
            logging.WARNING,
            "project: 1 association(s) still pending after more than one run: "
            "target_refused (the related record was refused: a dead letter); e.g. "
            "Account__c -> account 001R was refused (INVALID_EMAIL); see its dead letter; "
            "`crm-sync pending list --mapping project` lists them",
        ),
    ]
