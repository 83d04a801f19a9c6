"""Value normalisation: each side's serialisation of one value compares equal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_sync.reconcile import BLANK, canonical, is_blank, same_value
from crm_sync.reconcile.normalize import plainly_same


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("10", 10.0),
        ("10", 10),
        ("10.50", Decimal("10.5")),
        ("-3e2", -300),
        (0, "-0"),
        ("true", True),
        ("FALSE", False),
        ("2024-01-01T10:00:00.000+0000", "2024-01-01T10:00:00Z"),
        ("2024-01-01T10:00:00.000+0000", "2024-01-01T15:30:00+05:30"),
        ("2024-01-01T10:00:00.123456Z", "2024-01-01T10:00:00.123Z"),
        ("2024-01-01T10:00:00Z", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T00:00:00Z", "2024-01-01"),
        (date(2024, 1, 1), "2024-01-01"),
        (["b", "a"], ("a", "b")),
        ({"x": "1", "y": True}, {"y": "true", "x": 1}),
        (None, ""),
        ([], None),
    ],
)
def test_equal_across_serialisations(a, b):
    assert same_value(a, b)
    assert hash(canonical(a)) == hash(canonical(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("007", "7"),  # leading zeros: text (zip codes, phone numbers)
        ("+1", "1"),
        ("a", "A"),  # text keeps case
        ("x ", "x"),
        ("10", "10.01"),
        (True, 1),
        ("true", "yes"),
        ("2024-01-01T10:00:00Z", "2024-01-01T10:00:01Z"),
        ("2024-01-01", "2024-01-02"),
        (["a"], ["a", "b"]),
        ("", "0"),
        (None, False),
        ("a;b", "b;a"),  # without a kind a ';' string is plain text
    ],
)
def test_different_values_stay_different(a, b):
    assert not same_value(a, b)


def test_blank():
    assert is_blank(None)
    assert is_blank("")
    assert is_blank([])
    assert canonical(None) is BLANK
    assert not is_blank(" ")
    assert not is_blank(0)
    assert not is_blank(False)


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("a;b", "b;a", "multi"),
        ("1704067200000", "2024-01-01T00:00:00.000+0000", "datetime"),
        ("12.50", 12.5, "number"),
        ("true", True, "bool"),
    ],
)
def test_kind_hint_uses_the_converter(a, b, kind):
    assert same_value(a, b, kind)


def test_kind_text_keeps_values_verbatim():
    assert not same_value("10", "10.0", "text")
    assert is_blank("", "text")


_tz = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


_moments = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(_moments, _tz)
def test_datetime_any_offset_or_format(moment, zone):
    local = moment.astimezone(zone)
    assert same_value(moment, local.isoformat())
    assert same_value(moment.isoformat(), local.strftime("%Y-%m-%dT%H:%M:%S.%f%z"))


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4))
def test_numbers_any_format(number):
    assert same_value(number, str(number))
    assert same_value(number, format(number, "f"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


@given(json_values, json_values, json_values)
def test_equality_is_an_equivalence(a, b, c):
    assert same_value(a, a)
    assert same_value(a, b) == same_value(b, a)
    if same_value(a, b) and same_value(b, c):
        assert same_value(a, c)


BLANK_KINDS = st.sampled_from(
    [None, "text", "bool", "int", "number", "date", "datetime", "time", "enum", "multi",
     "reference", "unsupported"]
)  # fmt: skip


@given(
    st.one_of(
        st.none(),
        st.text(alphabet=" \t\n\u00a0\u2003;ab1-:.T"),
        st.integers(-(10**12), 10**12),  # epoch ms within datetime's range
        st.floats(-1e12, 1e12),
        st.decimals(-(10**12), 10**12),
        st.booleans(),
        st.lists(st.text(alphabet=" ;a"), max_size=3),
    ),
    BLANK_KINDS,
)
def test_is_blank_agrees_with_canonical(value, kind):
    assert is_blank(value, kind) == (canonical(value, kind) is BLANK)


plain_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(alphabet=" 0123456789-+.:eETZtrufals;ab", max_size=12),
    st.dates(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))])),
    st.datetimes(),
)


@settings(max_examples=1000)  # 100 missed an int whose digits read as a date
@given(plain_values, st.data(), BLANK_KINDS)
def test_plainly_same_is_a_shortcut_of_canonical(value, data, kind):
    """The reconcile hot path skips canonicalising when ``plainly_same`` says yes: it
    must never say yes where the canonical forms differ (the base is JSON text)."""
    if isinstance(value, datetime):
        text = value.isoformat(timespec="milliseconds")
    else:
        text = value.isoformat() if isinstance(value, date) else str(value)
    other = data.draw(st.sampled_from([value, text, data.draw(plain_values)]))
    if plainly_same(value, other):
        assert canonical(value, kind) == canonical(other, kind)
    assert plainly_same(value, value) == (type(value) in (str, int, float, bool, type(None)))
