"""Conversions Salesforce <-> HubSpot per type, both ways, and round trips."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crm_sync.convert import (
    ConversionError,
    FieldConverter,
    Kind,
    ValueMap,
    ValueMapError,
    hs_kind,
    json_schema_kind,
    normalize,
    sf_kind,
)
from crm_sync.convert.codec import HUBSPOT, SALESFORCE, codec_for, iso_datetime
from crm_sync.convert.values import coerce, format_decimal
from crm_sync.reconcile.normalize import canonical
from crm_sync.vocabulary import Side


def conv(sf_type: str, hs_type: str, field_type: str | None = None, **kw) -> FieldConverter:
    return FieldConverter(sf_kind(sf_type), hs_kind(hs_type, field_type), **kw)


@pytest.mark.parametrize(
    ("sf_type", "hs_type", "field_type", "sf_value", "hs_value"),
    [
        ("string", "string", "text", "Apollo", "Apollo"),
        ("textarea", "string", "textarea", "line1\nline2", "line1\nline2"),
        ("email", "string", "text", "a@example.com", "a@example.com"),
        ("phone", "phone_number", "phonenumber", "+1 555 0100", "+1 555 0100"),
        ("url", "string", "text", "https://x.test", "https://x.test"),
        ("boolean", "bool", "booleancheckbox", True, "true"),
        ("boolean", "enumeration", "booleancheckbox", False, "false"),
        ("int", "number", "number", 42, "42"),
        ("double", "number", "number", Decimal("3.25"), "3.25"),
        ("currency", "number", "number", Decimal("1234.5"), "1234.5"),
        ("percent", "number", "number", Decimal("12.75"), "12.75"),
        ("date", "date", "date", "2024-02-29", "2024-02-29"),
        (
            "datetime",
            "datetime",
            "date",
            "2024-01-01T10:11:12.345+0000",
            "2024-01-01T10:11:12.345Z",
        ),
        ("time", "string", "text", "13:45:00.000Z", "13:45:00.000Z"),
        ("picklist", "enumeration", "select", "Planned", "Planned"),
        ("multipicklist", "enumeration", "checkbox", "AI;Web", "AI;Web"),
        ("string", "string", "text", None, ""),
        ("double", "number", "number", None, ""),
        ("datetime", "datetime", "date", None, ""),
        ("multipicklist", "enumeration", "checkbox", None, ""),
    ],
)
def test_each_type_both_ways(sf_type, hs_type, field_type, sf_value, hs_value):
    converter = conv(sf_type, hs_type, field_type)
    assert converter.to_hubspot(sf_value) == hs_value
    assert converter.to_salesforce(hs_value) == sf_value


def test_boolean_blank_from_hubspot_is_false_in_salesforce():
    # Salesforce checkboxes are never null.
    assert conv("boolean", "bool").to_salesforce("") is False
    assert conv("boolean", "bool").to_salesforce(None) is False


def test_hubspot_input_variants_are_read():
    dt = conv("datetime", "datetime")
    assert dt.to_salesforce("2024-01-01T00:00:00Z") == "2024-01-01T00:00:00.000+0000"
    assert dt.to_salesforce("1704067200000") == "2024-01-01T00:00:00.000+0000"
    assert dt.to_salesforce(1704067200123) == "2024-01-01T00:00:00.123+0000"
    assert dt.to_salesforce("2024-01-01T02:00:00+02:00") == "2024-01-01T00:00:00.000+0000"
    assert conv("date", "date").to_salesforce("1704067200000") == "2024-01-01"
    assert conv("int", "number").to_salesforce(7) == 7
    assert conv("boolean", "bool").to_salesforce("TRUE") is True
    assert conv("double", "number").to_salesforce("1e3") == 1000


def test_salesforce_datetime_offsets_become_utc():
    dt = conv("datetime", "datetime")
    assert dt.to_hubspot("2024-01-01T01:00:00.000+0100") == "2024-01-01T00:00:00.000Z"


def test_currency_rounds_to_scale_half_up():
    money = conv("currency", "number", scale=2)
    assert money.to_salesforce("10.005") == Decimal("10.01")
    assert money.to_salesforce("10.004") == 10
    # Singer parses JSON floats as Decimal, so 16 significant digits survive.
    assert money.to_hubspot(Decimal("99999999999999.99")) == "99999999999999.99"
    assert money.to_salesforce("99999999999999.99") == Decimal("99999999999999.99")


def test_cross_kind_conversions():
    assert conv("date", "datetime").to_hubspot("2024-03-01") == "2024-03-01T00:00:00.000Z"
    assert conv("date", "datetime").to_salesforce("2024-03-01T23:00:00Z") == "2024-03-01"
    assert conv("int", "string").to_hubspot(5) == "5"
    assert conv("boolean", "string").to_hubspot(True) == "true"
    assert conv("picklist", "enumeration", "checkbox").to_hubspot("Web") == "Web"
    assert conv("picklist", "string").to_salesforce("Web") == "Web"


def test_value_map_both_ways_and_multi_items():
    values = ValueMap.build({"In Progress": "in_progress", "Done": "done"})
    stage = conv("picklist", "enumeration", "select", values=values)
    assert stage.to_hubspot("In Progress") == "in_progress"
    assert stage.to_salesforce("done") == "Done"
    assert stage.to_hubspot("Unmapped") == "Unmapped"
    tags = conv("multipicklist", "enumeration", "checkbox", values=ValueMap.build({"AI": "ai"}))
    assert tags.to_hubspot("AI;Web") == "ai;Web"
    assert tags.to_salesforce("ai;Web") == "AI;Web"
    # Without type information a multi-picklist reads as text; items are still mapped.
    untyped = FieldConverter(Kind.TEXT, Kind.TEXT, values=ValueMap.build({"AI": "ai"}))
    assert untyped.to_hubspot("AI;Web") == "ai;Web"


def test_value_map_must_be_invertible():
    with pytest.raises(ValueMapError, match="both map to 'x'"):
        ValueMap.build({"A": "x", "B": "x"})


def test_value_map_into_booleans():
    yes_no = conv("picklist", "bool", values=ValueMap.build({"Yes": "true", "No": "false"}))
    assert yes_no.to_hubspot("Yes") == "true"
    assert yes_no.to_salesforce("false") == "No"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (Kind.NUMBER, "abc"),
        (Kind.INT, "1.5"),
        (Kind.DATE, "2024-13-01"),
        (Kind.BOOL, "maybe"),
        # epoch milliseconds beyond year 9999 (or before year 1): an error, not an OverflowError
        (Kind.DATE, 10**18),
        (Kind.DATETIME, "-99999999999999999"),
        (Kind.DATETIME, float("inf")),
    ],
)
def test_bad_values_raise(kind, value):
    with pytest.raises(ConversionError):
        FieldConverter(kind, kind).to_salesforce(value)


def test_out_of_range_epoch_milliseconds_compare_as_numbers():
    """The three-way merge compares such a value as what it is, a number (no crash)."""
    assert canonical(10**18, "date") == canonical(10**18)


def test_normalize_makes_both_wires_comparable():
    assert normalize("1200.50", Kind.NUMBER) == normalize(1200.5, Kind.NUMBER)
    assert normalize("2024-01-01T00:00:00.000+0000", Kind.DATETIME) == normalize(
        "1704067200000", Kind.DATETIME
    )
    assert normalize("b;a", Kind.MULTI) == normalize("a;b;a", Kind.MULTI) == ("a", "b")
    assert normalize("", Kind.TEXT) is None
    assert normalize(None, Kind.TEXT) is None
    assert normalize("true", Kind.BOOL) is True
    assert normalize("2024-01-01", Kind.DATE) == date(2024, 1, 1)


def test_json_schema_kind_inference():
    assert json_schema_kind({"type": ["string", "null"], "format": "date-time"}) is Kind.DATETIME
    assert json_schema_kind({"type": ["null", "integer"]}) is Kind.INT
    assert json_schema_kind({"type": "string", "x-sf-type": "multipicklist"}) is Kind.MULTI
    assert json_schema_kind({"anyOf": [{"type": "number"}, {"type": "null"}]}) is Kind.NUMBER
    assert (
        json_schema_kind({"type": "string", "x-hubspot-type": "enumeration",
                          "x-hubspot-field-type": "checkbox"})
        is Kind.MULTI
    )  # fmt: skip


# --- property-based round trips: sf -> hs -> sf gives back the original -----------

_texts = st.text(min_size=1).filter(lambda s: s.strip() == s and s != "")
_picklist_items = st.text(
    alphabet=st.characters(blacklist_characters=";", blacklist_categories=("Cs", "Zs", "Cc")),
    min_size=1,
    max_size=12,
)
_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))


def _scaled(scale: int, digits: int) -> st.SearchStrategy[Decimal]:
    bound = 10 ** (digits - scale) - 1
    return st.decimals(
        min_value=-bound, max_value=bound, places=scale, allow_nan=False, allow_infinity=False
    ).map(lambda d: d if d != d.to_integral_value() else int(d))


def _round_trip(converter: FieldConverter, value) -> None:
    assert converter.to_salesforce(converter.to_hubspot(value)) == value


@given(_texts)
def test_round_trip_text(value):
    _round_trip(conv("string", "string", "text"), value)


@given(st.booleans())
def test_round_trip_boolean(value):
    _round_trip(conv("boolean", "bool", "booleancheckbox"), value)


@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_round_trip_int(value):
    _round_trip(conv("int", "number"), value)


@given(_scaled(2, 16))
def test_round_trip_currency(value):
    _round_trip(conv("currency", "number", scale=2), value)


@given(_scaled(2, 5))
def test_round_trip_percent(value):
    _round_trip(conv("percent", "number", scale=2), value)


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_round_trip_double(value):
    wire = Decimal(repr(value))  # what a Singer reader makes of the JSON number
    expected = int(wire) if wire == wire.to_integral_value() else wire
    double = conv("double", "number")
    assert double.to_salesforce(double.to_hubspot(wire)) == expected


@given(st.dates(min_value=date(1700, 1, 1), max_value=date(4000, 12, 31)))
def test_round_trip_date(value):
    _round_trip(conv("date", "date"), value.isoformat())


@given(_datetimes)
def test_round_trip_datetime(value):
    wire = value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"
    _round_trip(conv("datetime", "datetime"), wire)


@given(st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000)))
def test_round_trip_time(value: time):
    wire = value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    _round_trip(conv("time", "string"), wire)


@given(_picklist_items)
def test_round_trip_picklist(value):
    mapped = ValueMap.build({value: f"hs_{value}"})
    _round_trip(conv("picklist", "enumeration", "select", values=mapped), value)


@given(st.lists(_picklist_items, min_size=1, max_size=5, unique=True))
def test_round_trip_multipicklist(items):
    mapped = ValueMap.build({item: f"hs_{item}" for item in items[:2]})
    _round_trip(conv("multipicklist", "enumeration", "checkbox", values=mapped), ";".join(items))


def _iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def test_eight_digit_epoch_milliseconds_that_are_no_date():
    assert normalize("10800000", Kind.DATETIME) == normalize(
        "1970-01-01T03:00:00.000+0000", Kind.DATETIME
    )


@given(_datetimes)
def test_normalize_agrees_across_wires(value):
    sf_wire = value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"
    hs_ms = str((value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1))
    # Eight digits that also spell an ISO date (YYYYMMDD) are read as that date: ambiguous.
    assume(not (len(hs_ms) == 8 and _iso_date(hs_ms)))
    assert normalize(sf_wire, Kind.DATETIME) == normalize(hs_ms, Kind.DATETIME)


def test_decimal_is_exact():
    assert normalize("0.1", Kind.NUMBER) == Decimal("0.1")


# --- the codecs: each side's wire value <-> Python value, and back ------------------

_CODECS = pytest.mark.parametrize("codec", [SALESFORCE, HUBSPOT], ids=["salesforce", "hubspot"])
_canonical_values = st.one_of(
    st.tuples(st.just(Kind.BOOL), st.booleans()),
    st.tuples(st.just(Kind.INT), st.integers(min_value=-(2**53), max_value=2**53)),
    st.tuples(
        st.just(Kind.NUMBER),
        st.decimals(allow_nan=False, allow_infinity=False, places=4, max_value=10**12),
    ),
    st.tuples(st.just(Kind.DATE), st.dates(min_value=date(1700, 1, 1))),
    st.tuples(st.just(Kind.DATETIME), _datetimes),
    st.tuples(
        st.just(Kind.TIME),
        st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000)),
    ),
    st.tuples(st.just(Kind.MULTI), st.lists(_picklist_items, min_size=1, max_size=4).map(tuple)),
    st.tuples(st.just(Kind.TEXT), _texts),
)


@_CODECS
@given(_canonical_values)
def test_codec_round_trip(codec, kind_value):
    kind, value = kind_value
    wire = codec.encode(value, kind)
    assert codec.decode(wire, kind) == value, wire


@_CODECS
@given(_datetimes)
def test_codec_datetimes_round_trip_and_read_the_other_side(codec, value):
    wire = codec.format_datetime(value)
    assert codec.decode_datetime(wire) == value
    other = HUBSPOT if codec is SALESFORCE else SALESFORCE
    assert other.decode_datetime(wire) == value  # either side's form reads the same instant
    assert iso_datetime(value) == value.isoformat(timespec="milliseconds")


def test_codec_wire_forms():
    stamp = datetime(2024, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    assert SALESFORCE.format_datetime(stamp) == "2024-01-02T03:04:05.678+0000"
    assert HUBSPOT.format_datetime(stamp) == "2024-01-02T03:04:05.678Z"
    assert HUBSPOT.decode_datetime("1704164645678") == stamp  # epoch milliseconds
    assert HUBSPOT.decode_datetime("not a time") is None
    assert SALESFORCE.encode(None, Kind.BOOL) is False  # Salesforce booleans are never null
    assert HUBSPOT.encode(None, Kind.TEXT) == ""  # "" clears a HubSpot property
    assert HUBSPOT.encode_any(Decimal("12.500")) == "12.5"
    assert SALESFORCE.encode_any(Decimal("12.500")) == 12.5
    assert HUBSPOT.encode_any(["a", "b"]) == SALESFORCE.encode_any(("a", "b")) == "a;b"
    assert HUBSPOT.encode_any(None) == "" and SALESFORCE.encode_any(None) is None
    assert codec_for(Side.HUBSPOT) is HUBSPOT and codec_for(Side.SALESFORCE) is SALESFORCE


@given(
    st.sampled_from([Kind.TEXT, Kind.ENUM, Kind.REFERENCE, Kind.UNSUPPORTED]),
    st.sampled_from([Kind.TEXT, Kind.ENUM, Kind.REFERENCE]),
    st.text(),
)
def test_plain_text_shortcut_gives_what_the_full_conversion_gives(sf, hs, value):
    fast = FieldConverter(sf, hs)
    assert fast.plain_text
    assert fast.to_hubspot(value) == _fully_converted(value, sf, hs)


def _fully_converted(value: object, sf: Kind, hs: Kind) -> str:
    """What ``to_hubspot`` gives without its shortcuts: decode, coerce, encode."""
    return str(HUBSPOT.encode(coerce(SALESFORCE.decode(value, sf), hs), hs))


def test_plain_text_shortcut_only_between_text_kinds_without_a_value_map():
    assert not FieldConverter(Kind.TEXT, Kind.MULTI).plain_text
    assert not FieldConverter(Kind.NUMBER, Kind.TEXT).plain_text
    assert not FieldConverter(Kind.TEXT, Kind.TEXT, ValueMap({"a": "b"})).plain_text


@given(
    st.one_of(
        st.tuples(st.just(Kind.DATETIME), _datetimes.map(lambda d: d.isoformat())),
        st.tuples(st.just(Kind.DATETIME), st.integers(min_value=0, max_value=2**41)),
        st.tuples(st.just(Kind.DATE), st.dates().map(date.isoformat)),
        st.tuples(st.just(Kind.NUMBER), st.decimals(-(10**12), 10**12, places=6)),
        st.tuples(st.just(Kind.NUMBER), st.floats(-1e12, 1e12)),
        st.tuples(st.just(Kind.INT), st.integers()),
        st.tuples(st.just(Kind.BOOL), st.sampled_from([True, False, None, "", "true", "0"])),
    )
)
def test_same_kind_shortcut_gives_what_the_full_conversion_gives(case):
    kind, value = case
    fast = FieldConverter(kind, kind)
    assert fast.same_kind
    assert fast.to_hubspot(value) == _fully_converted(value, kind, kind)


def test_same_kind_shortcut_only_for_one_typed_kind_without_a_value_map():
    assert not FieldConverter(Kind.DATETIME, Kind.DATE).same_kind
    assert not FieldConverter(Kind.TEXT, Kind.TEXT).same_kind
    assert not FieldConverter(Kind.TIME, Kind.TIME).same_kind
    assert not FieldConverter(Kind.BOOL, Kind.BOOL, ValueMap({"true": "yes"})).same_kind


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_datetimes_are_written_with_a_four_digit_year_both_ways(moment: datetime) -> None:
    """Both APIs read ``YYYY``: year 999 is ``0999-...``, never glibc's ``999-...``."""
    from crm_sync.convert.values import format_datetime_hs, format_datetime_sf

    stamp = moment.replace(tzinfo=UTC, microsecond=moment.microsecond // 1000 * 1000)
    for text in (format_datetime_hs(stamp), format_datetime_sf(stamp)):
        assert text[:4] == f"{stamp.year:04d}" and text[4] == "-"
        assert datetime.fromisoformat(text.replace("+0000", "+00:00")) == stamp


DECIMAL_TEXTS = st.from_regex(r"-?[0-9]{1,30}([.][0-9]{0,30})?(E[-+]?[0-9]{1,3})?", fullmatch=True)


@given(st.decimals(allow_nan=True, allow_infinity=True) | DECIMAL_TEXTS.map(Decimal))
def test_format_decimal_is_plain_notation_without_trailing_zeros(number: Decimal) -> None:
    """``format_decimal`` starts from ``str`` (faster) where ``str`` writes plain notation:
    the same text as from ``format(number, "f")``, trailing zeros and a lone ``-0`` cut."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    assert format_decimal(number) == ("0" if text in {"-0", ""} else text)
