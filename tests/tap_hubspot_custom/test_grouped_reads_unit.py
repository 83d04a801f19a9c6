"""Association reads grouped across pages: while one read is under way, the ids of the
pages arriving meanwhile go together in the next one; each page finds its own records'
associations in it. A real reader against the fake portal; the worker pool is a list the
test runs by hand, so the order of events is the test's."""

from __future__ import annotations

from collections.abc import Callable

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


def _grouped() -> tuple[GroupedReader, list[Callable[[], None]]]:
    """A grouped reader whose reads wait in the returned list until the test runs them."""
    reader = AssociationReader(
        HubSpotClient.from_config(fake_config()), "project", PROJECT, "companies", COMPANY
    )
    queued: list[Callable[[], None]] = []
    return GroupedReader(reader, queued.append), queued


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
