"""`map-crm init` against the sandbox: drafted specs that `map-crm validate` accepts."""

from __future__ import annotations

import json

from click.testing import CliRunner
from map_crm.mapper import MapCrm

from crm_sync.spec.loader import load_file
from tests.transforms.test_map_crm_live import SHIPPED, credentials


def run(tmp_path, sandbox, *args):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(credentials(sandbox.env)))
    return CliRunner().invoke(MapCrm.cli, ["--config", str(config), *args])


def test_init_drafts_account_and_project_specs_that_validate(sandbox, tmp_path):
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    account, project = mappings / "account.yml", mappings / "project.yml"
    result = run(tmp_path, sandbox, "init", "--salesforce", "Account", "--hubspot", "companies",
                 "--mappings", str(mappings), "--out", str(account))  # fmt: skip
    assert result.exit_code == 0, result.output
    # The Project draft sees the drafted account mapping, so its lookup becomes an association.
    result = run(tmp_path, sandbox, "init", "--salesforce", "Project__c", "--hubspot", "project",
                 "--mappings", str(mappings), "--out", str(project))  # fmt: skip
    assert result.exit_code == 0, result.output
    account_text, project_text = account.read_text(), project.read_text()

    spec, issues = load_file(account)
    assert spec is not None, issues
    pairs = {f.salesforce: f for f in spec.fields}
    assert pairs["Name"].hubspot == "name"
    assert pairs["BillingCity"].hubspot == "city"
    assert str(pairs["Name"].rule) == "prefer_salesforce"
    assert [(a.lookup, a.to) for a in spec.associations] == [("ParentId", "account")]
    assert "#   Industry -> industry refused: Salesforce values without an option:" in account_text
    assert (spec.salesforce.id_field, spec.hubspot.id_property) == (
        "HubSpot_Id__c",
        "salesforce_id",
    )

    spec, issues = load_file(project)
    assert spec is not None, issues
    pairs = {f.salesforce: f for f in spec.fields}
    assert pairs["Name"].hubspot == "project_name"
    assert pairs["Budget__c"].hubspot == "budget"
    status = pairs["Status__c"]
    assert status.hubspot == "status"
    assert status.values.forward["In Progress"] == "in_progress"
    assert [(a.lookup, a.to) for a in spec.associations] == [("Account__c", "account")]
    assert "# Salesforce Project__c fields not mapped:" in project_text, project_text

    result = run(tmp_path, sandbox, "validate", "--mappings", str(mappings))
    assert result.exit_code == 0, result.output + account_text + project_text
    assert "0 error(s)" in result.output
    assert "live schemas checked" in result.output


def test_init_refuses_to_overwrite_without_force(sandbox, tmp_path):
    out = tmp_path / "account.yml"
    out.write_text("keep me\n")
    args = ["init", "--salesforce", "Account", "--hubspot", "companies", "--out", str(out),
            "--mappings", str(tmp_path)]  # fmt: skip
    result = run(tmp_path, sandbox, *args)
    assert result.exit_code == 1
    assert "exists; pass --force" in result.output
    assert out.read_text() == "keep me\n"
    result = run(tmp_path, sandbox, *args, "--force")
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("# yaml-language-server")


def test_init_drafts_a_new_hubspot_object_that_validates_with_creation(sandbox, tmp_path):
    """Opportunity -> sf_opportunity, which the portal lacks: the draft maps every field to
    a property the target will create and says so (create_object: true); `validate` then
    checks it against that object, with no setting turned on."""
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "account.yml").write_text((SHIPPED / "account.yml").read_text())
    out = mappings / "opportunity.yml"
    result = run(tmp_path, sandbox, "init", "--salesforce", "Opportunity", "--hubspot",
                 "sf_opportunity", "--mappings", str(mappings), "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "HubSpot has no object sf_opportunity: drafting" in result.output
    text = out.read_text()
    spec, issues = load_file(out)
    assert spec is not None, issues
    assert spec.hubspot.create_object is True
    assert (spec.salesforce.id_field, spec.hubspot.id_property) == (
        "HubSpot_Id__c",
        "salesforce_id",
    )
    pairs = {f.salesforce: f.hubspot for f in spec.fields}
    assert {k: pairs.get(k) for k in ("Name", "Amount", "CloseDate", "StageName")} == {
        "Name": "name", "Amount": "amount", "CloseDate": "close_date", "StageName": "stage_name"
    }, text  # fmt: skip
    assert [(a.lookup, a.to) for a in spec.associations] == [("AccountId", "account")], text
    # the owner, as the shipped specs map it: the created object has hubspot_owner_id
    owners = [(f.salesforce, f.hubspot, f.rule) for f in spec.fields if f.owner]
    assert owners == [("OwnerId", "hubspot_owner_id", "two_way")], text
    assert "OwnerId: lookup to User" not in text

    result = run(tmp_path, sandbox, "validate", "--mappings", str(mappings))
    assert result.exit_code == 0, result.output + text
    assert "0 error(s)" in result.output, result.output
