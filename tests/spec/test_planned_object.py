"""A mapping to a HubSpot custom object that does not exist yet (issue 14, feature 3):
with creation on, validation checks it against the object the target will create."""

from __future__ import annotations

import textwrap

from crm_sync.convert.kinds import Kind
from crm_sync.hubspot.properties import field_schema, hubspot_property, planned_object_schema
from crm_sync.spec import load_specs, validate_live
from tests.spec.live_fixtures import account_describe, companies_schema, picklist, sf
from tests.spec.test_live import ACCOUNT

OPPORTUNITY = """\
name: opportunity
salesforce: {object: Opportunity, id_field: HubSpot_Id__c}
hubspot: {object: sf_opportunity, id_property: salesforce_id}
fields:
  - {salesforce: Name, hubspot: name, rule: always_salesforce}
  - {salesforce: Amount, hubspot: amount, rule: always_salesforce}
  - {salesforce: CloseDate, hubspot: close_date, rule: always_salesforce}
  - salesforce: StageName
    hubspot: stage
    rule: always_salesforce
    values: {Prospecting: prospecting, Closed Won: won}
associations:
  - {lookup: AccountId, to: account}
"""


def opportunity_describe() -> dict:
    return {
        "name": "Opportunity",
        "fields": [
            sf("Id", "id", createable=False, updateable=False, nillable=False),
            sf("HubSpot_Id__c", "string", length=64, externalId=True, unique=True),
            sf("Name", "string", length=120, nillable=False),
            sf("Amount", "currency", precision=18, scale=2),
            sf("CloseDate", "date", nillable=False),
            sf(
                "StageName",
                "picklist",
                nillable=False,
                picklistValues=picklist("Prospecting", "Closed Won"),
            ),
            sf("AccountId", "reference", referenceTo=["Account"], relationshipName="Account"),
        ],
    }


def _specs(tmp_path):
    (tmp_path / "opportunity.yml").write_text(textwrap.dedent(OPPORTUNITY))
    (tmp_path / "account.yml").write_text(ACCOUNT)
    specs = load_specs(tmp_path)
    assert not specs.errors, specs.errors
    return specs


def _validate(tmp_path, create_objects: bool):
    specs = _specs(tmp_path)
    return validate_live(
        specs.mappings,
        {"Opportunity": opportunity_describe(), "Account": account_describe()},
        {"companies": companies_schema()},
        create_objects=create_objects,
    )


def test_missing_object_is_an_error_without_creation(tmp_path):
    errors = [(i.code, i.message) for i in _validate(tmp_path, False) if i.is_error]
    assert errors == [("unknown_object", "HubSpot has no object sf_opportunity")]


def test_with_creation_the_planned_object_validates(tmp_path):
    issues = [i for i in _validate(tmp_path, True) if i.mapping == "opportunity"]
    assert [i for i in issues if i.is_error] == []


def test_planned_types_are_the_ones_validation_accepts(tmp_path):
    specs = _specs(tmp_path)
    planned = planned_object_schema(specs.get("opportunity"), opportunity_describe())
    props = {p["name"]: p for p in planned["properties"]}
    assert planned["requiredProperties"] == ["salesforce_id"]
    assert props["salesforce_id"]["hasUniqueValue"] is True
    assert (props["amount"]["type"], props["amount"]["fieldType"]) == ("number", "number")
    assert props["close_date"]["type"] == "date"
    assert props["name"]["type"] == "string"
    stage = props["stage"]
    assert (stage["type"], stage["fieldType"]) == ("enumeration", "select")
    # active picklist values through the value map
    assert [o["value"] for o in stage["options"]] == ["prospecting", "won"]


def test_mapping_errors_still_show_against_the_planned_object(tmp_path):
    """Creation is no switch that turns the live checks off: a wrong field still fails."""
    specs = _specs(tmp_path)
    (tmp_path / "opportunity.yml").write_text(
        textwrap.dedent(OPPORTUNITY).replace("CloseDate,", "Close_Date__c,")
    )
    specs = load_specs(tmp_path)
    issues = validate_live(
        specs.mappings,
        {"Opportunity": opportunity_describe(), "Account": account_describe()},
        {"companies": companies_schema()},
        create_objects=True,
    )
    codes = {(i.code, i.field) for i in issues if i.is_error}
    assert ("unknown_field", "Close_Date__c") in codes


def test_the_target_creates_what_map_crm_announces():
    """The mapper's field schema gives the same property the planned object holds."""
    created = hubspot_property("stage", field_schema(Kind.ENUM, ["a", "b"]))
    assert created["type"] == "enumeration"
    assert [o["value"] for o in created["options"]] == ["a", "b"]
    multi = hubspot_property("tags", field_schema(Kind.MULTI, ["x"]))
    assert (multi["type"], multi["fieldType"]) == ("enumeration", "checkbox")
    assert hubspot_property("amount", field_schema(Kind.NUMBER))["type"] == "number"
    # an enum without known options stays text (HubSpot needs options for a select)
    assert hubspot_property("s", field_schema(Kind.ENUM))["type"] == "string"


def _declaring(tmp_path, create_object: str):
    """The specs with the opportunity mapping saying ``hubspot.create_object``."""
    text = textwrap.dedent(OPPORTUNITY).replace(
        "id_property: salesforce_id}",
        f"id_property: salesforce_id, create_object: {create_object}}}",
    )
    (tmp_path / "opportunity.yml").write_text(text)
    (tmp_path / "account.yml").write_text(ACCOUNT)
    specs = load_specs(tmp_path)
    assert not specs.errors, specs.errors
    return specs


def _errors(specs, *, create_objects: bool = False) -> list[tuple[str, str]]:
    issues = validate_live(
        specs.mappings,
        {"Opportunity": opportunity_describe(), "Account": account_describe()},
        {"companies": companies_schema()},
        create_objects=create_objects,
    )
    return [(i.code, i.message) for i in issues if i.is_error]


def test_the_spec_says_creation_per_mapping(tmp_path):
    """``hubspot.create_object`` is the one decision: no setting needed, and it wins."""
    specs = _declaring(tmp_path, "true")
    assert specs.get("opportunity").hubspot.create_object is True
    assert specs.get("opportunity").settings()["hubspot"]["create_object"] is True
    assert _errors(specs) == []
    # a spec that says false is not overridden by the deprecated setting's answer
    assert _errors(_declaring(tmp_path, "false"), create_objects=True) == [
        ("unknown_object", "HubSpot has no object sf_opportunity")
    ]


def test_creation_of_a_standard_object_is_a_warning(tmp_path):
    (tmp_path / "account.yml").write_text(
        ACCOUNT.replace(
            "id_property: salesforce_id}", "id_property: salesforce_id, create_object: true}"
        )
    )
    specs = load_specs(tmp_path)
    assert specs.get("account").hubspot.create_object is True
    issues = validate_live(
        specs.mappings, {"Account": account_describe()}, {"companies": companies_schema()}
    )
    assert [(i.code, i.is_error) for i in issues if i.code == "not_creatable"] == [
        ("not_creatable", False)
    ]
