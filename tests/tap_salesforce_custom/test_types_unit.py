"""Salesforce types → JSON Schema and value conversion."""

from __future__ import annotations

import pytest
from tap_salesforce_custom.sf_types import (
    converter,
    field_schema,
    normalize_datetime,
    soql_datetime,
)


@pytest.mark.parametrize(
    ("sf_type", "json_type", "fmt"),
    [
        ("id", "string", None), ("string", "string", None), ("textarea", "string", None),
        ("email", "string", None), ("phone", "string", None), ("url", "string", None),
        ("picklist", "string", None), ("multipicklist", "string", None),
        ("reference", "string", None), ("boolean", "boolean", None), ("int", "integer", None),
        ("double", "number", None), ("currency", "number", None), ("percent", "number", None),
        ("date", "string", "date"), ("datetime", "string", "date-time"),
        ("time", "string", "time"),
    ],
)  # fmt: skip
def test_every_type_maps(sf_type: str, json_type: str, fmt: str | None) -> None:
    prop = field_schema({"name": "F", "type": sf_type, "nillable": True})
    assert prop is not None
    assert prop["type"] == [json_type, "null"] and prop.get("format") == fmt
    assert prop["x-sf-type"] == sf_type
    strict = field_schema({"name": "F", "type": sf_type, "nillable": False})
    assert strict is not None and strict["type"] == json_type


@pytest.mark.parametrize("sf_type", ["base64", "address", "location", "madeup"])
def test_skipped_types_are_logged(sf_type: str, caplog) -> None:
    caplog.set_level("INFO")
    assert field_schema({"name": "Odd__c", "type": sf_type}) is None
    assert "Odd__c" in caplog.text


def test_datetimes_normalise_to_one_utc_form() -> None:
    assert normalize_datetime("2024-01-02T03:04:05.000+0000") == "2024-01-02T03:04:05.000+00:00"
    assert normalize_datetime("2024-01-02T03:04:05Z") == "2024-01-02T03:04:05.000+00:00"
    assert normalize_datetime("2024-01-02T03:04:05.1234Z") == "2024-01-02T03:04:05.123+00:00"
    assert normalize_datetime("2024-01-02T05:04:05+02:00") == "2024-01-02T03:04:05.000+00:00"
    assert soql_datetime("2024-01-02T03:04:05.007+00:00") == "2024-01-02T03:04:05.007Z"


def test_csv_conversion() -> None:
    assert converter("boolean")("true") is True and converter("boolean")("false") is False
    assert converter("int")("42") == 42 and converter("currency")("1.5") == 1.5
    assert converter("string")("") is None and converter("double")("") is None
    assert converter("datetime")("2024-01-02T03:04:05.000Z") == "2024-01-02T03:04:05.000+00:00"
    assert converter("date")("2024-01-02") == "2024-01-02"
