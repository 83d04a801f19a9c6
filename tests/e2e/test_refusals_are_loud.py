"""Refused records are warned about under ``meltano run`` (issue 12 item 9).

``meltano run`` shows a plugin's log lines at the level the plugin logged them (it sets
singer-sdk's structured logging and parses it), so the targets' refusals must reach its
output as warnings: the count, the error codes and a sample record id, and no value
(``log_values`` is off). HubSpot refuses 5 % of the records (``crm-sandbox faults``).
"""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from tests.e2e.test_forward_leg import PIPELINE, Project, project  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

WARNING = re.compile(r"\[warning\s*\]")


def test_refusals_reach_meltano_as_warnings(clean_sandbox: Any, project: Project) -> None:  # noqa: F811
    clean_sandbox.seed(salesforce={"Account": 10, "Project__c": 200})
    clean_sandbox.set_faults(refuse=0.05, only="hubspot", seed=11)
    try:
        done = subprocess.run(
            PIPELINE, cwd=project.root, env=project.env, capture_output=True, text=True,
            timeout=600, check=False,
        )  # fmt: skip
    finally:
        clean_sandbox.set_faults()
    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stderr.splitlines()
    batch = [line for line in lines if "HubSpot refused" in line]
    summary = [line for line in lines if "refused in this run" in line]
    assert batch and summary, done.stderr[-4000:]
    assert all(WARNING.search(line) for line in batch + summary), batch + summary
    assert any("e.g. a0" in line or "e.g. 001" in line for line in batch), batch
