"""`meltano run` on the sandbox: the tap alone, the tap through map-crm, and validation."""

from __future__ import annotations

import json
import re
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from crm_sync.schemas import HubSpotSettings, SalesforceSettings, fetch_live_schemas
from crm_sync.spec import load_dir, validate_live
from tests.e2e.conftest import REPO

pytestmark = pytest.mark.e2e

SEED = {"Account": 6, "Project__c": 30}
ISSUE = re.compile(
    r"^(?P<file>\S+?):\d+: error: mapping '(?P<mapping>[^']+)' field '(?P<field>[^']+)'"
)


def sf_query(env: dict[str, str], soql: str) -> list[dict[str, Any]]:
    base = env["CRM_SANDBOX_SF_INSTANCE_URL"]
    url = f"{base}/services/data/v{env['CRM_SANDBOX_SF_API_VERSION']}/query"
    headers = {"Authorization": f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"}
    reply = requests.get(url, params={"q": soql}, headers=headers,
                         verify=env["CRM_SANDBOX_CA_BUNDLE"], timeout=30)  # fmt: skip
    reply.raise_for_status()
    return list(reply.json()["records"])


def sf_create(env: dict[str, str], obj: str, record: dict[str, Any]) -> str:
    base = env["CRM_SANDBOX_SF_INSTANCE_URL"]
    url = f"{base}/services/data/v{env['CRM_SANDBOX_SF_API_VERSION']}/sobjects/{obj}"
    headers = {"Authorization": f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"}
    reply = requests.post(url, json=record, headers=headers,
                          verify=env["CRM_SANDBOX_CA_BUNDLE"], timeout=30)  # fmt: skip
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def live_gaps(env: dict[str, str]) -> set[tuple[str, str, str]]:
    """The shipped specs' live-validation errors against this sandbox."""
    specs = load_dir(REPO / "transforms" / "mappings")
    ca = env["CRM_SANDBOX_CA_BUNDLE"]
    live = fetch_live_schemas(
        specs.mappings,
        SalesforceSettings(instance_url=env["CRM_SANDBOX_SF_INSTANCE_URL"],
                           access_token=env["CRM_SANDBOX_SF_ACCESS_TOKEN"], ca_bundle=ca),
        HubSpotSettings(base_url=env["CRM_SANDBOX_HS_BASE_URL"],
                        access_token=env["CRM_SANDBOX_HS_ACCESS_TOKEN"], ca_bundle=ca),
    )  # fmt: skip
    issues = validate_live(specs.mappings, live.salesforce, live.hubspot)
    return {(i.mapping or "", i.code, i.field or "") for i in issues if i.is_error}


@pytest.fixture
def seeded(clean_sandbox, meltano_project):
    clean_sandbox.seed(salesforce=SEED)
    meltano_project.clear_output()
    return clean_sandbox


def _ok(result) -> None:
    assert result.returncode == 0, result.stderr.decode()[-4000:]


def test_tap_to_jsonl_matches_the_org(seeded, meltano_project):
    _ok(meltano_project.run("run", "--full-refresh", "tap-salesforce-custom", "target-jsonl"))
    env = meltano_project.sandbox_env
    for obj, fields in (("Account", "Id, Name, Type, Website"),
                        ("Project__c", "Id, Name, Status__c, Budget__c, Account__c")):  # fmt: skip
        org = {r["Id"]: r for r in sf_query(env, f"SELECT {fields} FROM {obj}")}
        out = {r["Id"]: r for r in meltano_project.output(obj)}
        assert len(org) == SEED[obj] and set(out) == set(org)
        for rid, row in org.items():
            for name in fields.split(", "):
                got = out[rid][name]
                assert (Decimal(str(got)) if isinstance(got, float) else got) == (
                    Decimal(str(row[name])) if isinstance(row[name], float) else row[name]
                ), (obj, rid, name)


def _mapping(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "transforms" / "mappings" / f"{name}.yml").read_text())


def test_tap_through_sf_to_hs_matches_the_spec(seeded, meltano_project):
    env = meltano_project.sandbox_env
    assert live_gaps(env) == set(), "the shipped specs must fit the sandbox's org and portal"
    apollo = sf_create(env, "Project__c", {
        "Name": "  Apollo  ", "Status__c": "In Progress", "Tags__c": "AI;Security",
        "Contact_Email__c": "Ops@Example.COM", "Budget__c": 1234.5, "Is_Active__c": True,
        "Start_Date__c": "2024-05-01",
    })  # fmt: skip
    _ok(meltano_project.run("run", "--full-refresh", "tap-salesforce-custom", "sf-to-hs",
                            "target-jsonl"))  # fmt: skip

    project = _mapping("project")
    status_map = next(f for f in project["fields"] if f["salesforce"] == "Status__c")["values"]
    tags_map = next(f for f in project["fields"] if f["salesforce"] == "Tags__c")["values"]
    rows = sf_query(env, "SELECT Id, Name, Status__c, Tags__c, Budget__c, Is_Active__c, "
                         "Start_Date__c, Contact_Email__c, Account__c, HubSpot_Id__c "
                         "FROM Project__c")  # fmt: skip
    out = {r["salesforce_id"]: r for r in meltano_project.output("project")}
    kept = [r for r in rows if r["Status__c"] != "Draft"]  # filter: Status__c != 'Draft'
    assert kept and len(kept) < len(rows)  # the seed has drafts: the filter drops them
    assert set(out) == {r["Id"] for r in kept}
    for row in kept:
        rec = out[row["Id"]]
        assert "Name" not in rec and "Status__c" not in rec  # renamed, unmapped dropped
        assert "phone" not in rec  # rule: none
        assert rec["project_name"] == (row["Name"] or "").strip() or None
        assert rec["status"] == status_map[row["Status__c"]]
        expected_tags = ";".join(tags_map[t] for t in (row["Tags__c"] or "").split(";") if t)
        assert (rec["tags"] or "") == expected_tags
        if row["Budget__c"] is None:
            assert rec["budget"] in (None, "")
        else:
            assert Decimal(rec["budget"]) == Decimal(str(row["Budget__c"]))
        assert rec["is_active"] == ("true" if row["Is_Active__c"] else "false")
        assert rec["start_date"] == row["Start_Date__c"] or (
            rec["start_date"] in (None, "") and row["Start_Date__c"] is None
        )
        if row["Contact_Email__c"]:
            assert rec["contact_email"] == row["Contact_Email__c"].strip().lower()
        assert rec["_crm_source_id"] == row["Id"]
        assert rec["_crm_destination_id"] == row["HubSpot_Id__c"]
        assert rec["_crm_associations"] == [{
            "to_mapping": "account", "lookup": "Account__c", "source_id": row["Account__c"],
            "label": "Project's company", "type_id": None, "category": None,
        }]  # fmt: skip

    assert out[apollo]["project_name"] == "Apollo"  # trim
    assert out[apollo]["tags"] == "ai;security" and out[apollo]["status"] == "in_progress"
    assert out[apollo]["contact_email"] == "ops@example.com"  # lower
    assert Decimal(out[apollo]["budget"]) == Decimal("1234.5")

    account = _mapping("account")
    type_map = next(f for f in account["fields"] if f["salesforce"] == "Type")["values"]
    companies = {r["salesforce_id"]: r for r in meltano_project.output("companies")}
    accounts = sf_query(env, "SELECT Id, Name, Type, Website, ParentId FROM Account")
    assert set(companies) == {a["Id"] for a in accounts}
    for a in accounts:
        rec = companies[a["Id"]]
        assert rec["name"] == a["Name"]
        assert rec["type"] == (type_map[a["Type"]] if a["Type"] else rec["type"])
        if a["Website"]:
            assert rec["domain"] == a["Website"].strip().lower()
        assert rec["_crm_associations"][0]["type_id"] == 14
        assert rec["_crm_associations"][0]["source_id"] == a["ParentId"]


def test_sf_to_hs_schema_carries_the_rules(seeded, meltano_project, tmp_path):
    """The SCHEMA map-crm emits (target-jsonl drops it): tap output piped through map-crm."""
    tap = meltano_project.run("invoke", "tap-salesforce-custom")
    _ok(tap)
    mapped = meltano_project.run("invoke", "map-crm", stdin=tap.stdout)
    _ok(mapped)
    messages = [json.loads(line) for line in mapped.stdout.decode().splitlines()
                if line.startswith("{")]  # fmt: skip
    schemas = {m["stream"]: m for m in messages if m["type"] == "SCHEMA"}
    assert set(schemas) == {"project", "companies"}
    project = schemas["project"]
    assert project["key_properties"] == ["salesforce_id"]
    props = project["schema"]["properties"]
    assert props["project_name"]["x-crm-rule"] == "two_way"
    assert props["status"]["x-crm-rule"] == "always_salesforce"
    assert props["status"]["x-crm-source"] == "Status__c"
    assert props["budget"]["x-crm-rule"] == "prefer_salesforce"
    assert "phone" not in props
    settings = project["schema"]["x-crm-mapping"]
    assert settings["name"] == "project" and settings["direction"] == "sf_to_hs"
    assert settings["conflict"] == "newest" and settings["filter"] == "Status__c != 'Draft'"
    assert settings["create"] == {"to_hubspot": True, "to_salesforce": False}


BROKEN = """\
name: project
salesforce: {object: Project__c, id_field: HubSpot_Id__c}
hubspot: {object: project, id_property: salesforce_id}
fields:
  - {salesforce: Name, hubspot: project_name, rule: two_way}
  - {salesforce: Budget__c, hubspot: budjet, rule: two_way}
"""


def test_validate_names_the_error_in_a_broken_spec(meltano_project, sandbox, tmp_path):
    broken = tmp_path / "mappings"
    broken.mkdir()
    (broken / "project.yml").write_text(textwrap.dedent(BROKEN))
    result = meltano_project.run("invoke", "map-crm:validate",
                                 env={"MAP_CRM_MAPPINGS_DIR": str(broken)})  # fmt: skip
    assert result.returncode == 1
    text = result.stdout.decode() + result.stderr.decode()
    assert f"{Path(broken) / 'project.yml'}:6: error: mapping 'project' field 'Budget__c': " \
           "HubSpot project has no property budjet [unknown_property]" in text  # fmt: skip
    assert "1 error(s)" in text and "live schemas checked: 3 API call(s)" in text


def test_validate_passes_for_the_shipped_specs(meltano_project, sandbox):
    offline = meltano_project.run("invoke", "map-crm:validate",
                                  env={"MAP_CRM_VALIDATE_LIVE": "false"})  # fmt: skip
    assert offline.returncode == 0, offline.stderr.decode()[-3000:]
    live = meltano_project.run("invoke", "map-crm:validate")
    text = live.stdout.decode() + live.stderr.decode()
    # HubSpot: schemas list, 3 properties calls, 2 association labels calls (the pairs
    # account's and task's type_id associations join)
    assert "live schemas checked: 7 API call(s) (Salesforce 1, HubSpot 6)" in text
    assert live.returncode == 0, text[-3000:]
    assert "0 error(s)" in text
