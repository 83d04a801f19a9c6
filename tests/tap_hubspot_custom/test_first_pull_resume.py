"""A killed first pull resumes at both ends' last saved page (issue 12, item 7).

The tap runs as its own process, reading 1,000 projects from both ends (the list cursor
up, the search walk down) or by the list alone; once it has written a STATE whose
``first_pull`` holds 40 % of them or more (read from its output, never after a guessed
delay), it is killed with SIGKILL (with more list chains -- calls slow enough, limits
lifted -- once a chain above the first has emitted records too; with the walk gone on
down a part a chain below had left -- once that stretch has emitted records). The rerun
with that
STATE goes on from both ends: together the two runs emit every project exactly once,
the rerun reads less than a whole pull, it ends with the bookmark an uninterrupted pull
sets, and the run after it reads nothing. A saved cursor HubSpot refuses (one that
expired) starts the pull again, saying so.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from tap_hubspot_custom.first_pull import FIRST_PULL

from tests.tap_hubspot_custom.conftest import run_tap
from tests.tap_hubspot_custom.sandbox_helpers import hubspot_ready, tap_config
from tests.tap_kill import killed_at_state

pytestmark = pytest.mark.skipif(not hubspot_ready(), reason="HubSpot sandbox not registered")

TAP = str(Path(sys.executable).parent / "tap-hubspot-custom")
SKEWED_TAP = [sys.executable, str(Path(__file__).with_name("skewed_tap.py"))]
"""The tap with its first split leaving the walk almost nothing at the top."""
SEEDED_AT = "2026-03-01T00:00:00.000Z"
PROJECTS = 1000
PAGE = 50
SEARCH_PAGE = 100
KILL_AFTER = 400
"""Records a STATE must cover before the test kills the tap (40 % of the pull)."""
BOOKMARK = ("replication_key_value", "boundary_ids", "boundary_complete")


@pytest.fixture
def seeded(clean_sandbox) -> Any:
    """A portal of 1,000 projects modified at one millisecond, well before now."""
    clean_sandbox.clock(freeze=SEEDED_AT)
    clean_sandbox.seed(hubspot={"project": PROJECTS})
    clean_sandbox.clock(unfreeze=True, advance_ms=60_000)  # see test_sandbox_sync
    return clean_sandbox


LIFTED = {"hs_ten_second_max": 10**7, "hs_search_per_second": 10**4}


def _config(env: dict[str, str], walk: bool, chains: bool = False) -> dict[str, Any]:
    return tap_config(
        env,
        objects=["project"],
        include_associations=[],
        page_size=PAGE,
        search_page_size=SEARCH_PAGE,
        search_walk=walk,
        search_index_lag_seconds=0,
        **({"max_requests_per_10s": 10**6, "search_requests_per_second": 1000} if chains else {}),
    )


def killed_at_resume_point(
    config: dict[str, Any], tmp: Path, walk: bool, chains: bool = False, gaps: bool = False
) -> tuple[list[str], dict[str, Any]]:
    """Run the tap; SIGKILL it at the first resume point covering ``KILL_AFTER`` records
    (with the walk on: one where both ends have emitted records; with chains: one where a
    chain above the first has too; with ``gaps``: one where the walk has in a lower part)."""

    def both_ends(ids: list[str], bookmark: dict[str, Any]) -> bool:
        point = bookmark.get(FIRST_PULL) or {}
        climbed = any(c.get("listed_to") for c in point.get("chains") or [])
        return len(ids) >= KILL_AFTER and bool(
            point.get("listed_to")
            and (point.get("walked_to") or not walk)
            and (climbed or not chains)
            and (point.get("gaps") or not gaps)
        )

    return killed_at_state(SKEWED_TAP if gaps else TAP, config, "project", tmp, both_ends)


@pytest.mark.parametrize(
    ("walk", "chains", "gaps"),
    [(True, False, False), (False, False, False), (True, True, False), (True, True, True)],
    ids=["walk", "list-only", "chains", "lower-part"],
)  # fmt: skip
def test_killed_first_pull_resumes_at_both_ends(
    seeded, tmp_path, walk: bool, chains: bool, gaps: bool
) -> None:
    config = _config(seeded.env, walk, chains)
    # Both ends under way at once, as on a real portal; calls slow enough for more chains.
    seeded.set_faults(latency_ms=60, **LIFTED) if chains else seeded.set_faults(latency_ms=20)
    try:
        first_ids, saved = killed_at_resume_point(config, tmp_path, walk, chains, gaps)
    finally:
        seeded.set_faults()
    progress = saved["bookmarks"]["project"]
    assert "replication_key_value" not in progress  # no bookmark yet: still a first pull
    point = progress[FIRST_PULL]
    assert point["newest"] == SEEDED_AT and point["walked"] is walk
    assert len(set(first_ids)) == len(first_ids) < PROJECTS
    assert len(json.dumps(saved)) < 20_000  # far below meltano's 8 MiB buffer
    assert bool(point["chains"]) is chains
    if gaps:
        assert point["gaps"]  # killed while the walk read a part a chain below had left

    second = run_tap(config, state=saved)
    stream = second.tap.streams["project"]
    assert stream.pull == "full"
    again = second.ids()
    assert not set(again) & set(first_ids)  # nothing read twice
    assert len(again) == len(set(again)) and len(first_ids) + len(again) == PROJECTS
    # Less than a whole pull was read again: each end at most a page past where they met.
    walked_pages = stream.descent.pages if stream.descent is not None else 0
    climbed_pages = sum(climb.pages for climb in stream.climbs)
    assert len(stream.climbs) == len(point["chains"])  # the saved chains go on
    assert stream.frontier is not None or not walk
    if gaps:  # each lower stretch saved is a bound the chain below reads up to again
        assert stream.frontier is not None
        kept = [(run.top, run.high) for run in stream.frontier.runs if run.top is not None]
        saved_gaps = [(int(g["below"]), int(g["walked_to"])) for g in point["gaps"]]
        assert kept[: len(saved_gaps)] == sorted(saved_gaps)
    assert (stream.list_pages + climbed_pages) * PAGE + walked_pages * SEARCH_PAGE < PROJECTS

    whole = run_tap(config)  # the same pull, uninterrupted
    assert set(first_ids) | set(again) == set(whole.ids())
    bookmark, expected = second.state["bookmarks"]["project"], whole.state["bookmarks"]["project"]
    assert {k: bookmark[k] for k in BOOKMARK} == {k: expected[k] for k in BOOKMARK}
    assert bookmark["replication_key_value"] == SEEDED_AT and bookmark[FIRST_PULL] is None

    third = run_tap(config, state=second.state)
    assert third.tap.streams["project"].pull == "incremental"
    assert third.ids() == []


@pytest.mark.parametrize("walk", [True, False], ids=["walk", "list-only"])
@pytest.mark.parametrize(
    "point",
    [
        {"after": "not-a-cursor", "listed_to": "5", "walked_to": None, "newest": SEEDED_AT},
        {"after": "1", "listed_to": "one", "walked_to": "999999"},
    ],
    ids=["refused-cursor", "not-a-point"],
)
def test_a_bad_resume_point_starts_the_first_pull_again(
    seeded, caplog, walk: bool, point: dict[str, Any]
) -> None:
    config = _config(seeded.env, walk)
    run = run_tap(config, state={"bookmarks": {"project": {FIRST_PULL: point}}})
    ids = run.ids()
    assert len(ids) == len(set(ids)) == PROJECTS
    assert "reading the first pull again from the start" in caplog.text
    bookmark = run.state["bookmarks"]["project"]
    assert bookmark["replication_key_value"] == SEEDED_AT and bookmark[FIRST_PULL] is None
