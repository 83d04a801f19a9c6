"""A conflict rule per field (issue 14, feature 2), end to end on the sandbox.

The shipped project mapping resolves two_way conflicts by ``newest``; here its
``Description__c`` field carries ``conflict: hubspot``. Both sides edit both two_way
fields ``Name`` and ``Description__c``, Salesforce last: ``Name`` goes to the newer
Salesforce edit, ``Description__c`` to HubSpot's by its own rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.two_way_helpers import HubSpot, Salesforce, TwoWay, mappings_dir, shipped_spec

pytestmark = pytest.mark.e2e

SF_FIELDS = "Name, Description__c, HubSpot_Id__c"
HS_PROPS = ["project_name", "description", "salesforce_id"]


def with_field_conflict() -> dict[str, Any]:
    spec = shipped_spec("project")
    fields = [
        {**f, "conflict": "hubspot"} if f["salesforce"] == "Description__c" else f
        for f in spec["fields"]
    ]
    return {"fields": fields}


def edit_both_sides_salesforce_last(
    sandbox: Any, sf: Salesforce, hs: HubSpot, sf_id: str, hs_id: str
) -> None:
    sandbox.clock(freeze=True)
    hs.update("project", hs_id, {"project_name": "hs name", "description": "hs text"})
    sandbox.clock(advance_ms=2000)
    sf.update("Project__c", sf_id, {"Name": "sf name", "Description__c": "sf text"})
    sandbox.clock(advance_ms=2000)
    sandbox.clock(unfreeze=True)


def hs_id_of(hs: HubSpot, sf_id: str) -> str:
    found = [i for i, r in hs.records("project", HS_PROPS).items() if r["salesforce_id"] == sf_id]
    assert len(found) == 1, found
    return found[0]


def test_field_conflict_overrides_mapping_rule(clean_sandbox: Any, tmp_path: Path) -> None:
    sync = TwoWay(dict(clean_sandbox.env), tmp_path, tmp_path / "mappings")
    mappings_dir(sync.mappings, project=with_field_conflict())
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    sf_id = sf.create("Project__c", {"Name": "base", "Status__c": "Planned", "Description__c": "b"})
    sync.run()
    hs_id = hs_id_of(hs, sf_id)
    edit_both_sides_salesforce_last(clean_sandbox, sf, hs, sf_id, hs_id)
    sync.run()
    row = sf.rows("Project__c", SF_FIELDS)[sf_id]
    record = hs.records("project", HS_PROPS)[hs_id]
    assert (row["Name"], record["project_name"]) == ("sf name", "sf name")  # mapping: newest
    assert (row["Description__c"], record["description"]) == ("hs text", "hs text")  # field


def test_meltano_run_field_conflict(clean_sandbox: Any, meltano_project: Any) -> None:
    """The same through `meltano run two-way`, the spec edited in the project's mappings."""
    spec_file = meltano_project.root / "transforms" / "mappings" / "project.yml"
    original = spec_file.read_text()
    spec = yaml.safe_load(original)
    spec.update(with_field_conflict())
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    ledger = meltano_project.root / ".meltano" / "crm-sync" / "sandbox-ledger.sqlite"
    ledger.unlink(missing_ok=True)
    try:
        env = meltano_project.sandbox_env
        sf, hs = Salesforce(env), HubSpot(env)
        sf_id = sf.create("Project__c", {"Name": "base", "Status__c": "Planned"})
        done = meltano_project.run("run", "--full-refresh", "two-way")
        assert done.returncode == 0, done.stderr.decode()[-4000:]
        hs_id = hs_id_of(hs, sf_id)
        edit_both_sides_salesforce_last(clean_sandbox, sf, hs, sf_id, hs_id)
        done = meltano_project.run("run", "two-way")
        assert done.returncode == 0, done.stderr.decode()[-4000:]
        row = sf.rows("Project__c", SF_FIELDS)[sf_id]
        record = hs.records("project", HS_PROPS)[hs_id]
        assert (row["Name"], record["project_name"]) == ("sf name", "sf name")
        assert (row["Description__c"], record["description"]) == ("hs text", "hs text")
    finally:
        spec_file.write_text(original)
