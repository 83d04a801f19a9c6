"""map-crm validating against the sandbox's live schemas (validate command and mapper start)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from map_crm.mapper import MapCrm
from singer_sdk.exceptions import ConfigValidationError

from crm_sync.spec import SpecError

SHIPPED = Path(__file__).resolve().parents[2] / "transforms" / "mappings"

BROKEN = """\
name: project
salesforce: {object: Project__c, id_field: HubSpot_Id__c}
hubspot: {object: project, id_property: salesforce_id}
fields:
  - {salesforce: Name, hubspot: project_name, rule: two_way}
  - {salesforce: Budget_Typo__c, hubspot: budget, rule: two_way}
  - {salesforce: Account__c, hubspot: website, rule: two_way}
  - {salesforce: Description__c, hubspot: no_such_property, rule: two_way}
"""
GOOD = """\
name: project
salesforce: {object: Project__c, id_field: HubSpot_Id__c}
hubspot: {object: project, id_property: salesforce_id}
fields:
  - {salesforce: Name, hubspot: project_name, rule: two_way}
  - {salesforce: Budget__c, hubspot: budget, rule: prefer_salesforce}
"""


def credentials(env: dict[str, str]) -> dict[str, str]:
    return {
        "salesforce_instance_url": env["CRM_SANDBOX_SF_INSTANCE_URL"],
        "salesforce_access_token": env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
        "salesforce_api_version": env["CRM_SANDBOX_SF_API_VERSION"],
        "salesforce_ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "hubspot_base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "hubspot_access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "hubspot_ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
    }


def specs_dir(tmp_path, text):
    directory = tmp_path / "mappings"
    directory.mkdir()
    (directory / "project.yml").write_text(textwrap.dedent(text))
    return directory


def validate(tmp_path, config, *args):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return CliRunner().invoke(MapCrm.cli, ["--config", str(path), "validate", *args])


def test_validate_fetches_both_schemas_and_lists_every_error(sandbox, tmp_path):
    directory = specs_dir(tmp_path, BROKEN)
    result = validate(tmp_path, {"mappings_dir": str(directory), **credentials(sandbox.env)})
    assert result.exit_code == 1, result.output
    out = result.output
    assert "project.yml:6: error: mapping 'project' field 'Budget_Typo__c': Project__c has " \
           "no field Budget_Typo__c [unknown_field]" in out  # fmt: skip
    assert "project.yml:7: error: mapping 'project' field 'Account__c'" in out
    assert "[reference_as_field]" in out
    assert "HubSpot project has no property no_such_property [unknown_property]" in out
    assert "3 error(s)" in out
    assert "live schemas checked: 3 API call(s) (Salesforce 1, HubSpot 2)" in out


def test_validate_passes_a_spec_that_fits_and_snapshots_what_it_read(sandbox, tmp_path):
    directory = specs_dir(tmp_path, GOOD)
    snapshot = tmp_path / "live.json"
    config = {"mappings_dir": str(directory), **credentials(sandbox.env)}
    result = validate(tmp_path, config, "--save-live-schemas", str(snapshot))
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output and "API call(s)" in result.output
    data = json.loads(snapshot.read_text())
    assert set(data["salesforce"]) == {"Project__c"} and set(data["hubspot"]) == {"project"}
    # The snapshot validates offline, with no credentials at all.
    offline = validate(tmp_path, {"mappings_dir": str(directory)}, "--live-schemas", str(snapshot))
    assert offline.exit_code == 0, offline.output
    assert f"live schemas checked (snapshot {snapshot})" in offline.output


def test_validate_without_credentials_says_live_checks_were_skipped(tmp_path):
    directory = specs_dir(tmp_path, GOOD)
    result = validate(tmp_path, {"mappings_dir": str(directory)})
    assert result.exit_code == 0, result.output
    assert "live schemas not checked (no credentials: salesforce_access_token" in result.output


def test_validate_reports_an_unreachable_api_as_an_error(sandbox, tmp_path):
    directory = specs_dir(tmp_path, GOOD)
    config = {**credentials(sandbox.env), "hubspot_access_token": "pat-na1-revoked"}
    result = validate(tmp_path, {"mappings_dir": str(directory), **config})
    assert result.exit_code == 1
    assert "cannot read the live schemas: hubspot:" in result.output
    assert "INVALID_AUTHENTICATION" in result.output


def test_mapper_refuses_to_start_on_live_errors(sandbox, tmp_path):
    directory = specs_dir(tmp_path, BROKEN)
    with pytest.raises(SpecError) as excinfo:
        MapCrm(config={"mappings_dir": str(directory), **credentials(sandbox.env)})
    codes = sorted(i.code for i in excinfo.value.issues if i.is_error)
    assert codes == ["reference_as_field", "unknown_field", "unknown_property"]


def test_mapper_starts_with_live_types_and_can_opt_out(sandbox, tmp_path):
    directory = specs_dir(tmp_path, GOOD)
    mapper = MapCrm(config={"mappings_dir": str(directory), **credentials(sandbox.env)})
    assert mapper.live_types is not None
    assert mapper.live_types.sf("Project__c", "Budget__c")["type"] == "currency"
    off = MapCrm(
        config={"mappings_dir": str(directory), "validate_live": False,
                **credentials(sandbox.env)}
    )  # fmt: skip
    assert off.live_types is None


def test_validate_live_true_without_a_source_names_the_missing_settings(tmp_path):
    directory = specs_dir(tmp_path, GOOD)
    with pytest.raises(ConfigValidationError, match="hubspot_access_token"):
        MapCrm(config={"mappings_dir": str(directory), "validate_live": True})


def test_validate_logs_in_to_salesforce_with_jwt(sandbox, tmp_path):
    """map-crm uses the core's one Salesforce authenticator: every flow, JWT included."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    env = sandbox.env
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key_file = tmp_path / "server.key"
    key_file.write_text(pem)
    config = {
        **{k: v for k, v in credentials(env).items() if not k.startswith("salesforce_")},
        "salesforce_login_url": env["CRM_SANDBOX_SF_LOGIN_URL"],
        "salesforce_auth_flow": "jwt",
        "salesforce_client_id": env["CRM_SANDBOX_SF_CLIENT_ID"],
        "salesforce_username": env["CRM_SANDBOX_SF_USERNAME"],
        "salesforce_private_key_path": str(key_file),
        "salesforce_ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
    }
    directory = specs_dir(tmp_path, GOOD)
    sandbox.clear_stats()
    result = validate(tmp_path, {"mappings_dir": str(directory), **config})
    assert result.exit_code == 0, result.output
    # token call + one composite/batch describe; HubSpot: schemas list + properties
    assert "live schemas checked: 4 API call(s) (Salesforce 2, HubSpot 2)" in result.output
    assert "oauth2/token" in str(sandbox.stats()["salesforce"])
    wrong_user = validate(
        tmp_path, {"mappings_dir": str(directory), **config, "salesforce_username": "nobody"}
    )
    assert wrong_user.exit_code == 1
    assert "salesforce: Salesforce login (jwt)" in wrong_user.output
    assert "user hasn't approved this consumer" in wrong_user.output


def test_validate_shows_spec_and_live_errors_in_one_pass(sandbox, tmp_path):
    """Issue 14, feature 8: a broken file does not hide another file's live errors."""
    directory = specs_dir(tmp_path, BROKEN)
    (directory / "bad.yml").write_text("name: bad\nsalesforce: {object: A, id_field: B}\n")
    result = validate(tmp_path, {"mappings_dir": str(directory), **credentials(sandbox.env)})
    assert result.exit_code == 1, result.output
    out = result.output
    assert "bad.yml:1: error: mapping 'bad': (top level): 'hubspot' is a required" in out
    assert "Project__c has no field Budget_Typo__c [unknown_field]" in out
    assert "[reference_as_field]" in out and "[unknown_property]" in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith(f"2 mapping(s) in {directory} (1 enabled, 0 saved for later, 1 ")
    assert "5 error(s)" in summary and "live schemas checked" in summary


def test_validate_without_credentials_warns_loudly(tmp_path):
    directory = specs_dir(tmp_path, GOOD)
    result = validate(tmp_path, {"mappings_dir": str(directory)})
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("WARNING: only the spec files were checked, NOT the live")


def test_mapper_start_is_quiet_about_lossy_conversions(sandbox, tmp_path, caplog):
    """Issue 14, feature 11: lossy notices are `validate`'s; a run logs one info line."""
    config = {"mappings_dir": str(SHIPPED), **credentials(sandbox.env)}
    listed = validate(tmp_path, config)
    assert listed.exit_code == 0, listed.output
    lossy = listed.output.count("[lossy]")
    assert lossy > 0
    with caplog.at_level("INFO"):
        MapCrm(config=config)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == []  # the shipped example is fine: nothing to warn about
    infos = [r.getMessage() for r in caplog.records if "lossy-conversion" in r.getMessage()]
    assert infos == [f"{lossy} lossy-conversion notice(s); `map-crm validate` lists them"]


def test_validate_checks_hubspot_filter_properties(sandbox, tmp_path):
    text = GOOD.replace(
        "id_property: salesforce_id}", "id_property: salesforce_id, filter: \"no_such_prop = 'x'\"}"
    )
    directory = specs_dir(tmp_path, text)
    result = validate(tmp_path, {"mappings_dir": str(directory), **credentials(sandbox.env)})
    assert result.exit_code == 1, result.output
    assert "project.yml:3: error: mapping 'project' field 'no_such_prop': hubspot.filter reads" in (
        result.output
    )


ACCOUNT_WITH_PARENT = """\
name: account
salesforce: {object: Account, id_field: HubSpot_Id__c}
hubspot: {object: companies, id_property: salesforce_id}
fields:
  - {salesforce: Name, hubspot: name, rule: two_way}
associations:
  - {lookup: ParentId, to: account, type_id: %s}
"""


@pytest.mark.parametrize(
    ("type_id", "named"),
    [("999", "type_id 999"), ("14, category: USER_DEFINED", "type_id USER_DEFINED 14")],
)
def test_validate_names_an_association_type_the_pair_lacks(sandbox, tmp_path, type_id, named):
    """14 is HUBSPOT_DEFINED (child to parent company): 999, or 14 as USER_DEFINED, is not."""
    directory = tmp_path / "mappings"
    directory.mkdir()
    (directory / "account.yml").write_text(ACCOUNT_WITH_PARENT % type_id)
    result = validate(tmp_path, {"mappings_dir": str(directory), **credentials(sandbox.env)})
    assert result.exit_code == 1, result.output
    assert (
        f"account.yml:7: error: mapping 'account' field 'ParentId': association {named} of "
        "ParentId is not a HubSpot association type from companies to companies (its types: "
        "450 HUBSPOT_DEFINED, 13 HUBSPOT_DEFINED 'Parent Company', 14 HUBSPOT_DEFINED "
        "'Child Company') [association_unknown_type]" in result.output
    ), result.output
    assert "1 error(s)" in result.output
    # Salesforce: one describe; HubSpot: companies' properties + the pair's labels.
    assert "live schemas checked: 3 API call(s) (Salesforce 1, HubSpot 2)" in result.output


def test_validate_passes_a_bare_hubspot_defined_type_id(sandbox, tmp_path):
    directory = tmp_path / "mappings"
    directory.mkdir()
    (directory / "account.yml").write_text(ACCOUNT_WITH_PARENT % "14")
    result = validate(tmp_path, {"mappings_dir": str(directory), **credentials(sandbox.env)})
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


NEW_OBJECT = """\
name: opportunity
salesforce: {object: Opportunity, id_field: HubSpot_Id__c}
hubspot: {object: sf_opportunity, id_property: salesforce_id%s}
fields:
  - {salesforce: Name, hubspot: name, rule: always_salesforce}
  - {salesforce: Amount, hubspot: amount, rule: always_salesforce}
"""


def test_creation_is_the_specs_and_the_old_setting_still_answers(sandbox, tmp_path, caplog):
    """One decision per mapping (``hubspot.create_object``); map-crm's deprecated
    ``create_object_schema`` answers for a spec that does not say, with a WARNING, and
    the mapper hands that answer to the target in ``x-crm-mapping``."""
    silent = tmp_path / "silent"
    silent.mkdir()
    (silent / "opportunity.yml").write_text(NEW_OBJECT % "")
    (silent / "account.yml").write_text((SHIPPED / "account.yml").read_text())
    base = {"mappings_dir": str(silent), **credentials(sandbox.env)}
    with pytest.raises(SpecError) as excinfo:
        MapCrm(config=base)
    assert [i.code for i in excinfo.value.issues if i.is_error] == ["unknown_object"]

    with caplog.at_level("WARNING"):
        legacy = MapCrm(config={**base, "create_object_schema": True})
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1 and "create_object_schema setting is deprecated" in warned[0]
    assert legacy.specs.get("opportunity").settings()["hubspot"]["create_object"] is True
    # companies exists already: the old setting does not ask to create it
    assert legacy.specs.get("account").hubspot.create_object is None
    assert [i for i in legacy.specs.issues if i.code == "not_creatable"] == []

    declared = tmp_path / "declared"
    declared.mkdir()
    (declared / "opportunity.yml").write_text(NEW_OBJECT % ", create_object: true")
    caplog.clear()
    with caplog.at_level("WARNING"):
        mapper = MapCrm(config={**base, "mappings_dir": str(declared)})
    assert [r for r in caplog.records if r.levelname == "WARNING"] == []
    assert mapper.specs.get("opportunity").settings()["hubspot"]["create_object"] is True
