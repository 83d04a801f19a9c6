"""The preview shows associations (issue 14, feature 9), through `meltano run forward`.

A dry run of the forward leg on a freshly seeded sandbox plans the project-to-company
associations; the real run that follows makes (or parks) exactly as many.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def associations(plan_file: Any) -> dict[str, tuple[int, int]]:
    streams = json.loads(plan_file.read_text())["streams"]
    return {
        s["mapping"]: (s["counts"]["associations_made"], s["counts"]["associations_pending"])
        for s in streams
    }


def test_meltano_dry_run_plans_the_associations_the_run_makes(
    clean_sandbox: Any, meltano_project: Any
) -> None:
    clean_sandbox.seed(salesforce={"Account": 4, "Project__c": 30})
    crm = meltano_project.root / ".meltano" / "crm-sync"
    (crm / "sandbox-ledger.sqlite").unlink(missing_ok=True)
    plan_file = crm / "plan.json"
    dry = meltano_project.run(
        "run", "--full-refresh", "forward", env={"TARGET_HUBSPOT_CUSTOM_DRY_RUN": "true"}
    )
    assert dry.returncode == 0, dry.stderr.decode()[-4000:]
    planned = associations(plan_file)
    assert planned["project"][0] > 0, planned
    clean_sandbox.clear_stats()
    real = meltano_project.run("run", "--full-refresh", "forward")
    assert real.returncode == 0, real.stderr.decode()[-4000:]
    made, pending = associations(plan_file)["project"]
    assert planned["project"][0] == made + pending, (planned, made, pending)
    assert made > 0
