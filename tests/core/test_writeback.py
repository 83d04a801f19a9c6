"""Which records an id write-back writes, and how its refusals and stops are kept.

:class:`crm_sync.sync.writeback.IdWriteBack` decides from the batch's plans and payloads; a
recording subclass stands in for the API (the e2e tests run the real one on the sandbox).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event

from crm_sync.http import QuotaExhausted
from crm_sync.reconcile import Action, RecordPlan
from crm_sync.sync.batch import BatchWrite
from crm_sync.sync.ledger import SyncLedger, open_ledger
from crm_sync.sync.writeback import (
    Answer,
    IdWriteBack,
    InFlight,
    Items,
    QueuedIdWriteBack,
    Refusals,
    stopped,
)
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

    def __init__(
        self, ledger: SyncLedger, flush_at: int, background: Executor | None = None, **faults: Any
    ) -> None:
        super().__init__(
            "HubSpot_Id__c",
            "Account",
            ledger=ledger,
            mapping="account",
            direction=Direction.SF_TO_HS,
            flush_at=flush_at,
            run_id="run-1",
            needs_key=True,
            background=background,
        )
        self.calls: list[list[tuple[str, str]]] = []
        self.refuse: set[str] = faults.get("refuse", set())
        self.refuse_pairs: set[tuple[str, str]] = faults.get("refuse_pairs", set())
        """Refused only when written with that destination id."""
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
            i: said_gone if i in self.gone else deleted
            for i, d in items
            if i in self.refuse or (i, d) in self.refuse_pairs
        }, None


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[SyncLedger]:
    """A fresh ledger on SQLite and on PostgreSQL (tests/core/conftest.py)."""
    opened = open_ledger(ledger_url)
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


# ---------------------------------------------------------------- pages written beside the batches

GUARD_S = 30
"""How long a fake Bulk job waits for the test to release it before it fails the test
(a guard against a hang, never a wait for something to happen)."""


class Blocking(Queued):
    """A source whose every job (a call of ``write_ids``) waits until the test sets
    ``gate``; ``entered`` is set once a call is waiting, ``threads`` names where each
    call ran."""

    def __init__(self, ledger: SyncLedger, flush_at: int, background: Executor, **faults: Any):
        super().__init__(ledger, flush_at, background, **faults)
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.threads: list[str] = []
        self.fail: BaseException | None = None

    def write_ids(self, items: Items) -> tuple[Refusals, QuotaExhausted | None]:
        self.threads.append(threading.current_thread().name)
        self.entered.set()
        if not self.gate.wait(GUARD_S):
            raise AssertionError("the test never released the write-back job")
        if self.fail is not None:
            raise self.fail
        return super().write_ids(items)


class Waited(Future[list[Answer]]):
    """The job's future, seen by the write-back: calls ``on_wait`` once someone waits
    for its result (the writer's thread waiting for the job in flight)."""

    def __init__(self, inner: Future[list[Answer]], on_wait: threading.Event) -> None:
        super().__init__()
        self.inner, self.on_wait = inner, on_wait

    def done(self) -> bool:
        return self.inner.done()

    def result(self, timeout: float | None = None) -> list[Answer]:
        self.on_wait.set()
        return self.inner.result(timeout)


@pytest.fixture
def background() -> Iterator[ThreadPoolExecutor]:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="write-back")
    yield executor
    executor.shutdown(wait=True)


def waiting(ledger: SyncLedger) -> int:
    return ledger.waiting_write_backs("account", Direction.SF_TO_HS)


def ids(first: int, count: int) -> list[str]:
    return [f"001{n:06d}" for n in range(first, first + count)]


def finished(back: QueuedIdWriteBack) -> None:
    """Wait until the job in flight has ended (the write-back has not seen it yet)."""
    assert back.in_flight is not None
    wait_for([back.in_flight.future], timeout=GUARD_S)


def test_batches_go_on_while_a_page_is_written_and_a_later_batch_records_it(
    ledger: SyncLedger, background: ThreadPoolExecutor
) -> None:
    back = Blocking(ledger, flush_at=100, background=background)
    commit_batch(ledger, back, 0, 100)  # due: the page goes to the background
    assert back.entered.wait(GUARD_S)
    assert back.in_flight is not None and back.threads == ["write-back_0"]
    commit_batch(ledger, back, 100, 120)  # the writer goes on: the job is not waited for
    commit_batch(ledger, back, 220, 100)
    assert back.calls == [] and back.written == 0
    assert waiting(ledger) == 320  # the page in flight stays queued until recorded

    back.gate.set()
    finished(back)
    assert [len(c) for c in back.calls] == [100]
    assert waiting(ledger) == 320  # answered, not recorded: only the writer's thread does
    commit_batch(ledger, back, 320, 10)  # records it, then starts the two pages now due
    finished(back)
    assert [len(c) for c in back.calls] == [100, 100, 100]
    assert waiting(ledger) == 230 and back.written == 100
    back.flush()  # end of the run: records the job, then the last 30 on this thread
    assert [len(c) for c in back.calls] == [100, 100, 100, 30]
    assert back.threads == ["write-back_0"] * 3 + [threading.current_thread().name]
    sent = [i for c in back.calls for i, _ in c]
    assert sorted(sent) == ids(0, 330)  # each once
    assert waiting(ledger) == 0 and back.written == 330 and back.in_flight is None


def test_the_end_of_the_run_waits_for_the_job_in_flight_before_reading_the_rest(
    ledger: SyncLedger, background: ThreadPoolExecutor
) -> None:
    """The job is released only once ``flush`` waits for it: had ``flush`` read the queue
    first, it would take the rows in flight again (or hang until the guard fails)."""
    back = Blocking(ledger, flush_at=100, background=background)
    commit_batch(ledger, back, 0, 150)
    assert back.entered.wait(GUARD_S) and back.in_flight is not None
    job = back.in_flight
    back.in_flight = InFlight(job.pages, Waited(job.future, on_wait=back.gate))
    back.flush()
    assert [len(c) for c in back.calls] == [100, 50]
    assert sorted(i for c in back.calls for i, _ in c) == ids(0, 150)
    assert waiting(ledger) == 0 and back.written == 150


def test_a_failed_job_is_raised_on_the_writer_thread_and_its_rows_stay_queued(
    ledger: SyncLedger, background: ThreadPoolExecutor
) -> None:
    back = Blocking(ledger, flush_at=100, background=background)
    back.fail = ConnectionError("connection reset")
    commit_batch(ledger, back, 0, 100)
    back.gate.set()
    finished(back)
    with pytest.raises(ConnectionError, match="connection reset"):
        commit_batch(ledger, back, 100, 10)  # the batch is committed, then the job's error
    assert waiting(ledger) == 110  # nothing recorded: the next run writes them
    assert ledger.dead_letters("account", Direction.SF_TO_HS) == []


def test_a_quota_stop_in_the_background_is_recorded_then_raised_on_the_writer_thread(
    ledger: SyncLedger, background: ThreadPoolExecutor
) -> None:
    """The first job's page is written; the second job's first page meets the stop: its
    later page is not tried, both stay queued (not dead-lettered), the next flush raises."""
    back = Queued(ledger, flush_at=100, background=background, stop_after=1)
    commit_batch(ledger, back, 0, 100)
    finished(back)
    commit_batch(ledger, back, 100, 200)  # records the first job, starts two pages
    finished(back)
    assert back.in_flight is not None and len(back.in_flight.pages) == 2
    with pytest.raises(QuotaExhausted):
        commit_batch(ledger, back, 300, 10)
    assert [len(c) for c in back.calls] == [100]
    assert waiting(ledger) == 210 and back.written == 100
    assert ledger.dead_letters("account", Direction.SF_TO_HS) == []


def test_a_refused_write_back_of_a_background_job_is_a_dead_letter(
    ledger: SyncLedger, background: ThreadPoolExecutor
) -> None:
    back = Queued(ledger, flush_at=100, background=background, refuse={"001000003"})
    commit_batch(ledger, back, 0, 100)
    finished(back)
    back.flush()
    [letter] = ledger.dead_letters("account", Direction.SF_TO_HS)
    assert (letter.source_id, letter.error.code) == ("001000003", WRITE_BACK_FAILED)
    assert waiting(ledger) == 0 and back.written == 99


def test_a_run_that_dies_with_a_job_in_flight_leaves_its_rows_to_the_next_run(
    ledger: SyncLedger, background: ThreadPoolExecutor
) -> None:
    """Nothing is dropped from the queue before the writer records the answers: the next
    run (a new write-back on the same ledger) finds the page in flight still queued and
    writes it first (an id written twice is harmless)."""
    dying = Blocking(ledger, flush_at=100, background=background)
    commit_batch(ledger, dying, 0, 130)
    assert dying.entered.wait(GUARD_S)
    again = Queued(ledger, flush_at=100)
    assert again.waiting == 130
    again.flush_earlier()
    assert sorted(i for c in again.calls for i, _ in c) == ids(0, 130)
    assert waiting(ledger) == 0
    dying.gate.set()  # the dead run's job ends unrecorded


# ---------------------------------------------------------------- queued again while in flight


def queued(ledger: SyncLedger) -> dict[str, str]:
    """The queue: source id -> the destination id waiting to be written."""
    pages = ledger.write_back_pages("account", Direction.SF_TO_HS, 1000)
    return {w.source_id: w.destination_id for page in pages for w in page}


def requeue(ledger: SyncLedger, back: QueuedIdWriteBack, source_id: str, dest_id: str) -> None:
    """A later batch links ``source_id`` to another HubSpot record (the first archived and
    created again, merged, a twin repaired) while its first id is being written: the tap
    read its id field blank, so the new id is queued over the row in flight."""
    again = plan(source_id)
    write = BatchWrite(written=[(again, dest_id)])
    back.after_write([again], write, {source_id: {"_crm_destination_id": None}}, {})
    ledger.commit("account", Direction.SF_TO_HS, write)
    back.flush_due()


def id_fields(back: Queued) -> dict[str, str]:
    """Each source record's id field as the writes leave it (the last write wins)."""
    return dict(pair for call in back.calls for pair in call)


def test_a_record_queued_again_with_a_new_id_while_its_page_is_in_flight_gets_the_new_id(
    ledger: SyncLedger, background: ThreadPoolExecutor
) -> None:
    """Recording the page drops only the rows that still hold the pair it wrote: the newer
    row stays queued, and the end of the run writes it over the old id."""
    back = Blocking(ledger, flush_at=100, background=background)
    commit_batch(ledger, back, 0, 100)  # due: the page goes to the background
    assert back.entered.wait(GUARD_S) and back.in_flight is not None
    requeue(ledger, back, "001000005", "777005")
    back.gate.set()
    finished(back)
    commit_batch(ledger, back, 100, 10)  # records the page
    assert back.calls[0][5] == ("001000005", "900005")
    assert queued(ledger)["001000005"] == "777005"
    assert waiting(ledger) == 11 and back.waiting == 11
    back.flush()
    assert ("001000005", "777005") in back.calls[-1]
    assert id_fields(back)["001000005"] == "777005"
    assert waiting(ledger) == 0 and back.written == 111
    assert ledger.dead_letters("account", Direction.SF_TO_HS) == []


def test_a_refusal_of_the_old_id_neither_dead_letters_nor_drops_the_new_one(
    ledger: SyncLedger, background: ThreadPoolExecutor
) -> None:
    """The source refuses the id in flight (the pair it wrote): the record is queued again
    with a newer id meanwhile, so there is nothing to dead-letter; the new id goes."""
    back = Blocking(ledger, flush_at=100, background=background)
    back.refuse_pairs = {("001000005", "900005"), ("001000006", "900006")}
    commit_batch(ledger, back, 0, 100)
    assert back.entered.wait(GUARD_S)
    requeue(ledger, back, "001000005", "777005")  # 001000006 is not queued again
    back.gate.set()
    finished(back)
    back.flush()
    [letter] = ledger.dead_letters("account", Direction.SF_TO_HS)
    assert (letter.source_id, letter.error.code) == ("001000006", WRITE_BACK_FAILED)
    assert back.calls[-1] == [("001000005", "777005")]
    assert id_fields(back)["001000005"] == "777005"
    assert waiting(ledger) == 0


def test_an_answered_page_of_ten_thousand_is_dropped_by_one_statement(
    ledger: SyncLedger,
) -> None:
    """The queue is dropped by (source id, destination id), set-based: a page the source
    answered costs one DELETE, however many ids it holds."""
    back = Queued(ledger, flush_at=10_000)
    commit_batch(ledger, back, 0, 9_999)
    deletes: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM PENDING_WRITE_BACK"):
            deletes.append(statement)

    engine = ledger.store.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        commit_batch(ledger, back, 9_999, 1)  # due: the page is written and recorded
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [len(c) for c in back.calls] == [10_000]
    assert len(deletes) == 1 and waiting(ledger) == 0


def test_a_run_killed_with_the_old_id_written_leaves_the_new_one_to_the_next_run(
    ledger: SyncLedger, background: ThreadPoolExecutor
) -> None:
    """Killed once the job has written the old id, before the answers are recorded
    (``WRITE_BACK_ANSWERED``), after the record was queued again: the queue holds the
    newer id, which the next run writes first."""
    dying = Blocking(ledger, flush_at=100, background=background)
    commit_batch(ledger, dying, 0, 100)
    assert dying.entered.wait(GUARD_S)
    requeue(ledger, dying, "001000005", "777005")
    dying.gate.set()
    finished(dying)  # written, never recorded: the process dies here
    again = Queued(ledger, flush_at=100)
    again.flush_earlier()
    assert [len(c) for c in again.calls] == [100]
    assert dict(again.calls[0])["001000005"] == "777005"
    assert waiting(ledger) == 0
