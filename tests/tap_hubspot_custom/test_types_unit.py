"""Property typing and record shaping; annotations reach the SCHEMA message."""

from __future__ import annotations

from tap_hubspot_custom.hs_types import RecordShaper, object_schema, property_schema

from crm_sync.convert import Kind, json_schema_kind
from tests.tap_hubspot_custom.conftest import run_tap
from tests.tap_hubspot_custom.fake_hubspot import PROJECT_PROPS


def _prop(name: str) -> dict:
    return next(p for p in PROJECT_PROPS if p["name"] == name)


def test_types_and_annotations_per_hubspot_type() -> None:
    expect = {
        "project_name": ({"type": ["string", "null"]}, Kind.TEXT),
        "budget": ({"type": ["number", "null"]}, Kind.NUMBER),
        "is_active": ({"type": ["boolean", "null"]}, Kind.BOOL),
        "opt_in": ({"type": ["boolean", "null"]}, Kind.BOOL),
        "start_date": ({"type": ["string", "null"], "format": "date"}, Kind.DATE),
        "kickoff": ({"type": ["string", "null"], "format": "date-time"}, Kind.DATETIME),
        "stage": ({"type": ["string", "null"]}, Kind.ENUM),
        "tags": ({"type": ["string", "null"]}, Kind.MULTI),
    }
    for name, (json_type, kind) in expect.items():
        schema = property_schema(_prop(name))
        assert {k: schema[k] for k in json_type} == json_type, name
        assert schema["x-hubspot-type"] == _prop(name)["type"]
        assert schema["x-hubspot-field-type"] == _prop(name)["fieldType"]
        assert json_schema_kind(schema) is kind, name  # what the mapper will read
    assert property_schema(_prop("stage"))["x-hubspot-options"] == [
        {"label": "Planned", "value": "planned"}
    ]
    assert property_schema(_prop("salesforce_id"))["x-hubspot-has-unique-value"] is True


def test_records_are_flat_and_typed() -> None:
    schema = object_schema(PROJECT_PROPS)
    shaper = RecordShaper(schema, "project")
    raw = {
        "id": "7",
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-02T00:00:00.5Z",
        "archived": False,
        "properties": {
            "hs_object_id": "7",
            "budget": "12.50",
            "is_active": "true",
            "opt_in": "false",
            "start_date": "1767225600000",
            "kickoff": "1767225600000",
            "tags": "alpha;beta",
            "stage": "",
            "project_name": None,
            "not_in_catalog": "x",
        },
    }
    record = shaper.shape(raw)
    assert record == {
        "id": "7",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-02T00:00:00.500Z",
        "archived": False,
        "archivedAt": None,
        "hs_object_id": 7,
        "budget": 12.5,
        "is_active": True,
        "opt_in": False,
        "start_date": "2026-01-01",
        "kickoff": "2026-01-01T00:00:00.000Z",
        "tags": "alpha;beta",
        "stage": "",
        "project_name": None,
    }
    gone = shaper.shape({**raw, "archived": True, "archivedAt": "2026-02-01T00:00:00Z"})
    assert gone["_sdc_deleted_at"] == "2026-02-01T00:00:00.000Z"
    assert shaper.shape({**raw, "properties": {"budget": "n/a"}})["budget"] is None


def test_schema_message_keeps_annotations(fake, config) -> None:
    schema = run_tap(config).schema()
    tags = schema["properties"]["tags"]
    assert tags["x-hubspot-type"] == "enumeration" and tags["x-hubspot-field-type"] == "checkbox"
    assert schema["properties"]["associations"]["type"] == ["object", "null"]
    assert "_sdc_deleted_at" in schema["properties"]
