"""map-crm's conversion short cuts give exactly what the full conversion gives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from map_crm import fast
from map_crm.fast import Memo, hubspot_converter, hubspot_stamp, utc_millis_as_hubspot

from crm_sync.convert import ConversionError, FieldConverter, Kind
from crm_sync.convert.codec import HUBSPOT, read_datetime
from crm_sync.convert.valuemap import ValueMap

STAMPS = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30))
SUFFIXES = st.sampled_from(("Z", "+0000", "+00:00", "+02:00", "-0530", ""))


@st.composite
def datetime_texts(draw: st.DrawFn) -> str:
    """Datetimes as the taps and the APIs write them, in every precision and offset."""
    stamp = draw(STAMPS)
    text = stamp.isoformat(timespec=draw(st.sampled_from(("seconds", "milliseconds"))))
    return text + draw(SUFFIXES)


ODD_DATETIMES = [
    "2026-02-30T00:00:00.000Z", "2026-13-01T00:00:00.000+0000", "2026-01-01T24:00:00.000Z",
    "0999-01-01T00:00:00.000+00:00", "0001-01-01T00:00:00.000Z", " 2026-01-01T00:00:00.000Z",
    "1704067200000", "", "not a date",
]  # fmt: skip
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.text(max_size=12),
    st.sampled_from(["", " ", "true", "Yes", "12.50", "2024-01-02", "a;b", "Planned", "Web"]),
    st.decimals(allow_nan=True, allow_infinity=True), st.floats(), datetime_texts(),
    st.sampled_from(ODD_DATETIMES),
)  # fmt: skip
KINDS = [k for k in Kind if k is not Kind.UNSUPPORTED]
VALUE_MAPS = [ValueMap(), ValueMap.build({"Planned": "planned", "Web": "web", "true": "yes"})]


def _full(converter: FieldConverter, value: Any) -> Any:
    try:
        return converter.to_hubspot(value)
    except ConversionError as exc:
        return ConversionError, str(exc)


def _short(convert: Callable[[Any], str], value: Any) -> Any:
    try:
        return convert(value)
    except ConversionError as exc:
        return ConversionError, str(exc)


@given(
    sf_kind=st.sampled_from(KINDS),
    hs_kind=st.sampled_from(KINDS),
    values=st.sampled_from(VALUE_MAPS),
    inputs=st.lists(VALUES, max_size=8),
)
def test_field_short_cuts_give_the_full_conversion(
    sf_kind: Kind, hs_kind: Kind, values: ValueMap, inputs: list[Any]
) -> None:
    """Every kind pair, with and without a value map; values repeat, so the memo answers."""
    converter = FieldConverter(sf_kind, hs_kind, values)
    convert = hubspot_converter(converter)
    for value in [*inputs, *inputs]:
        assert _short(convert, value) == _full(converter, value), value


@given(value=st.one_of(datetime_texts(), st.sampled_from(ODD_DATETIMES)))
def test_datetime_short_cut_gives_the_full_conversion(value: str) -> None:
    converter = FieldConverter(Kind.DATETIME, Kind.DATETIME)
    assert _short(hubspot_converter(converter), value) == _full(converter, value)
    parsed = read_datetime(value)
    assert hubspot_stamp(value) == (HUBSPOT.format_datetime(parsed) if parsed else None)


def test_short_cuts_take_the_common_forms() -> None:
    """The forms the Salesforce tap sends take the short cut (the full path is not asked)."""
    assert utc_millis_as_hubspot("2026-12-15T09:00:00.000+00:00") == "2026-12-15T09:00:00.000Z"
    assert utc_millis_as_hubspot("2026-12-15T09:00:00.000+0000") == "2026-12-15T09:00:00.000Z"
    assert utc_millis_as_hubspot("0999-12-15T09:00:00.000Z") is None  # strftime's own year
    assert utc_millis_as_hubspot("2026-02-30T09:00:00.000Z") is None

    class Refusing(FieldConverter):
        def to_hubspot(self, sf_value: Any) -> str:
            raise AssertionError(f"full path asked for {sf_value!r}")

    stamp = hubspot_converter(Refusing(Kind.DATETIME, Kind.DATETIME))
    assert stamp("2026-12-15T09:00:00.000+00:00") == "2026-12-15T09:00:00.000Z"
    assert hubspot_converter(Refusing(Kind.NUMBER, Kind.NUMBER))(Decimal("1200.50")) == "1200.5"


def test_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "MEMO_SIZE", 3)
    converter = FieldConverter(Kind.ENUM, Kind.ENUM, VALUE_MAPS[1])
    convert = Memo(converter.to_hubspot)
    for value in ["Planned", "Web", "x", "y", "z", "Planned"]:
        assert convert(value) == converter.to_hubspot(value)
    assert len(convert.results) == 3


def test_memo_tells_types_apart() -> None:
    """``True == 1`` in Python, but a checkbox and a number convert differently."""
    converter = FieldConverter(Kind.TEXT, Kind.TEXT, VALUE_MAPS[1])
    convert = Memo(converter.to_hubspot)
    assert convert(True) == converter.to_hubspot(True)
    assert convert(1) == converter.to_hubspot(1) != convert(True)


def test_aware_datetime_objects_take_the_full_path() -> None:
    converter = FieldConverter(Kind.DATETIME, Kind.DATETIME)
    stamp = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert hubspot_converter(converter)(stamp) == converter.to_hubspot(stamp)


def test_a_field_converts_each_empty_value_once() -> None:
    """An empty field (``None``) repeats in most records: the memo answers it after once."""
    asked: list[Any] = []

    class Counting(FieldConverter):
        def to_hubspot(self, sf_value: Any) -> str:
            asked.append(sf_value)
            return super().to_hubspot(sf_value)

    for kind in (Kind.TEXT, Kind.MULTI, Kind.NUMBER, Kind.DATETIME):
        convert = hubspot_converter(Counting(kind, kind))
        assert convert(None) == convert(None) == FieldConverter(kind, kind).to_hubspot(None)
    assert asked == [None] * 4


def test_equal_decimals_share_a_memo_entry_with_the_same_text() -> None:
    converter = FieldConverter(Kind.NUMBER, Kind.NUMBER)
    convert = hubspot_converter(converter)
    for text in ["34.0", "34", "3.4E+1", "34.00", "-0.0", "0", "1E-7", "1.50", "1.5"]:
        assert convert(Decimal(text)) == converter.to_hubspot(Decimal(text)), text
