"""A first import killed midway resumes from its last durable batch (issue 12, item 7).

``meltano run tap-salesforce-custom sf-to-hs target-hubspot-custom`` imports 20,000
projects. As soon as meltano has saved a Project__c bookmark (observed in its system
database, never after a guessed delay), the whole run -- meltano, tap, mapper, target --
is killed with SIGKILL, as a cancelled CI runner or an OOM kill would. Then:

* the bookmark was saved while the tap still had pages to read (so not by the targets'
  end-of-input drain, the only STATE singer-sdk writes by itself before its 5-minute
  record age), and fewer projects are in the ledger than Salesforce holds;
* meltano refuses the same job ("already running ... '--force'") because the killed run's
  record is still open, and ``meltano run --force`` takes over (what the README's
  "Operating it" and the example workflow tell a scheduled job to do);
* the rerun reads only the projects after the bookmark, not everything again, and of
  those writes only the ones the killed run had not made durable;
* HubSpot and the ledger end with every project exactly once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tap_salesforce_custom.sf_types import soql_datetime

from crm_sandbox.smoke import salesforce_client
from crm_sync.sync.ledger import open_ledger
from tests.e2e.hubspot_reads import hubspot_records
from tests.e2e.test_forward_leg import PIPELINE, Project, project  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

PROJECTS = 20_000
ACCOUNTS = 50
PAGE = 500
"""The tap's ``page_size`` (a STATE per page): Project__c takes 1 query + 39 queryMore calls."""
BATCH = 1000
"""The target's ``batch_size_rows``: the first durable point comes early in the import."""
BUFFER = 1024 * 1024
"""meltano's ``elt.buffer_size`` (100 MiB by default): small, so the tap cannot run far
ahead of the target, and the pages it has not fetched yet show the target's input is not
over (without per-batch STATE the first bookmark came only at the end of the input)."""
MORE_ROUTE = "/{locator}"  # queryMore: nextRecordsUrl is /query/<locator> (queryAll too)
POLL_SECONDS = 0.1
"""How often the test looks at meltano's saved state (the run's pace does not depend on it)."""


def saved_state(root: Path) -> dict[str, Any]:
    """The Singer state meltano holds for the pipeline (partial state merged over complete)."""
    db = root / ".meltano" / "meltano.db"
    if not db.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            rows = conn.execute("SELECT completed_state, partial_state FROM state").fetchall()
    except sqlite3.OperationalError:  # no table yet, or meltano is creating it
        return {}
    state: dict[str, Any] = {}
    for completed, partial in rows:
        for payload in (completed, partial):
            if payload:
                singer = json.loads(payload).get("singer_state") or {}
                for stream, bookmark in (singer.get("bookmarks") or {}).items():
                    state.setdefault(stream, {}).update(bookmark)
    return state


def project_bookmark(root: Path) -> dict[str, Any] | None:
    bookmark = saved_state(root).get("Project__c") or {}
    return bookmark if bookmark.get("replication_key_value") else None


def run_until_bookmark(pipeline: Project, log: Path) -> dict[str, Any]:
    """Start the pipeline; SIGKILL all of it once meltano saved a Project__c bookmark."""
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            PIPELINE,
            cwd=pipeline.root,
            env=pipeline.env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group: the kill takes every plugin too
        )
        try:
            while proc.poll() is None:
                bookmark = project_bookmark(pipeline.root)
                if bookmark is not None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=60)
                    return bookmark
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=POLL_SECONDS)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=60)
    raise AssertionError(
        "the run ended before meltano saved any Project__c bookmark:\n"
        + log.read_text(errors="replace")[-3000:]
    )


def projects_after(env: dict[str, str], bookmark: dict[str, Any]) -> int:
    """Non-draft projects the tap has not emitted before ``bookmark`` (its tie ids)."""
    sf = salesforce_client(env)
    value = soql_datetime(bookmark["replication_key_value"])
    rows = sf.query_all(
        "SELECT Id, SystemModstamp FROM Project__c "
        f"WHERE SystemModstamp >= {value} AND Status__c != 'Draft'"
    )["records"]
    last_done = str(bookmark.get("boundary_last_id") or "")  # ties go out in Id order
    at_bookmark = datetime.fromisoformat(bookmark["replication_key_value"])
    return sum(  # a tie id counts as done only while it still sits at the bookmark
        1
        for row in rows
        if row["Id"] > last_done
        or datetime.fromisoformat(row["SystemModstamp"].replace("+0000", "+00:00")) != at_bookmark
    )


def calls(stats: dict[str, Any], api: str, fragment: str) -> int:
    return sum(n for route, n in stats[api]["calls"].items() if fragment in route)


def test_killed_first_import_resumes_from_its_last_durable_batch(
    clean_sandbox: Any,
    project: Project,  # noqa: F811 (test_forward_leg's fixture)
    tmp_path: Path,
) -> None:
    env = project.env
    clean_sandbox.seed(salesforce={"Account": ACCOUNTS, "Project__c": PROJECTS})
    project.env.update(
        {
            "TAP_SALESFORCE_CUSTOM_OBJECTS": '["Account", "Project__c"]',
            "TAP_SALESFORCE_CUSTOM_PAGE_SIZE": str(PAGE),
            "TARGET_HUBSPOT_CUSTOM_BATCH_SIZE_ROWS": str(BATCH),
            "MELTANO_ELT_BUFFER_SIZE": str(BUFFER),
            # The id write-back moves each written project's SystemModstamp past the
            # bookmark, so the next run reads it once more by design (and writes nothing);
            # off here, so that what the rerun reads is the resume point alone.
            "TARGET_HUBSPOT_CUSTOM_WRITE_BACK_IDS": "false",
        }
    )
    sf = salesforce_client(env)
    wanted = {
        r["Id"]
        for r in sf.query_all("SELECT Id FROM Project__c WHERE Status__c != 'Draft'")["records"]
    }
    ledger_url = f"sqlite:///{project.root / '.meltano' / 'crm-sync' / 'sandbox-ledger.sqlite'}"

    clean_sandbox.clear_stats()
    bookmark = run_until_bookmark(project, tmp_path / "killed.log")
    pages_left = PROJECTS // PAGE - 1 - calls(clean_sandbox.stats(), "salesforce", MORE_ROUTE)
    assert pages_left > 0, "the bookmark should be saved while the import still runs"
    ledger = open_ledger(ledger_url)
    durable_at_kill = ledger.count_records("project")
    ledger.close()
    assert 0 < durable_at_kill < len(wanted), "the kill should land midway through the import"
    rest = projects_after(env, bookmark)
    print(f"killed: {durable_at_kill} of {len(wanted)} projects durable, {pages_left} pages "
          f"unread, bookmark leaves {rest} to read")  # fmt: skip
    assert 0 < rest <= len(wanted) - durable_at_kill + 2 * BATCH  # little is read twice

    refused = subprocess.run(
        PIPELINE, cwd=project.root, env=env, capture_output=True, text=True, timeout=300
    )
    assert refused.returncode != 0
    assert "is already running" in refused.stderr and "'--force'" in refused.stderr

    forced = subprocess.run(
        [*PIPELINE[:2], "--force", *PIPELINE[2:]],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert forced.returncode == 0, forced.stderr[-4000:]

    ledger = open_ledger(ledger_url)
    (rerun,) = [r for r in ledger.runs(mapping="project") if not r.dry_run]
    assert rerun.counts["read"] == rest < len(wanted)  # the rest only, not everything again
    # what the killed run made durable after its bookmark is read again but not written
    assert rerun.counts["unchanged"] == durable_at_kill - (len(wanted) - rest)
    assert rerun.counts["created"] == len(wanted) - durable_at_kill
    assert ledger.count_records("project") == len(wanted)
    ledger.close()
    clean_sandbox.set_faults(hs_ten_second_max=1_000_000)  # reading back 200 pages at once
    try:
        read_back = hubspot_records(env, "project", ["salesforce_id"])
    finally:
        clean_sandbox.set_faults()
    hs_ids = [p["properties"]["salesforce_id"] for p in read_back]
    assert len(hs_ids) == len(set(hs_ids))  # nothing duplicated
    assert set(hs_ids) == wanted  # nothing lost
    newest = sf.query("SELECT SystemModstamp FROM Project__c ORDER BY SystemModstamp DESC LIMIT 1")
    final = project_bookmark(project.root)
    assert final is not None
    assert datetime.fromisoformat(final["replication_key_value"]) == datetime.fromisoformat(
        newest["records"][0]["SystemModstamp"]
    )
