"""A first import killed by SIGKILL resumes at its last STATE, by REST and by Bulk 2.0
(issue 12, item 7).

The tap runs as its own process over 3,000 projects; once it has written a STATE with a
bookmark covering 30 % of them or more (read from its output, never after a guessed
delay), it is killed. The rerun with that STATE reads only the rows after it: together
the two runs emit every project exactly once, and the run after them reads nothing.
(``tests/e2e/test_killed_import_resumes.py`` kills the whole ``meltano run`` the same way.)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.tap_kill import killed_at_state
from tests.tap_salesforce_custom.conftest import run_tap
from tests.tap_salesforce_custom.sandbox_helpers import query_routes_ready, tap_config

pytestmark = pytest.mark.skipif(not query_routes_ready(), reason="sandbox query routes missing")

TAP = str(Path(sys.executable).parent / "tap-salesforce-custom")
PROJECTS = 3000
KILL_AFTER = 900


@pytest.mark.parametrize("api", ["rest", "bulk"])
def test_killed_first_import_resumes_at_its_last_state(clean_sandbox, tmp_path, api: str) -> None:
    clean_sandbox.seed(salesforce={"Account": 5, "Project__c": PROJECTS})
    config = tap_config(
        clean_sandbox.env,
        objects=["Project__c"],
        api_type=api,
        page_size=250,
        bulk_page_size=400,
    )

    def past_kill_point(ids: list[str], bookmark: dict[str, Any]) -> bool:
        return len(ids) >= KILL_AFTER and bool(bookmark.get("replication_key_value"))

    first_ids, saved = killed_at_state(TAP, config, "Project__c", tmp_path, past_kill_point)
    assert len(set(first_ids)) == len(first_ids) < PROJECTS

    second = run_tap(config, state=saved)
    assert second.tap.streams["Project__c"].path_used == api
    again = second.ids("Project__c")
    assert not set(again) & set(first_ids)  # nothing read twice
    assert len(again) == len(set(again)) and len(first_ids) + len(again) == PROJECTS
    assert run_tap(config, state=second.state).ids("Project__c") == []
