"""Which records an id write-back writes, and how its refusals and stops are kept.

:class:`crm_sync.sync.writeback.IdWriteBack` decides from the batch's plans and payloads; a
recording subclass stands in for the API (the e2e tests run the real one on the sandbox).
"""

from __future__ import annotations

from typing import Any

import pytest

from crm_sync.http import QuotaExhausted
from crm_sync.reconcile import Action, RecordPlan
from crm_sync.sync.batch import BatchWrite
from crm_sync.sync.writeback import IdWriteBack, Items, Refusals, stopped
from crm_sync.vocabulary import WRITE_BACK_FAILED, Direction, RecordError


class Recording(IdWriteBack):
    def __init__(self, refuse: set[str] = frozenset(), stop: bool = False) -> None:
        super().__init__("HubSpot_Id__c", "Account", needs_key=True)
        self.sent: list[tuple[str, str]] = []
        self.refuse, self.stop = refuse, stop

    def write_ids(self, items: Items) -> tuple[Refusals, QuotaExhausted | None]:
        if self.stop:
            exc = QuotaExhausted("share reached")
            return stopped(items, exc), exc
        self.sent += [(sf_id, hs_id) for sf_id, (_, hs_id) in items]
        return {i: RecordError("INVALID_FIELD", "no") for i, _ in items if i in self.refuse}, None


def plan(sf_id: str, action: Action = Action.CREATE, hs_id: str | None = None) -> RecordPlan:
    return RecordPlan("account", Direction.SF_TO_HS, sf_id, hs_id, action)


def batch() -> tuple[list[RecordPlan], BatchWrite, dict[str, dict[str, Any]]]:
    created, linked, holds, unread, partial, other = (
        plan("001A"),
        plan("001B", Action.UNCHANGED, "902"),
        plan("001C", Action.UNCHANGED, "903"),
        plan("001D", Action.UNCHANGED, "904"),
        plan("001E", Action.UNCHANGED, "905"),
        plan("001F", Action.UPDATE, "906"),
    )
    write = BatchWrite(written=[(created, "901")])
    payloads: dict[str, dict[str, Any]] = {
        "001A": {"_crm_destination_id": None},  # created just now
        "001B": {"_crm_destination_id": None},  # linked earlier, id never written
        "001C": {"_crm_destination_id": "903"},  # holds its id: the echo of a write-back
        "001D": {},  # read without the id field (a deselected field)
        "001E": {"_crm_destination_id": None, "_crm_partial": True},  # a refresh record
        "001F": {"_crm_destination_id": "999"},  # another record's id: the reverse's key
    }
    return [created, linked, holds, unread, partial, other], write, payloads


def test_only_records_read_with_a_blank_id_field_are_written() -> None:
    plans, write, payloads = batch()
    back = Recording()
    back.after_write(plans, write, payloads, {})
    assert sorted(back.sent) == [("001A", "901"), ("001B", "902")]
    assert write.refused == []
    assert [p.source_id for p in write.settled] == ["001B"]  # closes an earlier letter


def test_a_refused_write_back_is_a_dead_letter_of_its_own() -> None:
    plans, write, payloads = batch()
    Recording(refuse={"001A"}).after_write(plans, write, payloads, {})
    [letter] = write.refused
    assert (letter.plan.source_id, letter.error.code) == ("001A", WRITE_BACK_FAILED)
    assert letter.error.fields == ("HubSpot_Id__c",)
    assert letter.error.message.startswith("HubSpot_Id__c=901: INVALID_FIELD")


def test_a_quota_stop_dead_letters_what_it_kept_back_then_raises() -> None:
    plans, write, payloads = batch()
    with pytest.raises(QuotaExhausted):
        Recording(stop=True).after_write(plans, write, payloads, {})
    assert sorted(r.plan.source_id for r in write.refused) == ["001A", "001B"]
    assert all("WRITE_BACK_STOPPED" in r.error.message for r in write.refused)
