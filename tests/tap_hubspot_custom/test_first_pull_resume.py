"""A killed first pull by listing resumes at its last saved page (issue 12, item 7).

The tap runs as its own process; once it has written a STATE whose ``first_pull`` names
the next page's cursor (read from its output, never after a guessed delay), it is
killed with SIGKILL. The rerun with that STATE lists only the pages after the cursor:
together the two runs emit every project exactly once, the rerun reads fewer pages, and
it ends with the bookmark an uninterrupted pull sets (the next run reads nothing).
A saved cursor HubSpot refuses (one that expired) starts the pull again, saying so.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.tap_hubspot_custom.conftest import run_tap
from tests.tap_hubspot_custom.sandbox_helpers import hubspot_ready, tap_config

pytestmark = pytest.mark.skipif(not hubspot_ready(), reason="HubSpot sandbox not registered")

TAP = str(Path(sys.executable).parent / "tap-hubspot-custom")
SEEDED_AT = "2026-03-01T00:00:00.000Z"
PROJECTS = 1000
PAGE = 50
KILL_AFTER = 300
"""Records emitted before the test kills the tap at the next saved resume point."""


@pytest.fixture
def seeded(clean_sandbox) -> dict[str, Any]:
    """A portal of 1,000 projects, and a tap config listing them 50 a page."""
    clean_sandbox.clock(freeze=SEEDED_AT)
    clean_sandbox.seed(hubspot={"project": PROJECTS})
    clean_sandbox.clock(unfreeze=True, advance_ms=60_000)  # see test_sandbox_sync
    return tap_config(
        clean_sandbox.env, objects=["project"], include_associations=[], page_size=PAGE
    )


def killed_at_resume_point(config: dict[str, Any], tmp: Path) -> tuple[list[str], dict]:
    """Run the tap; SIGKILL it at the first resume point past ``KILL_AFTER`` records.

    Returns the ids emitted before that STATE line, and the STATE (what a target that
    made those records durable hands meltano to save).
    """
    path = tmp / "tap.json"
    path.write_text(json.dumps(config))
    ids: list[str] = []
    log = tmp / "tap.log"
    tap = subprocess.Popen(
        [TAP, "--config", str(path)],
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    try:
        assert tap.stdout is not None
        for line in tap.stdout:
            message = json.loads(line)
            if message["type"] == "RECORD" and message["stream"] == "project":
                ids.append(message["record"]["id"])
            elif message["type"] == "STATE" and len(ids) >= KILL_AFTER:
                bookmark = message["value"]["bookmarks"]["project"]
                if (bookmark.get("first_pull") or {}).get("after"):
                    tap.kill()
                    return ids, message["value"]
        raise AssertionError(
            f"the tap ended without a resume point ({len(ids)} records): "
            + log.read_text()[-3000:]
        )
    finally:
        tap.kill()
        tap.wait(timeout=60)


def test_killed_first_pull_resumes_at_its_cursor(clean_sandbox, seeded, tmp_path) -> None:
    first_ids, saved = killed_at_resume_point(seeded, tmp_path)
    progress = saved["bookmarks"]["project"]
    assert "replication_key_value" not in progress  # no bookmark yet: still a first pull
    assert progress["first_pull"]["newest"] == SEEDED_AT
    assert len(set(first_ids)) == len(first_ids) < PROJECTS

    second = run_tap(seeded, state=saved)
    stream = second.tap.streams["project"]
    assert stream.pull == "full"
    assert stream.list_pages < math.ceil(PROJECTS / PAGE)  # the pages before were not read
    again = second.ids()
    assert not set(again) & set(first_ids)  # nothing read twice
    assert len(again) == len(set(again)) and len(first_ids) + len(again) == PROJECTS
    bookmark = second.state["bookmarks"]["project"]
    assert bookmark["replication_key_value"] == SEEDED_AT and bookmark["first_pull"] is None

    third = run_tap(seeded, state=second.state)
    assert third.tap.streams["project"].pull == "incremental"
    assert third.ids() == []


def test_refused_cursor_starts_the_first_pull_again(clean_sandbox, seeded) -> None:
    stale = {"after": "not-a-cursor", "served_at": SEEDED_AT, "newest": SEEDED_AT}
    run = run_tap(seeded, state={"bookmarks": {"project": {"first_pull": stale}}})
    ids = run.ids()
    assert len(ids) == len(set(ids)) == PROJECTS
    assert run.tap.streams["project"].list_pages == math.ceil(PROJECTS / PAGE)
    assert run.state["bookmarks"]["project"]["replication_key_value"] == SEEDED_AT
