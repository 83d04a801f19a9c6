"""Incremental correctness, same-millisecond ties, deletes, associations and target-jsonl,
on the sandbox (config only from sandbox.env)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tap_hubspot_custom.conftest import run_tap
from tests.tap_hubspot_custom.sandbox_helpers import Portal, hubspot_ready, tap_config

pytestmark = pytest.mark.skipif(not hubspot_ready(), reason="HubSpot sandbox not registered")

SEEDED_AT = "2026-03-01T00:00:00.000Z"
EDITED_AT = "2026-03-02T00:00:00.000Z"
TARGET_JSONL = Path(".meltano/loaders/target-jsonl/venv/bin/target-jsonl")


@pytest.fixture
def portal(clean_sandbox) -> Portal:
    # Every seeded record shares one millisecond: the hardest case for bookmarks.
    clean_sandbox.clock(freeze=SEEDED_AT)
    clean_sandbox.seed(hubspot={"companies": 5, "project": 30})
    # A minute passes before the first pull: the tap holds its bookmark a second behind the
    # server's Date (whole seconds, on the sandbox clock), so a pull in the seeding second
    # would bookmark just before it.
    clean_sandbox.clock(unfreeze=True, advance_ms=60_000)
    return Portal(clean_sandbox.env)


def test_second_run_emits_exactly_edits_inserts_and_deletes(clean_sandbox, portal) -> None:
    cfg = tap_config(clean_sandbox.env)
    first = run_tap(cfg)
    projects = first.ids("project")
    assert len(projects) == 30 == len(set(projects)) and len(first.ids("companies")) == 5
    assert first.tap.streams["project"].pull == "full"
    assert first.state["bookmarks"]["project"]["replication_key_value"] == SEEDED_AT
    linked = [r for r in first.records["project"] if r["associations"]["companies"]["results"]]
    assert linked == []  # the seed links contacts and deals to companies, not projects
    clean_sandbox.clock(freeze=EDITED_AT)
    try:
        portal.update("project", projects[3], project_name="edited")
        portal.archive("project", projects[4])
        new = [portal.create("project", project_name=f"tie {n}") for n in range(5)]
        company = first.ids("companies")[0]
        portal.associate("project", new[0], "companies", company)
    finally:
        clean_sandbox.clock(unfreeze=True, advance_ms=60_000)
    # Pages of 2 records of one millisecond: a tie drain by id, then the rest.
    second = run_tap({**cfg, "search_page_size": 2}, state=first.state)
    got = {r["id"]: r for r in second.records["project"]}
    assert set(got) == {projects[3], projects[4], *new}
    assert len(second.records["project"]) == 7
    assert got[projects[3]]["project_name"] == "edited"
    assert got[projects[4]]["_sdc_deleted_at"] == EDITED_AT
    assert got[new[0]]["associations"]["companies"]["results"][0]["id"] == company
    assert second.tap.streams["project"].plan.drains >= 1
    assert second.ids("companies") == []
    third = run_tap(cfg, state=second.state)
    assert third.ids("project") == [] and third.ids("companies") == []


def test_composes_with_target_jsonl(clean_sandbox, portal, tmp_path) -> None:
    if not TARGET_JSONL.exists():
        pytest.skip("target-jsonl not installed (meltano install)")
    config = tmp_path / "tap.json"
    config.write_text(json.dumps(tap_config(clean_sandbox.env)))
    tap = Path(sys.executable).with_name("tap-hubspot-custom")
    singer = subprocess.run(
        [str(tap), "--config", str(config)], capture_output=True, check=True, timeout=120
    ).stdout
    target_config = tmp_path / "target.json"
    out = tmp_path / "out"
    out.mkdir()
    target_config.write_text(json.dumps({"destination_path": str(out)}))
    subprocess.run(
        [str(TARGET_JSONL), "--config", str(target_config)],
        input=singer,
        check=True,
        capture_output=True,
        timeout=120,
    )
    files = {p.name.split("-")[0].split(".")[0]: p for p in out.glob("*.jsonl")}
    rows = [json.loads(line) for line in files["project"].read_text().splitlines()]
    assert len(rows) == 30 and all(r["updatedAt"] == SEEDED_AT for r in rows)


def test_incremental_pull_past_the_10000_result_cap(clean_sandbox) -> None:
    """10,200 changes since the bookmark: one search sequence, each record once."""
    clean_sandbox.seed(hubspot={"project": 10_200})
    cfg = tap_config(
        clean_sandbox.env,
        objects=["project"],
        include_associations=[],
        start_date="2000-01-01T00:00:00Z",
        max_requests_per_10s=190,
    )
    run = run_tap(cfg)
    ids = run.ids("project")
    assert len(ids) == 10_200 == len(set(ids))
    searches = run.tap.calls.routes["POST /crm/v3/objects/{objectType}/search"]
    assert searches == run.tap.streams["project"].plan.searches <= 10_200 // 200 + 5
