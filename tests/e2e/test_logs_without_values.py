"""The demo pipeline's output and its run-report files carry no customer values.

``meltano run two-way`` on a seeded sandbox, as the demo runs it: stdout, stderr and the
plan JSON a scheduled job would upload name records and fields, never their values.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crm_sandbox.smoke import salesforce_client
from tests.e2e.conftest import lay_out_project
from tests.e2e.test_forward_leg import hubspot_records

pytestmark = pytest.mark.e2e

SF_TEXT = ["Name", "Phone", "BillingStreet", "BillingCity", "Website"]
HS_TEXT = ["name", "phone", "address", "city", "domain"]


def seeded_values(env: dict[str, str]) -> set[str]:
    """The free-text values of the seeded records on both sides (long enough to be telling)."""
    sf = salesforce_client(env)
    rows = sf.query_all(f"SELECT {', '.join(SF_TEXT)} FROM Account")["records"]
    rows += sf.query_all("SELECT Name FROM Project__c")["records"]
    values = {str(row.get(f) or "") for row in rows for f in SF_TEXT}
    for company in hubspot_records(env, "companies", HS_TEXT):
        values |= {str(company["properties"].get(p) or "") for p in HS_TEXT}
    return {v for v in values if len(v) >= 6}


def test_demo_pipeline_logs_no_values(clean_sandbox: Any, meltano_project: Any, tmp_path: Path):
    root = tmp_path / "project"
    lay_out_project(root, installed=meltano_project.root)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CRM_SANDBOX_", "MELTANO_"))},
        **clean_sandbox.env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_ENVIRONMENT": "sandbox",
    }
    env.pop("REQUESTS_CA_BUNDLE", None)
    clean_sandbox.seed(
        salesforce={"Account": 8, "Contact": 10, "Project__c": 30},
        hubspot={"companies": 5, "project": 5},
    )
    values = seeded_values(clean_sandbox.env)
    assert len(values) > 20, values

    done = subprocess.run(
        ["meltano", "run", "two-way"], cwd=root, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert "crm-sync run report" in done.stderr, done.stderr[-3000:]
    assert "field changes (sample)" in done.stderr  # the samples are there, without values
    plans = [p.read_text() for p in (root / ".meltano" / "crm-sync").glob("*.json")]
    assert plans, "the real run writes its report JSON (what CI uploads)"
    for plan in plans:
        for stream in json.loads(plan)["streams"]:
            assert all("after" not in s for s in stream["samples"])
    leaked = sorted(v for v in values if v in output or any(v in p for p in plans))
    assert not leaked, leaked
