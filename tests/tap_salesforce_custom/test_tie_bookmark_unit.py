"""The bookmark at a timestamp many rows share is one Id, and a run cut at any STATE line
resumes with no row lost or read twice (fake org; any pattern of ties and page sizes)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests_mock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tap_kill import cut_points
from tests.tap_salesforce_custom.conftest import Run, run_tap
from tests.tap_salesforce_custom.fake_salesforce import FakeOrg


def _bookmark(state: dict[str, Any]) -> dict[str, Any]:
    return state.get("bookmarks", {}).get("Project__c") or {}


def _records_before_each_state(run: Run) -> list[tuple[list[str], dict[str, Any]]]:
    return cut_points(run.messages, "Project__c", "Id")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    groups=st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=6),
    page_size=st.integers(min_value=1, max_value=7),
    cut=st.integers(min_value=0, max_value=10_000),
    api=st.sampled_from(["rest", "bulk"]),
)
def test_a_run_cut_at_any_state_line_resumes_exactly(
    config: dict[str, Any],  # read only
    groups: list[int],
    page_size: int,
    cut: int,
    api: str,
) -> None:
    with requests_mock.Mocker(case_sensitive=True) as mocker:
        fake = FakeOrg(date_header=True).install(mocker)
        every: list[str] = []
        for size in groups:  # each group: rows sharing one modstamp
            every += fake.add("Project__c", 1)
            every += fake.add("Project__c", size - 1, same_stamp=True)
        fake.clock += timedelta(seconds=2)  # the org's time is past every stamp
        cfg = {**config, "objects": ["Project__c"], "api_type": api, "page_size": page_size,
               "bulk_page_size": page_size}  # fmt: skip
        whole = run_tap(cfg)
        assert whole.ids("Project__c") == every
        cuts = _records_before_each_state(whole)
        before, state = cuts[cut % len(cuts)]
        bookmark = _bookmark(state)
        assert "boundary_ids" not in bookmark
        assert len(json.dumps(bookmark)) < 300  # one Id, however many rows share the stamp
        rest = run_tap(cfg, state=state).ids("Project__c")
        assert not set(rest) & set(before)
        assert sorted(before + rest) == sorted(every)


@pytest.mark.parametrize("api", ["rest", "bulk"])
def test_an_old_state_with_boundary_ids_is_read_and_replaced(
    fake: FakeOrg, config: dict[str, Any], api: str
) -> None:
    ties = fake.add("Project__c", 1) + fake.add("Project__c", 9, same_stamp=True)
    stamp = fake.records["Project__c"][-1]["SystemModstamp"]
    cfg = {**config, "objects": ["Project__c"], "api_type": api, "page_size": 2}
    old_done = [ties[0], ties[3], ties[4], ties[8]]  # any set an older version kept
    old = {"bookmarks": {"Project__c": {
        "replication_key": "SystemModstamp",
        "replication_key_value": run_tap(cfg).records["Project__c"][-1]["SystemModstamp"],
        "boundary_ids": old_done,
    }}}  # fmt: skip
    assert old["bookmarks"]["Project__c"]["replication_key_value"].startswith(stamp[:19])
    later = fake.add("Project__c", 2)
    fake.date_header, fake.clock = True, fake.clock + timedelta(seconds=2)
    migrated = run_tap(cfg, state=old)
    assert migrated.ids("Project__c") == [t for t in ties if t not in old_done] + later
    bookmark = _bookmark(migrated.state)
    assert bookmark["boundary_ids"] is None  # meltano merges STATE: null clears the old list
    assert bookmark["boundary_last_id"] == later[-1]
    assert run_tap(cfg, state=migrated.state).ids("Project__c") == []


def test_an_old_state_cut_while_still_at_its_timestamp_keeps_its_ids(
    fake: FakeOrg, config: dict[str, Any]
) -> None:
    ties = fake.add("Project__c", 1) + fake.add("Project__c", 9, same_stamp=True)
    cfg = {**config, "objects": ["Project__c"], "page_size": 2}
    at = run_tap(cfg).records["Project__c"][-1]["SystemModstamp"]
    old_done = [ties[1], ties[6]]
    old = {"bookmarks": {"Project__c": {
        "replication_key": "SystemModstamp", "replication_key_value": at, "boundary_ids": old_done,
    }}}  # fmt: skip
    migrated = run_tap(cfg, state=old)
    before, state = _records_before_each_state(migrated)[1]  # after two rows, still at ``at``
    assert set(old_done) < set(_bookmark(state)["boundary_ids"])
    rest = run_tap(cfg, state=state).ids("Project__c")
    assert sorted(before + rest) == sorted(t for t in ties if t not in old_done)
    assert not set(before) & set(rest)
