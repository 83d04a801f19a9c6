"""Thousands of rows at one SystemModstamp: STATE stays a few hundred bytes, and a tap
killed among them resumes with no row lost or read twice (REST and Bulk 2.0).

Before, the bookmark listed every Id emitted at its timestamp (``boundary_ids``): 3,000
ties made a 60 KB STATE line, ~190,000 more than meltano's 4 MiB line limit.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.tap_kill import killed_at_state
from tests.tap_salesforce_custom.conftest import run_tap
from tests.tap_salesforce_custom.sandbox_helpers import Org, query_routes_ready, tap_config

pytestmark = pytest.mark.skipif(not query_routes_ready(), reason="sandbox query routes missing")

TAP = str(Path(sys.executable).parent / "tap-salesforce-custom")
TIES = 3000
STATE_MAX = 400
"""Bytes of one STATE line's Project__c bookmark, whatever the number of ties."""


def seed_ties(sandbox: Any) -> list[str]:
    """``TIES`` projects sharing one SystemModstamp: a mass update with the clock frozen."""
    sandbox.seed(salesforce={"Account": 5, "Project__c": TIES})
    org = Org(sandbox.env)
    ids = all_ids(org)
    assert len(ids) == TIES
    sandbox.clock(freeze=datetime.now(UTC).isoformat())
    try:
        for n in range(0, TIES, 200):  # sObject collections update, 200 a call
            rows = [{"attributes": {"type": "Project__c"}, "id": i, "Name": f"mass {i}"}
                    for i in ids[n : n + 200]]  # fmt: skip
            org._call("PATCH", "composite/sobjects", json={"allOrNone": True, "records": rows})
    finally:
        sandbox.clock(unfreeze=True, advance_ms=2000)  # the update is a past second
    assert len({org.modstamp("Project__c", i) for i in ids[:: TIES // 20]}) == 1
    return ids


def all_ids(org: Org) -> list[str]:
    page = org._call("GET", "query", params={"q": "SELECT Id FROM Project__c"}).json()
    ids = [r["Id"] for r in page["records"]]
    while not page["done"]:
        url = page["nextRecordsUrl"].split("/services/data/", 1)[1].split("/", 1)[1]
        page = org._call("GET", url).json()
        ids += [r["Id"] for r in page["records"]]
    return ids


def bookmark_size(state: dict[str, Any]) -> int:
    return len(json.dumps(state.get("bookmarks", {}).get("Project__c") or {}))


@pytest.mark.parametrize("api", ["rest", "bulk"])
def test_state_is_bounded_at_thousands_of_ties_and_a_kill_among_them_resumes(
    clean_sandbox: Any, tmp_path: Path, api: str
) -> None:
    every = seed_ties(clean_sandbox)
    config = tap_config(
        clean_sandbox.env, objects=["Project__c"], api_type=api, page_size=250, bulk_page_size=400
    )

    def among_the_ties(ids: list[str], bookmark: dict[str, Any]) -> bool:
        return len(ids) >= TIES // 2 and bool(bookmark.get("boundary_last_id"))

    first, saved = killed_at_state(TAP, config, "Project__c", tmp_path, among_the_ties)
    assert bookmark_size(saved) < STATE_MAX
    assert saved["bookmarks"]["Project__c"]["boundary_last_id"] == first[-1]

    second = run_tap(config, state=saved)
    assert second.tap.streams["Project__c"].path_used == api
    rest = second.ids("Project__c")
    assert not set(rest) & set(first)  # none twice
    assert sorted(first + rest) == sorted(every)  # none lost
    assert max(bookmark_size(s) for s in second.states) < STATE_MAX
    assert run_tap(config, state=second.state).ids("Project__c") == []


def test_an_edit_at_the_ties_stamp_after_the_bookmark_is_read(clean_sandbox: Any) -> None:
    every = seed_ties(clean_sandbox)
    config = tap_config(clean_sandbox.env, objects=["Project__c"], page_size=500)
    first = run_tap(config)
    assert len(first.ids("Project__c")) == TIES
    assert max(bookmark_size(s) for s in first.states) < STATE_MAX
    Org(clean_sandbox.env).update("Project__c", every[0], Name="edited after")
    second = run_tap(config, state=first.state)
    assert second.ids("Project__c") == [every[0]]
