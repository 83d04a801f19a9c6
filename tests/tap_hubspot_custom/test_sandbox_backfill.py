"""With ``mappings_dir``, a HubSpot object whose mapping widened on the reverse leg is
pulled in full again, alone (issue 12, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_sync.backfill import SCOPES
from tests.e2e.two_way_helpers import mappings_dir, shipped_spec
from tests.tap_hubspot_custom.conftest import run_tap
from tests.tap_hubspot_custom.sandbox_helpers import Portal, hubspot_ready, tap_config

pytestmark = pytest.mark.skipif(not hubspot_ready(), reason="HubSpot sandbox not registered")


def test_a_field_now_synced_back_rereads_its_object_only(clean_sandbox, tmp_path: Path) -> None:
    clean_sandbox.clock(freeze="2026-03-01T00:00:00.000Z")  # seeded well before the runs
    clean_sandbox.seed(hubspot={"companies": 3, "project": 12})
    clean_sandbox.clock(unfreeze=True, advance_ms=60_000)  # runs a minute after the seed
    fields = shipped_spec("project")["fields"]
    one_way = [{**f, "rule": "always_salesforce"} if f["hubspot"] == "priority" else f
               for f in fields]  # fmt: skip
    two_way = [{**f, "rule": "two_way"} if f["hubspot"] == "priority" else f for f in fields]
    before = mappings_dir(tmp_path / "before", project={"fields": one_way})
    after = mappings_dir(tmp_path / "after", project={"fields": two_way})
    cfg = tap_config(clean_sandbox.env)

    first = run_tap({**cfg, "mappings_dir": str(before)})
    assert first.tap.streams["project"].pull == "full"
    Portal(clean_sandbox.env).update("project", first.ids("project")[0], project_name="x")
    clean_sandbox.clock(advance_ms=60_000)  # a full pull re-reads the last second's edits
    second = run_tap({**cfg, "mappings_dir": str(before)}, state=first.state)
    assert second.tap.streams["project"].pull == "incremental"
    assert len(second.ids("project")) == 1

    third = run_tap({**cfg, "mappings_dir": str(after)}, state=second.state)
    assert third.tap.streams["project"].pull == "full"  # priority now flows to Salesforce
    assert sorted(third.ids("project")) == sorted(first.ids("project"))
    assert third.tap.streams["companies"].pull == "incremental"
    assert third.ids("companies") == []
    scope = third.state["bookmarks"]["project"][SCOPES]["project"]
    assert "priority>Priority__c" in scope["fields"]
    assert third.state["bookmarks"]["project"]["replication_key_value"]
    fourth = run_tap({**cfg, "mappings_dir": str(after)}, state=third.state)
    assert fourth.tap.streams["project"].pull == "incremental"
    assert fourth.ids("project") == []
