"""Association reads grouped across pages: while one read is under way, the ids of the
pages arriving meanwhile go together in the next one; each page finds its own records'
associations in it. A real reader against the fake portal; the worker pool is a list the
test runs by hand, so the order of events is the test's."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from tap_hubspot_custom.associations import AssociationReader
from tap_hubspot_custom.grouped_reads import GroupedReader

from crm_sync.hubspot import HubSpotClient
from tests.tap_hubspot_custom.conftest import fake_config
from tests.tap_hubspot_custom.fake_hubspot import FakePortal

PROJECT, COMPANY = "2-9", "0-2"
READ = "/batch/read"


def _portal(fake: FakePortal) -> tuple[list[str], dict[str, str]]:
    ids = [fake.create(PROJECT, project_name=f"p{i}") for i in range(9)]
    companies = {i: fake.create(COMPANY, name=f"c{i}") for i in ids[::2]}
    for project, company in companies.items():
        fake.link(PROJECT, project, COMPANY, company, 5, None)
    return ids, companies


def _grouped(
    hold_s: float = 0.0, hurry: Callable[[], bool] | None = None
) -> tuple[GroupedReader, list[Callable[[], None]]]:
    """A grouped reader whose reads wait in the returned list until the test runs them."""
    reader = AssociationReader(
        HubSpotClient.from_config(fake_config()), "project", PROJECT, "companies", COMPANY
    )
    queued: list[Callable[[], None]] = []
    return GroupedReader(reader, queued.append, hold_s, hurry), queued


def test_pages_arriving_while_a_read_is_under_way_share_the_next_one(fake: FakePortal) -> None:
    ids, companies = _portal(fake)
    grouped, queued = _grouped()

    first = grouped.add(ids[0:3])  # nothing under way: starts at once
    second = grouped.add(ids[3:6])  # waits for the first
    third = grouped.add(ids[6:9])  # joins the second
    assert len(queued) == 1 and grouped.reads == 1
    queued.pop(0)()  # the first read ends: the next one starts with both pages' ids
    assert first.done() and not second.done()
    assert len(queued) == 1 and grouped.reads == 2
    queued.pop(0)()
    assert second.result() is third.result()
    assert fake.count("POST", READ) == 2  # three pages, two calls
    read_inputs = [[i["id"] for i in body["inputs"]] for _, path, body in fake.calls
                   if path.endswith(READ)]  # fmt: skip
    assert read_inputs == [ids[0:3], ids[3:9]]
    for page, found in ((ids[0:3], first.result()), (ids[3:9], second.result())):
        for project in page:
            linked = [r["id"] for r in found[project]]
            assert linked == ([companies[project]] if project in companies else [])


def test_a_failed_read_fails_its_pages_and_the_next_read_still_starts(fake: FakePortal) -> None:
    ids, _ = _portal(fake)
    grouped, queued = _grouped()
    fake.fail_next(400, {"status": "error", "message": "bad", "category": "VALIDATION_ERROR"})
    failed = grouped.add(ids[:2])
    after = grouped.add(ids[2:4])
    queued.pop(0)()
    assert failed.exception() is not None
    queued.pop(0)()
    assert sorted(after.result()) == sorted(ids[2:4])


def test_a_held_read_waits_for_more_ids_until_no_more_pages_come(fake: FakePortal) -> None:
    ids, _ = _portal(fake)
    done = False
    grouped, queued = _grouped(hold_s=3600, hurry=lambda: done)
    first = grouped.add(ids[0:3])
    second = grouped.add(ids[3:6])
    assert queued == [] and first is second  # nothing under way, yet both pages wait
    done = True  # every list chain ended: the next page's read goes at once, with theirs
    assert grouped.add(ids[6:9]) is first
    assert len(queued) == 1
    queued.pop(0)()
    assert sorted(first.result()) == sorted(ids)
    assert fake.count("POST", READ) == 1


def test_a_held_read_goes_when_it_would_overflow_a_whole_read(
    fake: FakePortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tap_hubspot_custom.grouped_reads.BATCH_MAX", 5)
    ids, _ = _portal(fake)
    grouped, queued = _grouped(hold_s=3600)
    first = grouped.add(ids[0:3])
    assert queued == []
    second = grouped.add(ids[3:6])  # 6 ids would not fit one read: the first 3 go alone
    assert second is not first and len(queued) == 1
    third = grouped.add(ids[6:8])  # 5 ids: a whole read, it goes too
    assert third is second and len(queued) == 2
    for read in (queued.pop(0), queued.pop(0)):
        read()
    assert sorted(first.result()) == sorted(ids[0:3])
    assert sorted(second.result()) == sorted(ids[3:8])


def test_a_held_read_goes_when_its_time_is_up(fake: FakePortal) -> None:
    ids, _ = _portal(fake)
    started = threading.Event()
    queued: list[Callable[[], None]] = []

    def submit(call: Callable[[], None]) -> None:
        queued.append(call)
        started.set()

    reader = AssociationReader(
        HubSpotClient.from_config(fake_config()), "project", PROJECT, "companies", COMPANY
    )
    grouped = GroupedReader(reader, submit, hold_s=0.05)
    future = grouped.add(ids[0:3])
    assert started.wait(timeout=10)  # the timer started it (no more ids came)
    queued.pop(0)()
    assert sorted(future.result()) == sorted(ids[0:3])
