"""With ``mappings_dir``, a stream whose mapping widened is read again from the start, alone,
and a backfill cut short resumes from its own bookmark (issue 12, item 5)."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import pytest

from crm_sync.backfill import SCOPES
from crm_sync.stops import InputError
from tests.e2e.two_way_helpers import mappings_dir
from tests.tap_salesforce_custom.conftest import run_tap
from tests.tap_salesforce_custom.sandbox_helpers import Org, query_routes_ready, tap_config

pytestmark = pytest.mark.skipif(not query_routes_ready(), reason="sandbox query routes missing")


def test_reenabled_mapping_rereads_its_object_only(
    clean_sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clean_sandbox.seed(salesforce={"Account": 3, "Project__c": 25})
    org = Org(clean_sandbox.env)
    off = mappings_dir(tmp_path / "off", project={"enabled": False})
    on = mappings_dir(tmp_path / "on")
    cfg = tap_config(clean_sandbox.env, page_size=10, api_type="rest")

    first = run_tap({**cfg, "mappings_dir": str(off)})
    assert first.state["bookmarks"]["Project__c"][SCOPES]["project"]["enabled"] is False
    assert set(first.state["bookmarks"]["Account"][SCOPES]) == {"account"}
    org.update("Project__c", first.ids("Project__c")[0], Name="edited while off")
    second = run_tap({**cfg, "mappings_dir": str(off)}, state=first.state)
    assert len(second.ids("Project__c")) == 1  # incremental while off: the mapper drops it

    with caplog.at_level(logging.WARNING):
        third = run_tap({**cfg, "mappings_dir": str(on)}, state=second.state)
    assert sorted(third.ids("Project__c")) == sorted(first.ids("Project__c"))
    assert third.ids("Account") == []  # not re-read
    warned = [r.getMessage() for r in caplog.records if "spec widened" in r.getMessage()]
    assert warned == [
        "mapping project: spec widened (re-enabled) — backfilling Project__c from the start"
    ]
    assert run_tap({**cfg, "mappings_dir": str(on)}, state=third.state).ids("Project__c") == []

    # Cut short after its first pages: the rerun resumes the backfill, not restarts it.
    midway = next(
        s
        for s in third.states
        if s["bookmarks"].get("Project__c", {}).get("replication_key_value")
        and s["bookmarks"]["Project__c"][SCOPES]["project"]["enabled"]
    )
    resumed = run_tap({**cfg, "mappings_dir": str(on)}, state=copy.deepcopy(midway))
    assert 0 < len(resumed.ids("Project__c")) < 25
    assert set(resumed.ids("Project__c")) | set(third.ids("Project__c")[:10]) == set(
        first.ids("Project__c")
    )


def test_missing_mappings_dir_is_an_input_error(clean_sandbox, tmp_path: Path) -> None:
    cfg = tap_config(clean_sandbox.env, objects=["Account"], mappings_dir=str(tmp_path / "nope"))
    with pytest.raises(InputError, match=r"mappings_dir .* is not a directory"):
        run_tap(cfg)
