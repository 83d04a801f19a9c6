"""A first pull killed at any STATE line resumes there (issue 12, item 7), on the fake portal.

A SIGKILL right after the tap wrote a STATE line leaves exactly the messages up to that
line, so a kill point is a prefix of a real run: hypothesis picks where each run of a
chain of up to three runs is cut (with the search walk on or off, small pages, records
sharing milliseconds, more list chains whose guessed cursors hold, are refused or are
answered with ids below them, a first split that leaves the walk almost nothing so that
it goes on down the parts the chains left), and the last run is left to finish. Whatever
the cuts, every record is emitted exactly once across the runs, the last run ends with
the bookmark an uninterrupted pull sets, and the run after it reads nothing.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
import requests_mock
from hypothesis import given, settings
from hypothesis import strategies as st
from tap_hubspot_custom.first_pull import FIRST_PULL, BadPoint, PullPoint

from tests.tap_hubspot_custom.conftest import Run, fake_config, run_tap
from tests.tap_hubspot_custom.fake_hubspot import FakePortal
from tests.tap_hubspot_custom.skewed_tap import skewed

PROJECT = "2-9"
BOOKMARK = ("replication_key_value", "boundary_ids", "boundary_complete")


def _config(walk: bool) -> dict[str, Any]:
    return {
        **fake_config(),
        "page_size": 7,
        "search_page_size": 11,
        "search_walk": walk,
        "search_index_lag_seconds": 0,
    }


def _cut(run: Run, at: float) -> tuple[list[str], dict[str, Any]] | None:
    """The ids and STATE a kill right after the resume point nearest ``at`` (0-1) leaves."""
    points = [
        i
        for i, m in enumerate(run.messages)
        if m["type"] == "STATE" and (m["value"]["bookmarks"]["project"].get(FIRST_PULL))
    ]
    if not points:
        return None
    last = points[min(len(points) - 1, int(at * len(points)))]
    ids = [
        m["record"]["id"]
        for m in run.messages[:last]
        if m["type"] == "RECORD" and "_sdc_deleted_at" not in m["record"]
    ]
    return ids, run.messages[last]["value"]


def chains_on() -> Any:
    """More list chains whatever a call takes (requests-mock answers at once)."""
    return mock.patch("tap_hubspot_custom.climb.MIN_CALL_SECONDS", 0.0)


@settings(max_examples=40, deadline=None)
@given(
    records=st.integers(15, 90),
    per_ms=st.integers(1, 6),
    walk=st.booleans(),
    cuts=st.lists(st.floats(0, 1), min_size=1, max_size=3),
    chains=st.sampled_from([None, "after", "refuse", "below", "skewed"]),
)
def test_a_pull_killed_anywhere_resumes_to_the_uninterrupted_end(
    records: int, per_ms: int, walk: bool, cuts: list[float], chains: str | None
) -> None:
    with (
        requests_mock.Mocker() as mocker,
        chains_on() if chains else mock.MagicMock(),
        skewed() if chains == "skewed" else mock.MagicMock(),
    ):
        foreign = None if chains in ("after", "skewed") else chains
        fake = FakePortal(foreign_after=foreign).install(mocker)
        for i in range(records):
            if i % per_ms == 0:
                fake.tick()
            fake.create(PROJECT, project_name=f"p{i}")
        fake.tick(5000)
        config = _config(walk)
        whole = run_tap(config)
        expected = {k: whole.state["bookmarks"]["project"][k] for k in BOOKMARK}

        emitted: list[str] = []
        state: dict[str, Any] = {}
        for at in cuts:
            cut = _cut(run_tap(config, state=state), at)
            if cut is None:
                break  # the run read all in one page: nothing to resume
            ids, state = cut
            emitted += ids
        last = run_tap(config, state=state)
        emitted += last.ids()
        assert sorted(emitted, key=int) == sorted(whole.ids(), key=int)  # each once
        bookmark = last.state["bookmarks"]["project"]
        assert {k: bookmark[k] for k in BOOKMARK} == expected
        assert bookmark[FIRST_PULL] is None
        assert run_tap(config, state=last.state).ids() == []


def test_a_point_this_tap_cannot_have_written_is_refused() -> None:
    good = {"after": "100", "listed_to": "99", "walked_to": None, "newest_ids": ["1"]}
    assert PullPoint.saved({FIRST_PULL: good}) == PullPoint("100", 99, newest_ids=frozenset("1"))
    assert PullPoint.saved({FIRST_PULL: None}) is None
    for bad in ({"listed_to": "x"}, {"after": 5}, {"newest": "yesterday"}, ["after"]):
        with pytest.raises(BadPoint):
            PullPoint.saved({FIRST_PULL: bad})


@pytest.mark.parametrize("answer", [None, "refuse", "below"], ids=["held", "refused", "below"])
def test_guessed_chains_read_every_record_once_however_the_guess_is_answered(
    answer: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    with requests_mock.Mocker() as mocker, chains_on():
        fake = FakePortal(foreign_after=answer).install(mocker)
        for i in range(400):
            fake.tick()
            project = fake.create(PROJECT, project_name=f"p{i}")
            if i % 3 == 0:
                fake.link(PROJECT, project, "0-2", fake.create("0-2", name=f"c{i}"), 5, None)
        config = {**_config(walk=True), "page_size": 10, "search_page_size": 20}
        run = run_tap({**config, "include_associations": ["company"]})
        ids = run.ids()
        assert sorted(ids, key=int) == sorted(str(i) for i in fake.objects[PROJECT])  # each once
        # Each record has its own associations (reads grouped across the chains' pages).
        for record in run.records["project"]:
            linked = [
                str(to) for to, _, _ in fake.links[(PROJECT, "0-2")].get(int(record["id"]), [])
            ]
            assert [r["id"] for r in record["associations"]["companies"]["results"]] == linked
        stream = run.tap.streams["project"]
        assert stream.frontier is not None
        extra = stream.frontier.segments[1:]
        assert extra  # chains were started at guessed cursors
        guessed = [c for c in fake.calls if c[0] == "GET" and c[1].endswith("/2-9")]
        if answer is None:
            assert not any(s.dropped for s in extra)
            assert all(c.pages for c in stream.climbs)
            # Every live page was read once: none past where a chain met the next.
            assert len(guessed) <= 1 + 400 // 10 + len(extra) + 1 + len(extra) + 1
            # At most one association read a page (pages share one while one is under way).
            reads = fake.count("POST", "/batch/read")
            assert reads <= len(guessed) + fake.count("POST", "/search")
            assert "did not hold" not in caplog.text
        else:
            assert all(s.dropped for s in extra)
            assert caplog.text.count("did not hold") == 1  # said once
            assert all(c.pages <= 1 for c in stream.climbs)
