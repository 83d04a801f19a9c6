"""The forward leg's id write-back to Salesforce records that no longer exist, on the
sandbox's real answers: a record in the recycle bin (``ENTITY_IS_DELETED``) and one never
there (``INVALID_CROSS_REFERENCE_KEY``), by collections update and by a Bulk 2.0 job.
Each becomes a dead letter closed at once (``WRITE_BACK_SOURCE_GONE``), not one replayed
by every run; a live record beside them gets its id."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from target_hubspot_custom.writeback import SalesforceWriteBack

from crm_sandbox.core.ids import salesforce_id
from crm_sync.reconcile import Action, RecordPlan
from crm_sync.sync.batch import BatchWrite
from crm_sync.sync.ledger import SyncLedger, open_ledger
from crm_sync.vocabulary import WRITE_BACK_SOURCE_GONE, Direction
from tests.core.test_owners import sandbox_clients
from tests.e2e.two_way_helpers import Salesforce


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SyncLedger]:
    opened = open_ledger(tmp_path / "ledger.sqlite")
    yield opened
    opened.close()


@pytest.mark.parametrize("bulk_threshold", [3, 1000], ids=["bulk-job", "collections"])
def test_write_backs_to_records_gone_are_closed_letters(
    clean_sandbox: Any, ledger: SyncLedger, bulk_threshold: int
) -> None:
    clean_sandbox.seed(salesforce={"Account": 2})
    org = Salesforce(clean_sandbox.env)
    live, deleted = sorted(org.rows("Account", "Name"))
    org.delete("Account", deleted)  # to the recycle bin
    never = salesforce_id("001", 987_654)
    client, _ = sandbox_clients(clean_sandbox.env)
    with ThreadPoolExecutor(2) as pool:
        back = SalesforceWriteBack(
            client, "Account", "HubSpot_Id__c", pool,
            ledger=ledger, mapping="account", bulk_threshold=bulk_threshold,
        )  # fmt: skip
        plans = [RecordPlan("account", Direction.SF_TO_HS, i, None, Action.CREATE)
                 for i in (live, deleted, never)]  # fmt: skip
        write = BatchWrite(written=[(p, f"90{n}") for n, p in enumerate(plans)])
        back.after_write(plans, write, {p.source_id: {"_crm_destination_id": None}
                                        for p in plans}, {})  # fmt: skip
        ledger.commit("account", Direction.SF_TO_HS, write)
        back.flush()
    assert org.rows("Account", "HubSpot_Id__c")[live]["HubSpot_Id__c"] == "900"
    assert ledger.dead_letters("account", Direction.SF_TO_HS) == []  # none to replay
    letters = ledger.store.dead_letters("account", Direction.SF_TO_HS, include_resolved=True)
    closed = {x.source_id: x for x in letters if x.resolved_at is not None}
    assert {i: x.error.code for i, x in closed.items()} == {
        deleted: WRITE_BACK_SOURCE_GONE,
        never: WRITE_BACK_SOURCE_GONE,
    }
    assert closed[deleted].error.message.startswith("HubSpot_Id__c=901: ENTITY_IS_DELETED")
    assert closed[never].error.message.startswith("HubSpot_Id__c=902: INVALID_CROSS_REFERENCE_KEY")
    assert ledger.waiting_write_backs("account", Direction.SF_TO_HS) == 0
