"""The taps' shared plumbing keeps only the selected properties, as singer-sdk does."""

from __future__ import annotations

from singer_sdk.singerlib import SelectionMask

from crm_sync.singer import selected_schema

SCHEMA = {
    "type": "object",
    "required": ["Id", "Secret__c"],
    "x-sf-object": "Project__c",
    "properties": {
        "Id": {"type": "string"},
        "Secret__c": {"type": "string", "x-sf-type": "string"},
        "Address": {
            "type": "object",
            "properties": {"City": {"type": "string"}, "Zip": {"type": "string"}},
        },
    },
}


def test_deselected_properties_go_nested_ones_too_and_annotations_stay() -> None:
    mask = SelectionMask(
        {
            (): True,
            ("properties", "Secret__c"): False,
            ("properties", "Address", "properties", "Zip"): False,
        }
    )
    out = selected_schema(SCHEMA, mask)
    assert list(out["properties"]) == ["Id", "Address"]
    assert list(out["properties"]["Address"]["properties"]) == ["City"]
    assert out["required"] == ["Id"] and out["x-sf-object"] == "Project__c"
    assert "Secret__c" in SCHEMA["properties"]  # the input is not changed


def test_a_deselected_parent_drops_its_children() -> None:
    mask = SelectionMask({(): True, ("properties", "Address"): False})
    assert "Address" not in selected_schema(SCHEMA, mask)["properties"]
