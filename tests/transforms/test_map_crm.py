"""The map-crm mapper on recorded Singer messages, in-process and through its CLI."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from map_crm.mapper import MapCrm
from singer_sdk.singerlib.json import deserialize_json

from crm_sync.spec import SpecError
from tests.spec.live_fixtures import (
    account_describe,
    companies_schema,
    project_describe,
    project_schema,
)

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = """\
name: account
salesforce: {object: Account, id_field: HubSpot_Id__c}
hubspot: {object: companies, id_property: salesforce_id}
fields:
  - {salesforce: Name, hubspot: name, rule: two_way}
"""
MAPPINGS = REPO / "transforms" / "mappings"

SF_SCHEMA = {
    "type": "SCHEMA",
    "stream": "Project__c",
    "key_properties": ["Id"],
    "bookmark_properties": ["SystemModstamp"],
    "schema": {
        "type": "object",
        "properties": {
            "Id": {"type": "string"},
            "Name": {"type": ["string", "null"]},
            "Description__c": {"type": ["string", "null"]},
            "Status__c": {"type": ["string", "null"]},
            "Tags__c": {"type": ["string", "null"], "x-sf-type": "multipicklist"},
            "Budget__c": {"type": ["number", "null"]},
            "Completion__c": {"type": ["number", "null"]},
            "Priority__c": {"type": ["number", "null"]},
            "Is_Active__c": {"type": ["boolean", "null"]},
            "Start_Date__c": {"type": ["string", "null"], "format": "date"},
            "Kickoff__c": {"type": ["string", "null"], "format": "date-time"},
            "Contact_Email__c": {"type": ["string", "null"]},
            "Phone__c": {"type": ["string", "null"]},
            "Website__c": {"type": ["string", "null"]},
            "Account__c": {"type": ["string", "null"]},
            "HubSpot_Id__c": {"type": ["string", "null"]},
            "SystemModstamp": {"type": "string", "format": "date-time"},
            "_sdc_deleted_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
}


def sf_record(**overrides):
    record = {
        "Id": "a0X000000000001AAA",
        "Name": "  Apollo ",
        "Description__c": "Moon",
        "Status__c": "In Progress",
        "Tags__c": "AI;Web",
        "Budget__c": Decimal("125000.5"),
        "Completion__c": Decimal("42.25"),
        "Priority__c": 3,
        "Is_Active__c": True,
        "Start_Date__c": "2024-02-29",
        "Kickoff__c": "2024-03-01T09:30:00.000+0000",
        "Contact_Email__c": " Ada@Example.COM ",
        "Phone__c": "+1 555 0100",
        "Website__c": None,
        "Account__c": "001000000000001AAA",
        "HubSpot_Id__c": None,
        "SystemModstamp": "2024-03-02T10:00:00.000+0000",
    }
    record.update(overrides)
    return {"type": "RECORD", "stream": "Project__c", "record": record}


def run(mapper, *messages):
    out = []
    for message in messages:
        handler = {
            "SCHEMA": mapper.map_schema_message,
            "RECORD": mapper.map_record_message,
            "STATE": mapper.map_state_message,
            "ACTIVATE_VERSION": mapper.map_activate_version_message,
        }[message["type"]]
        out += [m.to_dict() for m in handler(json.loads(json.dumps(message, default=str)))]
    return out


def forward(**config):
    return MapCrm(config={"mappings_dir": str(MAPPINGS), **config})


def test_forward_schema_is_destination_shaped_and_annotated():
    (schema,) = run(forward(), SF_SCHEMA)
    assert schema["stream"] == "project"
    assert schema["key_properties"] == ["salesforce_id"]
    props = schema["schema"]["properties"]
    assert props["project_name"]["x-crm-rule"] == "two_way"
    assert props["project_name"]["x-crm-source"] == "Name"
    assert props["budget"]["x-crm-rule"] == "prefer_salesforce"
    assert props["tags"]["x-crm-kind"] == "multi"
    assert "phone" not in props  # rule none
    assert "website" in props  # prefer_hubspot still writes when HubSpot is blank
    assert props["_sdc_deleted_at"]["format"] == "date-time"
    settings = schema["schema"]["x-crm-mapping"]
    assert settings == {
        "name": "project",
        "salesforce": {"object": "Project__c", "id_field": "HubSpot_Id__c"},
        "hubspot": {"object": "project", "id_property": "salesforce_id", "create_object": None},
        "create": {"to_hubspot": True, "to_salesforce": False},
        "delete": {"to_hubspot": "propagate", "to_salesforce": "ignore"},
        "conflict": "newest",
        "tie": "salesforce",
        "filter": "Status__c != 'Draft'",
        "hubspot_filter": None,
        "direction": "sf_to_hs",
        "key": "salesforce_id",
        # what the project's associations point to: a created object must name them
        "associated_objects": ["companies"],
    }


def test_forward_record_is_renamed_converted_and_carries_ids():
    _, record = run(forward(), SF_SCHEMA, sf_record())
    assert record["stream"] == "project"
    # Each mapped field as Salesforce stores it, before transforms and value maps: the
    # ledger keeps this as the Salesforce half of the base.
    native = record["record"].pop("_crm_source_values")
    assert native["Name"] == sf_record()["record"]["Name"]  # untrimmed
    assert native["Tags__c"] == "AI;Web"  # Salesforce values, not HubSpot options
    assert "Phone__c" not in native  # rule none: not mapped in this direction
    assert record["record"] == {
        "project_name": "Apollo",  # trim
        "description": "Moon",
        "budget": "125000.5",
        "completion": "42.25",
        "priority": "3",
        "is_active": "true",
        "start_date": "2024-02-29",
        "kickoff": "2024-03-01T09:30:00.000Z",
        "contact_email": "ada@example.com",  # trim + lower
        "website": "",  # blank clears
        "status": "in_progress",  # value map
        "tags": "ai;web",  # value map per item
        "salesforce_id": "a0X000000000001AAA",
        "_crm_destination_id": None,
        "_crm_source_id": "a0X000000000001AAA",
        "_crm_source_modified_at": "2024-03-02T10:00:00.000Z",
        "_crm_associations": [
            {
                "to_mapping": "account",
                "lookup": "Account__c",
                "source_id": "001000000000001AAA",
                "label": "Project's company",
                "type_id": None,
                "category": None,
            }
        ],
    }


def test_filter_drops_records_but_not_deletions():
    mapper = forward()
    out = run(
        mapper,
        SF_SCHEMA,
        sf_record(Status__c="Draft"),
        sf_record(Status__c="Draft", _sdc_deleted_at="2024-03-03T00:00:00.000Z"),
    )
    assert [m["type"] for m in out] == ["SCHEMA", "RECORD"]
    assert out[1]["record"]["_sdc_deleted_at"] == "2024-03-03T00:00:00.000Z"


def test_unmapped_streams_and_state_pass_through():
    other_schema = {"type": "SCHEMA", "stream": "Case", "schema": {"properties": {"Id": {}}},
                    "key_properties": ["Id"]}  # fmt: skip
    other = {"type": "RECORD", "stream": "Case", "record": {"Id": "500x", "Extra": 1}}
    state = {"type": "STATE", "value": {"bookmarks": {"Case": {"x": 1}}}}
    out = run(forward(), other_schema, other, state)
    assert out[0] == other_schema
    assert out[1] == other
    assert out[2] == state


def test_disabled_mapping_emits_nothing(tmp_path):
    for name in ("account.yml", "project.yml"):  # task.yml would point at a disabled project
        shutil.copy(MAPPINGS / name, tmp_path / name)
    text = (tmp_path / "project.yml").read_text().replace("enabled: true", "enabled: false")
    (tmp_path / "project.yml").write_text(text)
    mapper = MapCrm(config={"mappings_dir": str(tmp_path)})
    out = run(
        mapper,
        SF_SCHEMA,
        sf_record(),
        {"type": "ACTIVATE_VERSION", "stream": "Project__c", "version": 1},
    )
    assert out == []


def test_bad_value_is_reported_on_the_record_not_fatal():
    _, record = run(forward(), SF_SCHEMA, sf_record(Budget__c="lots"))
    assert "budget" not in record["record"]
    assert record["record"]["_crm_errors"] == [
        {"field": "Budget__c", "message": "not a number: 'lots'"}
    ]


def test_reverse_leg_from_hubspot_records(tmp_path):
    hs_schema = {
        "type": "SCHEMA",
        "stream": "project",
        "key_properties": ["id"],
        "schema": {"properties": {"id": {"type": "string"}, "properties": {"type": "object"}}},
    }
    hs_record = {
        "type": "RECORD",
        "stream": "project",
        "record": {
            "id": "901",
            "properties": {
                "project_name": "Apollo 2",
                "budget": "99.999",
                "is_active": "false",
                "start_date": "2024-05-01",
                "kickoff": "1714557600000",
                "tags": "ai;security",
                "status": "done",  # always_salesforce: never written back
                "website": "https://apollo.test",
                "salesforce_id": "a0X000000000001AAA",
                "hs_lastmodifieddate": "2024-05-01T10:00:00Z",
            },
            "associations": {
                "companies": {"results": [{"id": "77", "type": "project_to_company"}]}
            },
        },
    }
    live = json.dumps(
        {
            "salesforce": {"Project__c": project_describe(), "Account": account_describe()},
            "hubspot": {"project": project_schema(), "companies": companies_schema()},
        }
    )
    path = tmp_path / "live.json"
    path.write_text(live)
    shutil.copy(MAPPINGS / "project.yml", tmp_path / "project.yml")
    (tmp_path / "account.yml").write_text(ACCOUNT)
    mapper = MapCrm(config={"mappings_dir": str(tmp_path), "direction": "hs_to_sf",
                            "live_schemas": str(path), "validate_live": True})  # fmt: skip
    schema, record = run(mapper, hs_schema, hs_record)
    assert schema["stream"] == "Project__c" and schema["key_properties"] == ["HubSpot_Id__c"]
    props = schema["schema"]["properties"]
    assert props["Budget__c"]["type"] == ["number", "null"]
    assert props["Is_Active__c"]["type"] == ["boolean", "null"]
    assert "Status__c" not in props and "Priority__c" not in props
    rec = record["record"]
    assert rec["Name"] == "Apollo 2"
    assert rec["Budget__c"] == Decimal("100.00")  # currency scale 2
    assert rec["Is_Active__c"] is False
    assert rec["Start_Date__c"] == "2024-05-01"
    assert rec["Kickoff__c"] == "2024-05-01T10:00:00.000+0000"
    assert rec["Tags__c"] == "AI;Security"
    assert rec["Website__c"] == "https://apollo.test"
    assert rec["HubSpot_Id__c"] == "901"
    assert rec["_crm_destination_id"] == "a0X000000000001AAA"
    assert rec["_crm_source_modified_at"] == "2024-05-01T10:00:00.000Z"
    assert rec["_crm_associations"][0]["source_id"] == "77"
    assert "Description__c" not in rec  # not read by the tap: not cleared


def test_spec_errors_stop_the_mapper_with_all_of_them(tmp_path):
    (tmp_path / "a.yml").write_text("name: a\nsalesforce: {object: A}\n")
    (tmp_path / "b.yml").write_text("name: [\n")
    with pytest.raises(SpecError) as excinfo:
        MapCrm(config={"mappings_dir": str(tmp_path)})
    assert len([i for i in excinfo.value.issues if i.is_error]) == 4
    assert "a.yml:2" in str(excinfo.value) and "b.yml:" in str(excinfo.value)


def test_validate_live_without_schemas_is_refused():
    with pytest.raises(Exception, match="live_schemas"):
        forward(validate_live=True)


def test_cli_runs_the_mapper_on_an_input_file(tmp_path):
    # The SDK binds sys.stdin at import time, so CliRunner's stdin is not seen: use --input.
    lines = "\n".join(json.dumps(m, default=str) for m in (SF_SCHEMA, sf_record())) + "\n"
    (tmp_path / "in.singer").write_text(lines)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"mappings_dir": str(MAPPINGS)}))
    runner = CliRunner()
    args = ["--config", str(config), "--input", str(tmp_path / "in.singer")]
    result = runner.invoke(MapCrm.cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    messages = [
        deserialize_json(line) for line in result.stdout.splitlines() if line.startswith("{")
    ]
    assert [m["type"] for m in messages] == ["SCHEMA", "RECORD"]
    assert messages[1]["record"]["status"] == "in_progress"


def test_cli_validate(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(MapCrm.cli, ["validate", "--mappings", str(MAPPINGS)])
    assert ok.exit_code == 0
    assert "3 mapping(s)" in ok.output and "0 error(s)" in ok.output  # account, project, task
    (tmp_path / "bad.yml").write_text("name: bad\nsalesforce: {object: A, id_field: B}\n")
    bad = runner.invoke(MapCrm.cli, ["validate", "--mappings", str(tmp_path)])
    assert bad.exit_code == 1
    assert "bad.yml:1: error: mapping 'bad': (top level): 'hubspot' is a required" in bad.output
    assert "2 error(s)" in bad.output


def test_hubspot_filter_decides_which_hubspot_records_reach_salesforce(tmp_path):
    """Issue 14, feature 5: ``hubspot.filter`` on HubSpot properties, reverse leg only."""
    spec = (MAPPINGS / "project.yml").read_text()
    spec = spec.replace(
        "hubspot:    {object: project, id_property: salesforce_id}",
        "hubspot:    {object: project, id_property: salesforce_id,\n"
        "             filter: \"budget >= 1000 AND project_name LIKE 'Keep%'\"}",
    )
    assert 'filter: "budget' in spec
    (tmp_path / "project.yml").write_text(spec)
    shutil.copy(MAPPINGS / "account.yml", tmp_path / "account.yml")
    hs_schema = {"type": "SCHEMA", "stream": "project", "key_properties": ["id"],
                 "schema": {"properties": {"id": {"type": "string"},
                                           "properties": {"type": "object"}}}}  # fmt: skip

    def hs(record_id: str, name: str, budget: str, **extra: str) -> dict:
        props = {
            "project_name": name,
            "budget": budget,
            "hs_lastmodifieddate": "2024-05-01T10:00:00Z",
        }
        return {
            "type": "RECORD",
            "stream": "project",
            "record": {"id": record_id, "properties": props, **extra},
        }

    reverse = MapCrm(config={"mappings_dir": str(tmp_path), "direction": "hs_to_sf"})
    out = run(
        reverse,
        hs_schema,
        hs("1", "Keep me", "5000"),
        hs("2", "Keep too small", "10"),
        hs("3", "Other", "5000"),
        hs("4", "Other", "1", _sdc_deleted_at="2024-05-02T00:00:00Z"),
    )
    assert [m["record"]["HubSpot_Id__c"] for m in out if m["type"] == "RECORD"] == ["1", "4"]
    assert out[0]["schema"]["x-crm-mapping"]["hubspot_filter"].startswith("budget >= 1000")
    # The forward leg ignores it: Salesforce records are the SOQL filter's business.
    _, record = run(
        MapCrm(config={"mappings_dir": str(tmp_path)}), SF_SCHEMA, sf_record(Budget__c=1)
    )
    assert record["type"] == "RECORD"
    broken = spec.replace("budget >= 1000 AND", "budget >=")
    (tmp_path / "project.yml").write_text(broken)
    with pytest.raises(SpecError) as excinfo:
        MapCrm(config={"mappings_dir": str(tmp_path), "direction": "hs_to_sf"})
    [issue] = excinfo.value.issues
    assert issue.code == "filter_syntax" and issue.line == 7  # the filter key


def test_partial_record_of_a_refresh_pass_is_marked_and_leaves_lookups_alone():
    """The tap's refresh pass sends only Id, the refreshed fields and the modstamp (and
    the fields the filter reads): the record is marked partial, carries only those fields
    and no association entry (an absent lookup is not a cleared one)."""
    partial = {
        "Id": "a0X000000000001AAA",
        "Budget__c": 99.5,
        "Status__c": "Planned",
        "SystemModstamp": "2024-03-02T10:00:00.000+0000",
    }
    _, out = run(forward(), SF_SCHEMA, {"type": "RECORD", "stream": "Project__c",
                                        "record": partial})  # fmt: skip
    record = out["record"]
    assert record["_crm_partial"] is True
    assert record["_crm_associations"] == []
    assert {k for k in record if not k.startswith("_")} == {"budget", "status", "salesforce_id"}
    assert record["_crm_source_values"] == {"Budget__c": 99.5, "Status__c": "Planned"}
    _, full = run(forward(), SF_SCHEMA, sf_record())
    assert "_crm_partial" not in full["record"]
    assert [a["lookup"] for a in full["record"]["_crm_associations"]] == ["Account__c"]
