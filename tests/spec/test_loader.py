"""Loading specs: YAML and schema errors with lines, offline and cross-mapping checks."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from crm_sync.spec import (
    Concat,
    Lower,
    SpecError,
    Trim,
    load_dir,
    load_specs,
    load_text,
    mapping_schema,
)
from crm_sync.vocabulary import Direction, Rule

REPO = Path(__file__).resolve().parents[2]

BASE = """\
name: project
salesforce: {object: Project__c, id_field: HubSpot_Id__c}
hubspot: {object: project, id_property: salesforce_id}
filter: "Status__c != 'Draft'"
fields:
  - {salesforce: Name, hubspot: project_name, rule: two_way, transform: [trim, lower]}
  - salesforce: Status__c
    hubspot: stage
    rule: always_salesforce
    values: {"In Progress": in_progress, Done: done}
associations:
  - {lookup: Account__c, to: account, label: "Project's company"}
"""


def codes(issues):
    return [i.code for i in issues]


def test_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(mapping_schema())
    assert mapping_schema()["$schema"].endswith("2020-12/schema")


def test_loads_the_typed_model_with_defaults():
    mapping, issues = load_text(BASE, "project.yml")
    assert issues == []
    assert mapping is not None
    assert mapping.enabled and mapping.create_to_hubspot and not mapping.create_to_salesforce
    assert str(mapping.conflict) == "newest" and str(mapping.tie) == "salesforce"
    name, stage = mapping.fields
    assert name.rule is Rule.TWO_WAY and name.transforms == (Trim(), Lower())
    assert stage.values.to_hubspot("In Progress") == "in_progress"
    assert stage.values.to_salesforce("done") == "Done"
    assert mapping.filter is not None and mapping.filter.fields == {"Status__c"}
    assert mapping.associations[0].label == "Project's company"
    assert mapping.field_line(stage, "values") == 10
    assert [f.salesforce for f in mapping.fields_for(Direction.HS_TO_SF)] == ["Name"]


def test_yaml_syntax_error_has_line():
    text = BASE.replace("  - salesforce: Status__c", "  - salesforce: [Status__c")
    mapping, issues = load_text(text, "bad.yml")
    assert mapping is None
    assert codes(issues) == ["yaml_syntax"]
    assert issues[0].file == "bad.yml" and issues[0].line in {7, 8, 9}
    assert str(issues[0]).startswith("bad.yml:")


def test_duplicate_key_is_an_error_with_line():
    text = BASE + "name: other\n"
    _, issues = load_text(text, "dup.yml")
    assert codes(issues) == ["yaml_syntax"]
    assert issues[0].line == 13 and "duplicate key 'name'" in issues[0].message


def test_schema_errors_are_all_reported_with_lines_and_fields():
    text = textwrap.dedent("""\
        name: Project
        salesforce: {object: Project__c}
        hubspot: {object: project, id_property: salesforce_id}
        conflict: sometimes
        fields:
          - {salesforce: Name, hubspot: project_name, rule: two_way}
          - {salesforce: Budget__c, hubspot: budget, rule: sometimes}
          - {salesforce: X__c, hubspot: x, rule: none, transform: {shout: true}}
        """)
    mapping, issues = load_text(text, "p.yml")
    assert mapping is None
    by_line = {i.line: i for i in issues}
    assert set(by_line) == {1, 2, 4, 7, 8}
    assert "does not match" in by_line[1].message
    assert "'id_field' is a required property" in by_line[2].message
    assert by_line[7].field == "Budget__c" and by_line[7].mapping == "Project"
    assert by_line[8].field == "X__c"


def test_label_and_type_id_are_exclusive():
    text = BASE.replace('label: "Project\'s company"', 'label: "x", type_id: 3')
    _, issues = load_text(text, "p.yml")
    assert codes(issues) == ["schema"] and issues[0].line == 12


def test_non_invertible_value_map():
    text = BASE.replace("Done: done", "Done: in_progress")
    mapping, issues = load_text(text, "p.yml")
    assert mapping is None
    assert codes(issues) == ["value_map_not_invertible"]
    assert issues[0].line == 10 and issues[0].field == "Status__c"
    assert issues[0].mapping == "project"


def test_filter_syntax_error():
    text = BASE.replace("Status__c != 'Draft'", "Status__c != ")
    _, issues = load_text(text, "p.yml")
    assert codes(issues) == ["filter_syntax"] and issues[0].line == 4


def test_offline_field_checks_are_collected():
    text = BASE.replace(
        "associations:",
        "  - {salesforce: Account__c, hubspot: account_ref, rule: two_way}\n"
        "  - {salesforce: Id, hubspot: salesforce_id, rule: always_salesforce}\n"
        "  - {salesforce: Other__c, hubspot: project_name, rule: always_salesforce}\n"
        "  - {salesforce: First__c, hubspot: full, rule: two_way,\n"
        "     transform: {concat: [First__c, Last__c], separator: ' '}}\n"
        "associations:",
    )
    mapping, issues = load_text(text, "p.yml")
    assert mapping is None
    assert codes(issues) == [
        "lookup_mapped_as_field",
        "id_mapped_as_field",
        "duplicate_target",
        "concat_needs_one_way_rule",
    ]
    assert [i.line for i in issues] == [11, 12, 13, 15]  # the transform key


def test_concat_with_one_way_rule_is_fine():
    text = BASE.replace(
        "associations:",
        "  - {salesforce: Name, hubspot: label, rule: always_salesforce,\n"
        "     transform: [{concat: [Name, Status__c], separator: ' - '}, upper]}\n"
        "associations:",
    )
    mapping, issues = load_text(text, "p.yml")
    assert issues == [] and mapping is not None
    assert mapping.fields[2].concat == Concat(("Name", "Status__c"), " - ")


def _write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(textwrap.dedent(text))


ACCOUNT = """\
name: account
salesforce: {object: Account, id_field: HubSpot_Id__c}
hubspot: {object: companies, id_property: salesforce_id}
fields:
  - {salesforce: Name, hubspot: name, rule: two_way}
"""


def test_directory_cross_checks(tmp_path):
    (tmp_path / "project.yml").write_text(BASE)
    (tmp_path / "account.yml").write_text(ACCOUNT + "enabled: false\n")
    _write(
        tmp_path,
        "project2.yml",
        """\
        name: project
        salesforce: {object: Project__c, id_field: Other_Id__c}
        hubspot: {object: project, id_property: sf_id}
        fields:
          - {salesforce: Other__c, hubspot: project_name, rule: two_way}
        """,
    )
    _write(tmp_path, "notes.txt", "not a spec")
    specs = load_dir(tmp_path)
    found = sorted((i.code, Path(i.file).name, i.line) for i in specs.errors)
    assert found == [
        ("association_target_disabled", "project.yml", 12),
        ("duplicate_name", "project2.yml", 1),
        ("stream_mapped_twice", "project2.yml", 2),  # Project__c read twice (sf_to_hs)
        ("stream_mapped_twice", "project2.yml", 3),  # project read twice (hs_to_sf)
        ("target_written_twice", "project2.yml", 5),
    ]
    written_twice = next(i for i in specs.errors if i.code == "target_written_twice")
    assert written_twice.line == 5 and written_twice.field == "project_name"
    with pytest.raises(SpecError) as excinfo:
        specs.raise_for_errors()
    assert len(excinfo.value.issues) == len(specs.issues)


def test_missing_association_target(tmp_path):
    (tmp_path / "project.yml").write_text(BASE)
    specs = load_dir(tmp_path)
    assert codes(specs.errors) == ["association_target_missing"]
    assert specs.errors[0].line == 12 and specs.errors[0].field == "Account__c"


def test_missing_directory(tmp_path):
    assert codes(load_dir(tmp_path / "nope").errors) == ["no_directory"]


def test_shipped_examples_load_cleanly():
    specs = load_specs(REPO / "transforms" / "mappings")
    assert {m.name for m in specs.mappings} >= {"project", "account"}
    assert specs.issues == []
    project = specs.for_stream("project__c", Direction.SF_TO_HS)
    assert project is not None and project.name == "project"
    assert specs.for_stream("companies", Direction.HS_TO_SF).name == "account"


def test_field_conflict_only_on_two_way_fields():
    text = BASE.replace("rule: two_way, transform", "rule: two_way, conflict: hubspot, transform")
    mapping, issues = load_text(text, "p.yml")
    assert mapping is not None and not issues
    assert [str(f.conflict) for f in mapping.fields] == ["hubspot", "None"]
    one_way = BASE.replace(
        "rule: always_salesforce", "rule: always_salesforce\n    conflict: hubspot"
    )
    mapping, issues = load_text(one_way, "p.yml")
    assert mapping is None and codes(issues) == ["conflict_needs_two_way"]
    assert issues[0].line == 10 and issues[0].field == "Status__c"
    _, issues = load_text(
        BASE.replace("rule: two_way,", "rule: two_way, conflict: oldest,"), "p.yml"
    )
    assert codes(issues) == ["schema"]


def test_owner_field_loads_and_takes_no_value_map():
    text = BASE.replace(
        "associations:",
        "  - {salesforce: OwnerId, hubspot: hubspot_owner_id, rule: two_way, owner: true}\n"
        "associations:",
    )
    mapping, issues = load_text(text, "p.yml")
    assert mapping is not None and not issues
    assert [f.owner for f in mapping.fields][-1] is True and mapping.has_owner_fields
    mapped = text.replace("owner: true}", "owner: true, values: {a: b}}")
    mapping, issues = load_text(mapped, "p.yml")
    assert mapping is None and codes(issues) == ["owner_with_values"]
    _, issues = load_text(text.replace("owner: true", "owner: yes please"), "p.yml")
    assert codes(issues) == ["schema"]
