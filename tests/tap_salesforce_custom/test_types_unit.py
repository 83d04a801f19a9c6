"""Salesforce types → JSON Schema and value conversion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tap_salesforce_custom.sf_types import (
    converter,
    field_schema,
    normalize_any_datetime,
    normalize_datetime,
    row_converter,
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


SUFFIXES = ("Z", "+0000", "+00:00", "+02:00", "-0530", "")


@given(
    stamp=st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    digits=st.sampled_from((0, 3, 6)),
    suffix=st.sampled_from(SUFFIXES),
)
def test_short_cut_gives_what_the_full_parse_gives(
    stamp: datetime, digits: int, suffix: str
) -> None:
    """The API's UTC millisecond form takes a short cut; every form gives the full parse's value."""
    text = stamp.replace(tzinfo=None).isoformat(timespec="seconds")
    if digits:
        text += "." + f"{stamp.microsecond:06d}"[:digits]
    assert normalize_datetime(text + suffix) == normalize_any_datetime(text + suffix)


@pytest.mark.parametrize(
    "value",
    ["2026-02-30T00:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-01-01T24:00:00.000+0000",
     "0000-01-01T00:00:00.000Z", "2026-01-01T00:00:60.000+00:00", " 2026-01-01T00:00:00.000Z"],
)  # fmt: skip
def test_short_cut_refuses_or_passes_on_what_the_full_parse_does(value: str) -> None:
    try:
        expected: str | type[Exception] = normalize_any_datetime(value)
    except ValueError as exc:
        expected = type(exc)
    if isinstance(expected, str):
        assert normalize_datetime(value) == expected
    else:
        with pytest.raises(expected):
            normalize_datetime(value)


CELLS = st.one_of(
    st.just(""), st.sampled_from(["true", "false", "TRUE", "42", "-7", "3.25", "1e3"]),
    st.sampled_from(["2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05.123+0000"]),
    st.text(max_size=5),
)  # fmt: skip
TYPES = {
    "Id": "id", "Flag": "boolean", "Count": "int", "Amount": "currency", "Share": "percent",
    "Stamp": "datetime", "Day": "date", "Note": "textarea",
}  # fmt: skip


def _cell_by_cell(types: dict[str, str], row: dict[str, str]) -> dict[str, Any]:
    identity = converter("string")
    return {k: (converter(types[k]) if k in types else identity)(v) for k, v in row.items()}


@given(row=st.fixed_dictionaries({name: CELLS for name in [*TYPES, "Unknown__c"]}))
def test_row_converter_reads_a_row_as_its_cells_do(row: dict[str, str]) -> None:
    """One pass for emptiness and the typed columns after it: the same record, the same
    types, in the same order; a cell that does not read fails the row either way."""
    try:
        expected = _cell_by_cell(TYPES, row)
    except ValueError:
        with pytest.raises(ValueError):
            row_converter(TYPES)(row)
        return
    got = row_converter(TYPES)(row)
    assert got == expected
    assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]
    assert list(got) == list(expected)
