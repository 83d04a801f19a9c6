"""Thousands of records at one millisecond on the sandbox: the incremental pull's STATE
stays bounded, and a tap killed by SIGKILL at a STATE line among them (mid tie drain)
resumes with no record lost or read twice.

Before, a tie drain listed every id it had emitted in ``boundary_ids``: 2,000 ties made a
STATE line of ~20 KB, ~190,000 would pass meltano's 4 MiB line limit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.tap_hubspot_custom.conftest import run_tap
from tests.tap_hubspot_custom.sandbox_helpers import hubspot_ready, tap_config
from tests.tap_kill import killed_at_state

pytestmark = pytest.mark.skipif(not hubspot_ready(), reason="HubSpot sandbox not registered")

TAP = str(Path(sys.executable).parent / "tap-hubspot-custom")
TIES = 2000
STATE_MAX = 4000
"""Bytes of the project bookmark in any STATE line: at most a search page of ids."""


def bookmark(state: dict[str, Any]) -> dict[str, Any]:
    return state.get("bookmarks", {}).get("project") or {}


def test_a_kill_among_thousands_of_ties_resumes_and_state_stays_small(
    clean_sandbox: Any, tmp_path: Path
) -> None:
    config = tap_config(
        clean_sandbox.env,
        objects=["project"],
        include_associations=[],
        include_archived=False,
        search_page_size=100,
        search_index_lag_seconds=0,
    )
    clean_sandbox.clock(freeze="2026-03-01T00:00:00.000Z")
    clean_sandbox.seed(hubspot={"project": 3})
    clean_sandbox.clock(unfreeze=True, advance_ms=60_000)
    first = run_tap(config)
    before = set(first.ids())
    clean_sandbox.clock(freeze="2026-03-01T00:10:00.000Z")  # an import: one millisecond
    clean_sandbox.seed(hubspot={"project": TIES})
    clean_sandbox.clock(unfreeze=True, advance_ms=60_000)

    def mid_drain(ids: list[str], saved: dict[str, Any]) -> bool:
        return len(ids) >= TIES // 2 and bool(saved.get("boundary_last_id"))

    killed, saved = killed_at_state(TAP, config, "project", tmp_path, mid_drain, first.state)
    assert len(json.dumps(bookmark(saved))) < STATE_MAX
    resumed = run_tap(config, state=saved)
    rest = resumed.ids()
    assert not set(rest) & set(killed)  # none twice
    assert len(killed) + len(rest) == TIES and not (set(killed) | set(rest)) & before
    states = [m["value"] for m in resumed.messages if m["type"] == "STATE"]
    assert max(len(json.dumps(bookmark(s))) for s in states) < STATE_MAX
    assert run_tap(config, state=resumed.state).ids() == []
