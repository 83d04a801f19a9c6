"""A mapping whose spec now admits more is backfilled by the next `meltano run` (issue 12,
item 5): re-enabled after edits, a field added, a filter widened.

The taps read ``transforms/mappings`` (``mappings_dir`` in meltano.yml) and keep each
mapping's scope in their STATE, which meltano's state backend stores; the widened
mapping's stream alone is read from the start, the run says so once, and records that
are already in place cost no write.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.two_way_helpers import HubSpot, Salesforce, write_calls

pytestmark = pytest.mark.e2e

METRIC = re.compile(r" (tap-[a-z-]+) METRIC: (\{.*\})\s*$")
BACKFILL = "mapping project: spec widened ({why}) — backfilling {stream} from the start"


def tap_metrics(stderr: str) -> dict[tuple[str, str], int]:
    """``{(stream, metric): value}`` of the taps' record and request counters."""
    out: dict[tuple[str, str], int] = {}
    for line in stderr.splitlines():
        found = METRIC.search(line)
        if not found:
            continue
        point = json.loads(found.group(2))
        if point["type"] == "counter":
            key = (point["tags"]["stream"], point["metric"])
            out[key] = out.get(key, 0) + int(point["value"])
    return out


class Project:
    """The meltano project copy's ``project`` spec, edited by a test and restored after.

    The shipped ``task`` mapping associates tasks with projects, and validation refuses an
    association to a disabled mapping, so turning ``project`` off turns ``task`` off too,
    as an admin must.
    """

    def __init__(self, root: Path) -> None:
        self.file = root / "transforms" / "mappings" / "project.yml"
        self.original = self.file.read_text()
        self.task_file = root / "transforms" / "mappings" / "task.yml"
        self.task_original = self.task_file.read_text()

    def write(self, **changes: Any) -> None:
        spec = yaml.safe_load(self.original)
        spec.update(changes)
        self.file.write_text(yaml.safe_dump(spec, sort_keys=False))
        task = yaml.safe_load(self.task_original)
        task["enabled"] = bool(task.get("enabled", True)) and spec.get("enabled", True)
        self.task_file.write_text(yaml.safe_dump(task, sort_keys=False))

    def restore(self) -> None:
        self.file.write_text(self.original)
        self.task_file.write_text(self.task_original)

    @property
    def shipped(self) -> dict[str, Any]:
        return dict(yaml.safe_load(self.original))


@pytest.fixture
def project_spec(meltano_project: Any) -> Iterator[Project]:
    spec = Project(meltano_project.root)
    ledger = meltano_project.root / ".meltano" / "crm-sync" / "sandbox-ledger.sqlite"
    ledger.unlink(missing_ok=True)
    try:
        yield spec
    finally:
        spec.restore()


Sides = tuple[Salesforce, HubSpot]


@pytest.fixture
def sides(clean_sandbox: Any, meltano_project: Any) -> Sides:
    """Both sides of the emptied sandbox, with one Account the tests' spec edits never touch."""
    env = meltano_project.sandbox_env
    sf = Salesforce(env)
    sf.create("Account", {"Name": "Unrelated"})
    return sf, HubSpot(env)


def run(meltano_project: Any, *args: str) -> str:
    done = meltano_project.run("run", *args)
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr[-4000:]
    return stderr


def both_legs(meltano_project: Any, *args: str) -> str:
    """The forward then the reverse job, as ``two-way`` runs them (each block within the
    fixture's timeout on a loaded machine); their output, joined."""
    return run(meltano_project, *args, "forward") + run(meltano_project, *args, "reverse")


def hs_projects(hs: HubSpot, props: list[str]) -> dict[str, dict[str, Any]]:
    """HubSpot projects by their Salesforce id."""
    records = hs.records("project", ["salesforce_id", *props])
    return {r["salesforce_id"]: r for r in records.values() if r["salesforce_id"]}


def assert_account_not_reread(stderr: str, incremental: dict[tuple[str, str], int]) -> None:
    """The unrelated Account stream cost what an incremental run with no change costs."""
    metrics = tap_metrics(stderr)
    assert metrics[("Account", "record_count")] == 0
    assert (
        metrics[("Account", "http_request_count")] == incremental[("Account", "http_request_count")]
    )


def test_reenabled_mapping_sends_the_edits_made_while_it_was_off(
    clean_sandbox: Any, meltano_project: Any, project_spec: Project, sides: Sides
) -> None:
    sf, hs = sides
    ids = [sf.create("Project__c", {"Name": f"P{i}", "Status__c": "Planned"}) for i in range(6)]
    both_legs(meltano_project, "--full-refresh")
    assert {hs_projects(hs, ["project_name"])[i]["project_name"] for i in ids} == {
        f"P{i}" for i in range(6)
    }

    project_spec.write(enabled=False)
    for n, project in enumerate(ids):
        sf.update("Project__c", project, {"Name": f"P{n} edited while off"})
    off = both_legs(meltano_project)
    names = {i: hs_projects(hs, ["project_name"])[i]["project_name"] for i in ids}
    assert sorted(names.values()) == [f"P{i}" for i in range(6)]  # 0 of 6 while off
    incremental = tap_metrics(off)

    project_spec.write(enabled=True)
    clean_sandbox.clear_stats()
    on = both_legs(meltano_project)
    names = {i: hs_projects(hs, ["project_name"])[i]["project_name"] for i in ids}
    assert sorted(names.values()) == [f"P{i} edited while off" for i in range(6)]  # 6 of 6
    for stream in ("Project__c", "project"):  # both legs, once each
        assert on.count(BACKFILL.format(why="re-enabled", stream=stream)) == 1, on[-4000:]
    metrics = tap_metrics(on)
    assert metrics[("Project__c", "record_count")] == 6  # read again from the start
    assert metrics[("project", "record_count")] == 6
    assert_account_not_reread(on, incremental)
    stats = clean_sandbox.stats()
    # The reverse leg re-read six HubSpot projects already in Salesforce: no write there.
    assert write_calls(stats, "salesforce") == {}
    assert sum(write_calls(stats, "hubspot").values()) == 1  # one batch of six updates

    quiet = run(meltano_project, "forward")  # the new scope is recorded: no second backfill
    assert "spec widened" not in quiet
    assert tap_metrics(quiet)[("Project__c", "record_count")] == 0


def test_added_field_and_widened_filter_backfill_their_mapping_only(
    clean_sandbox: Any, meltano_project: Any, project_spec: Project, sides: Sides
) -> None:
    sf, hs = sides
    budgets = {
        sf.create("Project__c", {"Name": f"P{i}", "Status__c": "Planned", "Budget__c": 100 + i}): (
            str(100 + i)
        )
        for i in range(4)
    }
    drafts = [sf.create("Project__c", {"Name": f"D{i}", "Status__c": "Draft"}) for i in range(2)]
    shipped = project_spec.shipped
    without_budget = [f for f in shipped["fields"] if f["salesforce"] != "Budget__c"]
    project_spec.write(fields=without_budget)
    run(meltano_project, "--full-refresh", "forward")
    assert {i: r["budget"] for i, r in hs_projects(hs, ["budget"]).items()} == {
        i: None for i in budgets
    }
    incremental = tap_metrics(run(meltano_project, "forward"))

    # A field added: its values arrive for every linked record.
    project_spec.write(fields=shipped["fields"])
    widened = run(meltano_project, "forward")
    assert widened.count(BACKFILL.format(why="field Budget__c added", stream="Project__c")) == 1
    got = {i: r["budget"] for i, r in hs_projects(hs, ["budget"]).items()}
    assert {i: got[i] and str(int(float(got[i]))) for i in budgets} == budgets
    assert_account_not_reread(widened, incremental)

    # A filter widened: the records it kept out arrive; those in place cost no write.
    project_spec.write(filter="Status__c != 'Cancelled'")
    clean_sandbox.clear_stats()
    widened = run(meltano_project, "forward")
    assert widened.count(BACKFILL.format(why="filter changed", stream="Project__c")) == 1
    assert set(hs_projects(hs, ["project_name"])) == {*budgets, *drafts}
    assert tap_metrics(widened)[("Project__c", "record_count")] == 6
    assert sum(write_calls(clean_sandbox.stats(), "hubspot").values()) == 1  # the 2 drafts
    assert_account_not_reread(widened, incremental)
