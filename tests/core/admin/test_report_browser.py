"""The HTML report in a real headless Chromium (Debian's, `make browser`) via Playwright.

It renders, the chart is drawn (one bar per run and series, sized by its value) and
every number on the page is the ledger's.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from crm_sync.admin.chart import SERIES
from crm_sync.admin.cli import main
from crm_sync.ledger import LedgerStore
from tests.core.admin.conftest import RUNS

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[3]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PLAN = {
    "streams": [
        {
            "mapping": "project",
            "conflicts": [
                {
                    "source_id": "a001",
                    "destination_id": "h1",
                    "field": "Status__c",
                    "rule": "prefer_salesforce",
                    "winner": "salesforce",
                    "decided_by": "rule",
                    "source_value": "secret-status",
                    "destination_value": "other",
                    "base_value": None,
                }
            ],
            "samples": [
                {
                    "source_id": "a002",
                    "destination_id": "h2",
                    "action": "update",
                    "field": "name",
                    "before": "old-secret",
                    "after": "new-secret",
                }
            ],
        }
    ]
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not CHROMIUM.exists():
        done = subprocess.run(["make", "-s", "browser"], cwd=REPO, capture_output=True, text=True)
        if done.returncode != 0 or not CHROMIUM.exists():
            pytest.skip(f"chromium could not be installed by `make browser`: {done.stderr[-300:]}")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


def write_report(store: LedgerStore, tmp_path: Path, *extra: str) -> Path:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN))
    page = tmp_path / "report.html"
    args = ["--ledger-url", str(store.engine.url), "report", "--html", str(page)]
    result = CliRunner().invoke(main, [*args, "--plan", str(plan), *extra])
    assert result.exit_code == 0, result.output
    return page


def ledger_totals(store: LedgerStore) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for entry in store.runs():
        run = totals.setdefault(entry.run_id, dict.fromkeys(SERIES, 0))
        for series in SERIES:
            run[series] += entry.counts[series]
    return totals


def test_report_renders_with_chart_and_ledger_numbers(
    browser: Any, ledger: LedgerStore, tmp_path: Path
) -> None:
    path = write_report(ledger, tmp_path)
    html = path.read_text()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<script" not in html and "<link" not in html
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    assert page.title() == "crm-sync report"
    assert requests == [path.as_uri()]  # nothing fetched besides the page itself

    bars = page.eval_on_selector_all(
        "svg.run-chart rect.bar",
        "els => els.map(e => ({run: e.dataset.run, series: e.dataset.series,"
        " value: Number(e.dataset.value), height: e.getBoundingClientRect().height}))",
    )
    totals = ledger_totals(ledger)
    assert len(bars) == len({r[0] for r in RUNS}) * len(SERIES) == len(totals) * len(SERIES)
    top = max(v for run in totals.values() for v in run.values())
    tallest = max(b["height"] for b in bars)
    assert tallest > 50
    for bar in bars:
        assert bar["value"] == totals[bar["run"]][bar["series"]]
        assert bar["height"] == pytest.approx(tallest * bar["value"] / top, abs=0.6)

    status = {
        row[0]: row
        for row in page.eval_on_selector_all(
            "#status tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
        )
    }
    assert status["project"][1] == str(ledger.count_records("project"))
    assert status["project"][2] == "run-3"
    assert status["project"][6] == "3" and "INVALID_EMAIL: 2" in status["project"][7]
    run_rows = page.eval_on_selector_all(
        "#runs tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert [r[0] for r in run_rows] == ["run-1", "run-2", "run-3"]
    assert page.locator("#dead-letters tbody tr").count() == 3
    conflict = page.locator("#conflicts tbody tr").first.inner_text()
    assert "Status__c" in conflict and "prefer_salesforce" in conflict
    assert "name" in page.locator("#diffs tbody tr").first.inner_text()
    body = page.content()
    for secret in ("secret-name", "secret-status", "old-secret", "new-secret", "bad: x@"):
        assert secret not in body  # by default: ids and field names only
    page.close()


def test_report_with_values_on_request(browser: Any, ledger: LedgerStore, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(write_report(ledger, tmp_path, "--with-values").as_uri())
    body = page.locator("body").inner_text()
    for secret in ("secret-name", "secret-status", "old-secret", "new-secret", "bad: x@"):
        assert secret in body
    page.close()
