"""Validation against the live schemas (given as data): every error kind."""

from __future__ import annotations

import textwrap
from pathlib import Path

from crm_sync.spec import Severity, load_dir, load_specs, validate_live
from tests.spec.live_fixtures import (
    account_describe,
    companies_schema,
    hs,
    options,
    project_describe,
    project_schema,
    sf,
)

REPO = Path(__file__).resolve().parents[2]

ACCOUNT = """\
name: account
salesforce: {object: Account, id_field: HubSpot_Id__c}
hubspot: {object: companies, id_property: salesforce_id}
fields:
  - {salesforce: Name, hubspot: name, rule: two_way}
"""


def _run(tmp_path, project_text, describe=None, schema=None):
    (tmp_path / "project.yml").write_text(textwrap.dedent(project_text))
    (tmp_path / "account.yml").write_text(ACCOUNT)
    specs = load_specs(tmp_path)
    sf_describes = {"Project__c": describe or project_describe(), "Account": account_describe()}
    hs_schemas = {"project": schema or project_schema(), "companies": companies_schema()}
    return validate_live(specs.mappings, sf_describes, hs_schemas)


def _errors(issues):
    return sorted((i.code, i.field, i.line) for i in issues if i.severity is Severity.ERROR)


HEAD = """\
name: project
salesforce: {object: Project__c, id_field: HubSpot_Id__c}
hubspot: {object: project, id_property: salesforce_id}
"""


def test_shipped_project_mapping_is_valid_against_the_sandbox_shapes():
    specs = load_specs(REPO / "transforms" / "mappings")
    project = specs.get("project")
    account = specs.get("account")
    issues = validate_live(
        [project, account],
        {"Project__c": project_describe(), "Account": account_describe()},
        {"project": project_schema(), "companies": companies_schema()},
    )
    project_errors = [i for i in issues if i.is_error and i.mapping == "project"]
    assert project_errors == []
    warnings = {(i.code, i.field) for i in issues if i.mapping == "project" and not i.is_error}
    assert ("lossy", "Name") in warnings  # HubSpot text is longer than Name(80)
    assert ("lossy", "Budget__c") in warnings  # rounded to 2 places on the way back


def test_unknown_object(tmp_path):
    (tmp_path / "p.yml").write_text(HEAD + "fields: []\n")
    issues = validate_live(load_dir(tmp_path).mappings, {}, {})
    assert _errors(issues) == [("unknown_object", None, 2), ("unknown_object", None, 3)]
    assert "Salesforce has no object Project__c" in str(issues[0])
    assert str(issues[0]).startswith(str(tmp_path / "p.yml") + ":2: error: mapping 'project'")


def test_every_field_level_error(tmp_path):
    spec = HEAD + textwrap.dedent("""\
        filter: "Nope__c = 1"
        fields:
          - {salesforce: Missing__c, hubspot: project_name, rule: two_way}
          - {salesforce: Name, hubspot: missing_prop, rule: two_way}
          - {salesforce: Primary__c, hubspot: description, rule: two_way}
          - {salesforce: Description__c, hubspot: budget, rule: always_salesforce}
          - {salesforce: Tags__c, hubspot: status, rule: always_salesforce}
          - {salesforce: Score__c, hubspot: completion, rule: always_hubspot}
          - {salesforce: Priority__c, hubspot: hs_object_id, rule: always_salesforce}
          - salesforce: Status__c
            hubspot: phase
            rule: prefer_hubspot
            values: {"Planned": planned, "In Progress": in_progress, "Done": done,
                     "On Hold": on_hold, "Cancelled": cancelled, "Draft": draft_stage}
          - {salesforce: Tags__c, hubspot: tags, rule: two_way}
        associations:
          - {lookup: Phone__c, to: account}
          - {lookup: Nothing__c, to: account}
        """)
    describe = project_describe()
    describe["fields"].append(sf("Primary__c", "reference", length=18, referenceTo=["Contact"]))
    schema = project_schema()
    schema["properties"].append(
        hs("phase", "enumeration", "radio", options=options("planned", "in_progress", "done"))
    )
    issues = _run(tmp_path, spec, describe=describe, schema=schema)
    errors = _errors(issues)
    assert sorted(set(errors)) == [
        ("association_not_reference", "Phone__c", 20),
        ("incompatible_type", "Description__c", 9),  # text into a number
        ("incompatible_type", "Tags__c", 10),  # multi-picklist into a single select
        ("read_only_target", "Priority__c", 12),  # HubSpot calculated property
        ("read_only_target", "Score__c", 11),  # Salesforce formula field
        ("reference_as_field", "Primary__c", 8),
        ("unknown_field", "Missing__c", 6),
        ("unknown_field", "Nope__c", 4),  # in the filter
        ("unknown_field", "Nothing__c", 21),
        ("unknown_property", "Name", 7),
        ("value_not_in_options", "Status__c", 16),  # Draft/On Hold/Cancelled: no phase option
        ("value_not_in_options", "Tags__c", 18),  # no map: 'AI' is not the option 'ai'
    ]
    assert errors.count(("value_not_in_options", "Status__c", 16)) == 3
    assert errors.count(("value_not_in_options", "Tags__c", 18)) == 14  # 7 each way
    messages = [i.message for i in issues if i.code == "value_not_in_options"]
    assert (
        "Salesforce Status__c value 'Draft' (as 'draft_stage') is not one of the HubSpot "
        "phase options" in messages
    )


def test_value_missing_from_map_and_required_properties(tmp_path):
    spec = HEAD + textwrap.dedent("""\
        create: {to_hubspot: true, to_salesforce: true}
        fields:
          - salesforce: Status__c
            hubspot: status
            rule: two_way
            values: {"Planned": planned, "Done": done}
        """)
    describe = project_describe()
    describe["fields"].append(sf("Code__c", "string", length=10, nillable=False))
    issues = _run(tmp_path, spec, describe=describe)
    errors = _errors(issues)
    missing = [e for e in errors if e[0] == "value_not_mapped"]
    # Salesforce side: Draft, In Progress, On Hold, Cancelled; HubSpot side: the same four.
    assert len(missing) == 8 and {e[2] for e in missing} == {9}
    assert ("required_unmapped", "project_name", 5) in errors
    assert ("required_unmapped", "Code__c", 5) in errors
    assert ("required_unmapped", "Name", 5) not in errors  # nillable on custom objects


def test_id_checks(tmp_path):
    describe = project_describe()
    for field in describe["fields"]:
        if field["name"] == "HubSpot_Id__c":
            field["externalId"] = False
    schema = project_schema()
    schema["properties"] = [p for p in schema["properties"] if p["name"] != "salesforce_id"]
    issues = _run(tmp_path, HEAD + "create: {to_hubspot: false}\nfields: []\n", describe, schema)
    assert _errors(issues) == [
        ("id_field_not_external", "HubSpot_Id__c", 2),
        ("unknown_property", "salesforce_id", 3),
    ]
    schema["properties"].append(hs("salesforce_id", "string", "text"))
    issues = _run(tmp_path, HEAD + "create: {to_hubspot: false}\nfields: []\n", None, schema)
    assert _errors(issues) == [("id_property_not_unique", "salesforce_id", 3)]


def test_association_target_object_must_match_lookup(tmp_path):
    spec = HEAD + textwrap.dedent("""\
        fields:
          - {salesforce: Name, hubspot: project_name, rule: two_way}
        associations:
          - {lookup: Account__c, to: account, label: "Project's company"}
          - {lookup: Owner__c, to: account}
        """)
    describe = project_describe()
    describe["fields"].append(sf("Owner__c", "reference", referenceTo=["User"]))
    assert _errors(_run(tmp_path, spec, describe=describe)) == [
        ("association_wrong_target", "Owner__c", 8)
    ]


def test_warnings_for_lossy_and_partly_read_only(tmp_path):
    spec = HEAD + textwrap.dedent("""\
        fields:
          - {salesforce: Name, hubspot: project_name, rule: two_way}
          - {salesforce: Description__c, hubspot: contact_email, rule: always_salesforce}
          - {salesforce: Kickoff__c, hubspot: start_date, rule: always_salesforce}
          - {salesforce: Big__c, hubspot: budget, rule: two_way}
          - {salesforce: Code__c, hubspot: description, rule: always_hubspot}
        """)
    describe = project_describe()
    describe["fields"] += [
        sf("Big__c", "currency", precision=18, scale=2),
        sf("Code__c", "string", length=20, updateable=False),
    ]
    issues = _run(tmp_path, spec, describe=describe)
    assert _errors(issues) == []
    warnings = sorted((i.code, i.field) for i in issues if i.mapping == "project")
    assert warnings == [
        ("lossy", "Big__c"),  # 18 digits into a double
        ("lossy", "Big__c"),  # HubSpot numbers rounded to 2 places
        ("lossy", "Code__c"),  # HubSpot long text into a 20-character string
        ("lossy", "Kickoff__c"),  # datetime into a date drops the time
        ("lossy", "Name"),
        ("partly_read_only", "Code__c"),
    ]


def _owner_spec(line: str) -> str:
    return (
        HEAD
        + textwrap.dedent("""\
        fields:
          - {salesforce: Name, hubspot: project_name, rule: two_way}
        """)
        + f"  - {line}\n"
    )


def test_owner_field_is_a_user_lookup_to_an_owner_property(tmp_path):
    spec = _owner_spec(
        "{salesforce: OwnerId, hubspot: hubspot_owner_id, rule: two_way, owner: true}"
    )
    assert _errors(_run(tmp_path, spec)) == []


def test_owner_field_errors_name_the_wrong_side(tmp_path):
    cases = {
        "{salesforce: Account__c, hubspot: hubspot_owner_id, rule: two_way, owner: true}": (
            "owner_not_user_lookup",
            "Account__c",
        ),
        "{salesforce: OwnerId, hubspot: description, rule: two_way, owner: true}": (
            "owner_not_owner_property",
            "OwnerId",
        ),
        "{salesforce: OwnerId, hubspot: hubspot_owner_id, rule: two_way}": (
            "reference_as_field",
            "OwnerId",
        ),
    }
    for line, (code, field) in cases.items():
        issues = _run(tmp_path, _owner_spec(line))
        assert _errors(issues) == [(code, field, 6)], line
    hint = next(i.message for i in issues if i.code == "reference_as_field")
    assert "owner: true" in hint  # an owner mapped as a plain field: say how to map it


def test_owner_property_other_than_hubspot_owner_id_and_read_only_owner(tmp_path):
    spec = _owner_spec("{salesforce: OwnerId, hubspot: reviewer, rule: two_way, owner: true}")
    describe = project_describe()
    for fdef in describe["fields"]:
        if fdef["name"] == "OwnerId":
            fdef.update(createable=False, updateable=False)
    schema = project_schema()
    schema["properties"].append(
        hs("reviewer", "enumeration", "select", externalOptions=True, referencedObjectType="OWNER")
    )
    assert _errors(_run(tmp_path, spec, describe=describe, schema=schema)) == [
        ("read_only_target", "OwnerId", 6)
    ]
