"""Which records an id write-back writes, and how its refusals and stops are kept.

:class:`crm_sync.sync.writeback.IdWriteBack` decides from the batch's plans and payloads; a
recording subclass stands in for the API (the e2e tests run the real one on the sandbox).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from crm_sync.http import QuotaExhausted
from crm_sync.reconcile import Action, RecordPlan
from crm_sync.sync.batch import BatchWrite
from crm_sync.sync.ledger import SyncLedger, open_ledger
from crm_sync.sync.writeback import IdWriteBack, Items, QueuedIdWriteBack, Refusals, stopped
from crm_sync.vocabulary import WRITE_BACK_FAILED, WRITE_BACK_SOURCE_GONE, Direction, RecordError


class Recording(IdWriteBack):
    def __init__(self, refuse: set[str] = frozenset(), stop: bool = False) -> None:
        super().__init__("HubSpot_Id__c", "Account", needs_key=True)
        self.sent: list[tuple[str, str]] = []
        self.refuse, self.stop = refuse, stop

    def write_ids(self, items: Items) -> tuple[Refusals, QuotaExhausted | None]:
        if self.stop:
            exc = QuotaExhausted("share reached")
            return stopped(items, exc), exc
        self.sent += list(items)
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


# ---------------------------------------------------------------- queued across batches


class Queued(QueuedIdWriteBack):
    """The forward leg's queue over a real ledger; the API is a list of calls."""

    def __init__(self, ledger: SyncLedger, flush_at: int, **faults: Any) -> None:
        super().__init__(
            "HubSpot_Id__c",
            "Account",
            ledger=ledger,
            mapping="account",
            direction=Direction.SF_TO_HS,
            flush_at=flush_at,
            run_id="run-1",
            needs_key=True,
        )
        self.calls: list[list[tuple[str, str]]] = []
        self.refuse: set[str] = faults.get("refuse", set())
        self.stop_after: int | None = faults.get("stop_after")
        self.gone: set[str] = set()
        """Refused ones the source says no longer exist (``WRITE_BACK_SOURCE_GONE``)."""

    def write_ids(self, items: Items) -> tuple[Refusals, QuotaExhausted | None]:
        if self.stop_after is not None and len(self.calls) >= self.stop_after:
            exc = QuotaExhausted("share reached")
            return stopped(items, exc), exc
        self.calls.append(list(items))
        deleted = RecordError("ENTITY_IS_DELETED", "gone")
        said_gone = RecordError(WRITE_BACK_SOURCE_GONE, str(deleted))
        return {
            i: said_gone if i in self.gone else deleted for i, _ in items if i in self.refuse
        }, None


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SyncLedger]:
    opened = open_ledger(tmp_path / "ledger.sqlite")
    yield opened
    opened.close()


def created(sf_id: str) -> RecordPlan:
    """A create whose base holds a value on each side and an association."""
    base = {"hubspot": {"name": sf_id, "@assoc:ParentId": "001P"}, "salesforce": {"Name": sf_id}}
    return replace(plan(sf_id), base_after=base)


def created_batch(first: int, count: int) -> tuple[list[RecordPlan], BatchWrite, dict[str, Any]]:
    plans = [created(f"001{n:06d}") for n in range(first, first + count)]
    write = BatchWrite(written=[(p, str(900000 + int(p.source_id[3:]))) for p in plans])
    payloads = {p.source_id: {"Name": p.source_id, "_crm_destination_id": None} for p in plans}
    return plans, write, payloads


def commit_batch(ledger: SyncLedger, back: Queued, first: int, count: int) -> None:
    """What the leg and the sink do with one batch: queue, commit, flush if due."""
    plans, write, payloads = created_batch(first, count)
    back.after_write(plans, write, payloads, {})
    ledger.commit("account", Direction.SF_TO_HS, write)
    back.flush_due()


def test_write_backs_wait_across_batches_and_go_a_full_page_at_a_time(
    ledger: SyncLedger,
) -> None:
    back = Queued(ledger, flush_at=1000)
    commit_batch(ledger, back, 0, 400)
    commit_batch(ledger, back, 400, 400)
    assert back.calls == []  # 800 wait, committed with their batches
    assert ledger.waiting_write_backs("account", Direction.SF_TO_HS) == 800
    commit_batch(ledger, back, 800, 400)
    assert [len(c) for c in back.calls] == [1000]  # one full page; 200 keep waiting
    assert ledger.waiting_write_backs("account", Direction.SF_TO_HS) == 200
    back.flush()  # end of the run: the rest, however few
    assert [len(c) for c in back.calls] == [1000, 200]
    sent = [i for c in back.calls for i in c]
    assert len(sent) == len(set(sent)) == 1200
    assert ("001000007", "900007") in sent
    assert ledger.waiting_write_backs("account", Direction.SF_TO_HS) == 0
    assert back.written == 1200


def test_what_a_killed_run_queued_is_written_by_the_next_run(ledger: SyncLedger) -> None:
    """The queue is the ledger: a new run (a new write-back) starts with the leftovers
    and writes them at its end, although no batch of it names those records."""
    commit_batch(ledger, Queued(ledger, flush_at=1000), 0, 300)  # then the process dies
    again = Queued(ledger, flush_at=1000)
    assert again.waiting == 300
    again.flush()
    assert sorted(i for i, _ in again.calls[0]) == [f"001{n:06d}" for n in range(300)]
    assert ledger.waiting_write_backs("account", Direction.SF_TO_HS) == 0


def test_a_killed_runs_queue_goes_first_before_the_next_run_queues_more(
    ledger: SyncLedger,
) -> None:
    """The next run writes the leftovers at its start, every one, although fewer than a
    page: its own batches then queue and go as if the queue had been empty."""
    commit_batch(ledger, Queued(ledger, flush_at=1000), 0, 300)  # then the process dies
    again = Queued(ledger, flush_at=1000)
    again.flush_earlier()
    assert [len(c) for c in again.calls] == [300]
    assert ledger.waiting_write_backs("account", Direction.SF_TO_HS) == 0
    commit_batch(ledger, again, 300, 200)
    assert [len(c) for c in again.calls] == [300]  # this run's wait for their page
    again.flush()
    assert [len(c) for c in again.calls] == [300, 200]
    assert sorted(i for c in again.calls for i, _ in c) == [f"001{n:06d}" for n in range(500)]


def test_a_killed_runs_record_read_again_blank_is_not_written_twice(ledger: SyncLedger) -> None:
    """Killed before its STATE passed them, the run's records come again in the next run,
    their id field read blank before that run's start wrote it: not queued again."""
    commit_batch(ledger, Queued(ledger, flush_at=1000), 0, 300)  # then the process dies
    again = Queued(ledger, flush_at=1000)
    again.flush_earlier()
    commit_batch(ledger, again, 0, 400)  # the 300 again, read blank, and 100 new ones
    again.flush()
    assert [len(c) for c in again.calls] == [300, 100]
    assert [i for i, _ in again.calls[1]] == [f"001{n:06d}" for n in range(300, 400)]


def test_a_record_read_again_with_its_id_field_set_drops_its_queued_row(
    ledger: SyncLedger,
) -> None:
    """Queued in one batch, read again in a later one holding that id (set meanwhile by
    someone else) or another: nothing is written to it, the rest go as queued."""
    back = Queued(ledger, flush_at=1000)
    commit_batch(ledger, back, 0, 300)
    same, other, partial = plan("001000005"), plan("001000006"), plan("001000007")
    write = BatchWrite()
    back.after_write(
        [same, other, partial],
        write,
        {
            "001000005": {"_crm_destination_id": "900005"},  # the queued id, set already
            "001000006": {"_crm_destination_id": "777"},  # another id: never overwritten
            "001000007": {"_crm_destination_id": "900007", "_crm_partial": True},
        },
        {},
    )
    assert write.write_backs == []
    ledger.commit("account", Direction.SF_TO_HS, write)
    assert ledger.waiting_write_backs("account", Direction.SF_TO_HS) == 298
    back.flush()
    sent = dict(back.calls[0])
    assert len(sent) == 298 and "001000005" not in sent and "001000006" not in sent
    assert sent["001000007"] == "900007"  # a partial read says nothing of the field


def test_a_quota_stop_at_the_start_keeps_the_leftovers_queued_for_the_end(
    ledger: SyncLedger,
) -> None:
    commit_batch(ledger, Queued(ledger, flush_at=1000), 0, 300)  # then the process dies
    stopped_early = Queued(ledger, flush_at=1000, stop_after=0)
    stopped_early.flush_earlier()  # the org's share is reached: no raise, the run goes on
    assert stopped_early.calls == []
    assert ledger.waiting_write_backs("account", Direction.SF_TO_HS) == 300
    assert ledger.dead_letters("account", Direction.SF_TO_HS) == []
    stopped_early.stop_after = None  # the share is back by the end of the run
    stopped_early.flush()
    assert [len(c) for c in stopped_early.calls] == [300]


def test_a_refused_queued_write_back_is_a_dead_letter_with_the_record(
    ledger: SyncLedger,
) -> None:
    """The queue keeps only the ids; the letter is the record as its base holds it, the
    id field blank (so its replay writes the id back), associations left to the base."""
    back = Queued(ledger, flush_at=1000, refuse={"001000003"})
    commit_batch(ledger, back, 0, 10)
    back.flush()
    [letter] = ledger.dead_letters("account", Direction.SF_TO_HS)
    assert (letter.source_id, letter.error.code) == ("001000003", WRITE_BACK_FAILED)
    assert letter.error.message.startswith("HubSpot_Id__c=900003: ENTITY_IS_DELETED")
    assert letter.payload == {
        "name": "001000003",
        "_crm_source_id": "001000003",
        "_crm_destination_id": None,
        "_crm_source_values": {"Name": "001000003"},
    }
    assert ledger.waiting_write_backs("account", Direction.SF_TO_HS) == 0
    assert back.written == 9


def test_a_write_back_to_a_record_gone_from_the_source_is_a_closed_letter(
    ledger: SyncLedger,
) -> None:
    """The source says the record no longer exists: the letter is kept with that reason,
    closed, so no later run replays it (a replay could only be refused again)."""
    back = Queued(ledger, flush_at=1000, refuse={"001000003", "001000004"})
    back.gone = {"001000003"}
    commit_batch(ledger, back, 0, 10)
    back.flush()
    [open_letter] = ledger.dead_letters("account", Direction.SF_TO_HS)
    assert (open_letter.source_id, open_letter.error.code) == ("001000004", WRITE_BACK_FAILED)
    letters = ledger.store.dead_letters("account", Direction.SF_TO_HS, include_resolved=True)
    [closed] = [x for x in letters if x.resolved_at is not None]
    assert (closed.source_id, closed.error.code) == ("001000003", WRITE_BACK_SOURCE_GONE)
    assert closed.error.message == (
        "HubSpot_Id__c=900003: ENTITY_IS_DELETED: gone; the Account record no longer exists,"
        " nothing to write"
    )
    assert closed.error.fields == ("HubSpot_Id__c",)
    assert ledger.waiting_write_backs("account", Direction.SF_TO_HS) == 0


def test_a_quota_stop_keeps_the_rest_queued_not_dead_lettered(ledger: SyncLedger) -> None:
    back = Queued(ledger, flush_at=100, stop_after=1)
    commit_batch(ledger, back, 0, 100)  # due: the first page goes
    commit_batch(ledger, back, 100, 50)
    with pytest.raises(QuotaExhausted):
        back.flush()  # the end of the run: the org's share is reached
    assert [len(c) for c in back.calls] == [100]
    assert ledger.waiting_write_backs("account", Direction.SF_TO_HS) == 50
    assert ledger.dead_letters("account", Direction.SF_TO_HS) == []


def test_a_queued_write_back_closes_the_letter_of_an_earlier_refusal(
    ledger: SyncLedger,
) -> None:
    """A replayed ``WRITE_BACK_FAILED`` letter (linked, id field still blank): the queue
    holds its id now, so the letter closes with the batch."""
    back = Queued(ledger, flush_at=1000, refuse={"001000000"})
    commit_batch(ledger, back, 0, 1)
    back.flush()
    assert len(ledger.dead_letters("account", Direction.SF_TO_HS)) == 1
    replay = Queued(ledger, flush_at=1000)
    linked = plan("001000000", Action.UNCHANGED, "900000")
    write = BatchWrite()
    replay.after_write([linked], write, {"001000000": {"_crm_destination_id": None}}, {})
    assert [p.source_id for p in write.settled] == ["001000000"]
    ledger.commit("account", Direction.SF_TO_HS, write)
    assert ledger.dead_letters("account", Direction.SF_TO_HS) == []
    replay.flush()
    assert replay.calls == [[("001000000", "900000")]]
