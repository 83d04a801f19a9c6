"""A full pull read from both ends (list cursor up, search walk down), observed by the
sandbox's counts: both ends are read at once, each record is emitted once with the same
values a list-only pull emits, and the bookmark is the list-only one (or earlier by the
search index's lag, so the next run reads that minute again)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from tap_hubspot_custom.search_plan import epoch_ms

from tests.tap_hubspot_custom.conftest import Run, run_tap, run_tap_slowed
from tests.tap_hubspot_custom.sandbox_helpers import hubspot_ready, tap_config
from tests.tap_hubspot_custom.skewed_tap import skewed

pytestmark = pytest.mark.skipif(not hubspot_ready(), reason="HubSpot sandbox not registered")

RECORDS = 300
PAGE = 10
SEARCH_PAGE = 20
LIST = "GET /crm/v3/objects/{objectType}"
SEARCH = "POST /crm/v3/objects/{objectType}/search"


def _by_id(run: Run, stream: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in run.records[stream]}


def _config(env: dict[str, str], stream: str = "project", **extra: Any) -> dict[str, Any]:
    return tap_config(
        env,
        objects=[stream],
        page_size=PAGE,
        search_page_size=SEARCH_PAGE,
        search_index_lag_seconds=0,
        **extra,
    )


def test_both_ends_meet_and_emit_each_record_once(clean_sandbox) -> None:
    # Contacts: each seeded one is associated with a company (projects are not).
    clean_sandbox.seed(hubspot={"companies": 5, "contacts": RECORDS})
    config = _config(clean_sandbox.env, "contacts")
    serial = run_tap({**config, "search_walk": False})
    walked, stats = run_tap_slowed(clean_sandbox, config, latency_ms=50)

    ids = walked.ids("contacts")
    assert len(ids) == len(set(ids)) == RECORDS
    # The same records, values and associations as the list-only pull.
    assert _by_id(walked, "contacts") == _by_id(serial, "contacts")
    assert all(r["associations"]["companies"]["results"] for r in walked.records["contacts"])
    # Both ends were read, at the same time: list pages and search pages served at once.
    calls = stats["calls"]
    assert calls[SEARCH] >= 2
    assert calls[LIST] >= 3  # two live pages at least, and the archived list
    assert stats["peak_in_flight"] >= 2
    # No record was read twice over: at most one page of each end crosses the meeting point.
    live_pages = calls[LIST] - 1
    assert (live_pages - 1) * PAGE + (calls[SEARCH] - 1) * SEARCH_PAGE <= RECORDS
    # The bookmark follows the list-only rule (no index lag on the sandbox): the newest
    # time read, complete (every record at it was read, whichever end read it) -- or the
    # server's time at the first page when that is earlier, with none.
    state = walked.state["bookmarks"]["contacts"]
    stamps = {r["id"]: epoch_ms(r["updatedAt"]) for r in walked.records["contacts"]}
    newest = max(ms for ms in stamps.values() if ms is not None)
    bookmark = epoch_ms(state["replication_key_value"])
    assert bookmark is not None and bookmark <= newest
    assert state["boundary_ids"] == []
    assert state["boundary_complete"] is (bookmark == newest)


def test_the_walk_reads_the_parts_the_chains_left_once_it_met_the_top_one(clean_sandbox) -> None:
    clean_sandbox.seed(hubspot={"companies": 5, "contacts": RECORDS})
    config = _config(
        clean_sandbox.env, "contacts", max_requests_per_10s=10**6, search_requests_per_second=1000
    )
    serial = run_tap({**config, "search_walk": False})
    # More chains (calls of 50 ms or more, the portal's limits lifted), nearly every id
    # theirs: the walk meets the top chain at once, while the chains below have most of
    # their parts still to read.
    clean_sandbox.set_faults(latency_ms=60, hs_ten_second_max=10**7, hs_search_per_second=10**4)
    clean_sandbox.clear_stats()
    try:
        with skewed():
            walked = run_tap(config)
        stats = clean_sandbox.stats()["hubspot"]
    finally:
        clean_sandbox.set_faults()

    stream = walked.tap.streams["contacts"]
    assert stream.descent is not None and stream.frontier is not None
    assert len(stream.frontier.segments) > 2  # chains were started
    lower = [run for run in stream.frontier.runs if run.top is not None]
    assert stream.descent.runs == 1 + len(lower) >= 2  # the walk read a lower part or more
    assert all(run.high is not None and run.high < run.top for run in lower if run.high)
    searched_low = [
        r["id"]
        for r in walked.records["contacts"]
        if any(run.high is not None and run.high <= int(r["id"]) < run.top for run in lower)
    ]
    assert searched_low  # records of a lower part came from the walk's stretch there
    ids = walked.ids("contacts")
    assert len(ids) == len(set(ids)) == RECORDS  # each record once
    assert _by_id(walked, "contacts") == _by_id(serial, "contacts")
    assert stats["calls"][SEARCH] == stream.descent.pages


def test_bookmark_leaves_the_search_index_lag_to_the_next_run(clean_sandbox) -> None:
    clean_sandbox.seed(hubspot={"project": 120})
    lagged = {**_config(clean_sandbox.env), "search_index_lag_seconds": 60}
    walked = run_tap(lagged)
    ended_ms = int(time.time() * 1000)
    state = walked.state["bookmarks"]["project"]
    # A minute before the pull began: before every record it read, nothing skipped at it.
    bookmark = epoch_ms(state["replication_key_value"])
    assert bookmark is not None and bookmark <= ended_ms - 60_000
    stamps = [epoch_ms(r["updatedAt"]) for r in walked.records["project"]]
    assert all(ms is not None and bookmark < ms for ms in stamps)
    assert state["boundary_ids"] == []
    # So the next run reads again every record written in that minute (all 120 here).
    again = run_tap(lagged, state=walked.state)
    assert sorted(again.ids("project")) == sorted(walked.ids("project"))
    # With no lag the next run after a walked pull has nothing to read.
    exact = run_tap(_config(clean_sandbox.env))
    assert run_tap(_config(clean_sandbox.env), state=exact.state).ids("project") == []
