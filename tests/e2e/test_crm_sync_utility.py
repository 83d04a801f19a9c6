"""``crm-sync`` as the meltano utility, after a real ``meltano run forward`` on the sandbox.

The utility reads the ledger the targets wrote (its ``ledger_url`` follows the
``sandbox`` environment's), and its status and HTML report carry the ledger's figures.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from crm_sync.admin.chart import SERIES
from crm_sync.ledger import LedgerStore
from tests.e2e.conftest import MeltanoProject, lay_out_project

pytestmark = pytest.mark.e2e

BAR = re.compile(r'data-run="([^"]+)" data-series="([a-z_]+)" data-value="(\d+)"')


def _ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr.decode()[-4000:]
    return str(result.stdout.decode())


def test_status_and_report_after_a_forward_run(
    clean_sandbox: Any, meltano_project: MeltanoProject, tmp_path: Path
) -> None:
    clean_sandbox.seed(salesforce={"Account": 4, "Project__c": 12})
    root = tmp_path / "project"
    lay_out_project(root, installed=meltano_project.root)  # the session's plugin venvs
    project = MeltanoProject(root, meltano_project.sandbox_env)
    _ok(project.run("run", "forward"))

    status = _ok(project.run("invoke", "crm-sync:status"))
    store = LedgerStore(root / ".meltano" / "crm-sync" / "sandbox-ledger.sqlite")
    try:
        linked = store.count_records("project")
        assert linked > 0
        assert f"project: {linked} linked" in status
        assert f"account: {store.count_records('account')} linked" in status
        runs = store.runs()
    finally:
        store.close()

    page = tmp_path / "report.html"
    plan = root / ".meltano" / "crm-sync" / "plan.json"
    assert plan.is_file()  # the target's plan_path
    _ok(project.run("invoke", "crm-sync", "report", "--html", str(page), "--plan", str(plan)))
    bars = {(run, series): int(value) for run, series, value in BAR.findall(page.read_text())}
    assert {run for run, _ in bars} == {e.run_id for e in runs}
    for series in SERIES:
        assert sum(v for (_, s), v in bars.items() if s == series) == sum(
            e.counts[series] for e in runs
        )
    assert sum(e.counts["created"] for e in runs) >= linked
