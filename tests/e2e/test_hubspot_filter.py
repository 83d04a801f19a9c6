"""An inclusion filter on the HubSpot side (issue 14, feature 5), through `meltano run`.

The project mapping lets HubSpot create Salesforce records and carries
``hubspot.filter: "budget >= 1000"``: of two projects created in HubSpot, only the one
with a large budget reaches Salesforce on the reverse leg.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.e2e.two_way_helpers import HubSpot, Salesforce

pytestmark = pytest.mark.e2e


def test_meltano_run_reverse_honours_hubspot_filter(
    clean_sandbox: Any, meltano_project: Any
) -> None:
    spec_file = meltano_project.root / "transforms" / "mappings" / "project.yml"
    original = spec_file.read_text()
    spec = yaml.safe_load(original)
    spec["hubspot"]["filter"] = "budget >= 1000"
    spec["create"]["to_salesforce"] = True
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    ledger = meltano_project.root / ".meltano" / "crm-sync" / "sandbox-ledger.sqlite"
    ledger.unlink(missing_ok=True)
    try:
        env = meltano_project.sandbox_env
        sf, hs = Salesforce(env), HubSpot(env)
        big = hs.create("project", {"project_name": "Big from HubSpot", "budget": "5000"})
        small = hs.create("project", {"project_name": "Small from HubSpot", "budget": "10"})
        done = meltano_project.run("run", "--full-refresh", "reverse")
        assert done.returncode == 0, done.stderr.decode()[-4000:]
        rows = sf.rows("Project__c", "Name, HubSpot_Id__c")
        by_hs = {r["HubSpot_Id__c"]: r["Name"] for r in rows.values() if r["HubSpot_Id__c"]}
        assert by_hs == {big: "Big from HubSpot"}
        assert small not in by_hs
        linked = hs.records("project", ["salesforce_id"])
        assert linked[big]["salesforce_id"] in rows  # the new Salesforce id written back
        assert not linked[small]["salesforce_id"]
    finally:
        spec_file.write_text(original)
