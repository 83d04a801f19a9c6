"""Stored forms of property values: a datetime already in HubSpot's form is kept as is,
that shortcut gives what the full parse-and-format gives for every instant, and every
instant of years 1-9999 is written with a four-digit year that reads back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_sandbox.hubspot.errors import PropertyValueError
from crm_sandbox.hubspot.keys import key_of
from crm_sandbox.hubspot.models import Property
from crm_sandbox.hubspot.search_eval import filter_key, sql_value
from crm_sandbox.hubspot.values import (
    NUMBER_MAX_EXPONENT,
    format_datetime,
    format_number,
    normalize,
    parse_datetime,
)

KICKOFF = Property("kickoff", "Kickoff", "datetime", "date", "project_information")


@settings(max_examples=500)
@given(
    st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    )
)
def test_canonical_datetime_kept_as_the_full_path_writes_it(moment: datetime) -> None:
    written = format_datetime(moment)
    assert normalize(KICKOFF, written, "2-1") == format_datetime(parse_datetime(written))


YEARS = st.integers(min_value=1, max_value=9999)


@settings(max_examples=500)
@given(
    YEARS.flatmap(
        lambda year: st.datetimes(
            min_value=datetime(year, 1, 1),
            max_value=datetime(year, 12, 31, 23, 59, 59, 999999),
            timezones=st.just(UTC),
        )
    )
)
def test_every_year_round_trips_with_four_digits(moment: datetime) -> None:
    """Years before 1000 too: ``0999-...`` (glibc's ``%Y`` wrote ``999-...``, unreadable)."""
    written = format_datetime(moment)
    assert written[4] == "-" and written[:4] == f"{moment.year:04d}"
    assert parse_datetime(written) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert normalize(KICKOFF, written, "2-1") == written


def test_every_year_1_to_9999_round_trips() -> None:
    for year in range(1, 10000):
        moment = datetime(year, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
        assert format_datetime(moment) == f"{year:04d}-12-31T23:59:59.999Z"
        assert parse_datetime(format_datetime(moment)) == moment


@pytest.mark.parametrize(
    "raw",
    [
        "2026-13-24T19:26:49.994Z",
        "0000-01-01T00:00:00.000Z",
        "0001-01-01T00:00:00.000+02:00",  # before year 1 once in UTC
        "999999999999999999",  # epoch milliseconds past year 9999
    ],
)
def test_an_impossible_instant_is_refused(raw: str) -> None:
    with pytest.raises(PropertyValueError) as refused:
        normalize(KICKOFF, raw, "2-1")
    assert refused.value.code == "INVALID_DATETIME"


BUDGET = Property("budget", "Budget", "number", "number", "project_information")
_NUMBER_TEXT = st.one_of(
    st.from_regex(r"-?(0|[1-9][0-9]{0,16})(\.[0-9]{0,15})?", fullmatch=True),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


@settings(max_examples=2000)
@given(_NUMBER_TEXT)
def test_number_already_in_stored_form_kept_as_the_decimal_path_writes_it(text: str) -> None:
    """A number text taken as it is (its stored form: no leading or trailing zero, at
    most 27 digits) is what the Decimal parse and format give; other texts take that
    path themselves."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return
    if not number.is_finite() or abs(number.adjusted()) > NUMBER_MAX_EXPONENT:
        return
    assert normalize(BUDGET, text, "2-1") == format_number(number)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("1e+28", "10000000000000000000000000000"),
        ("12345678901234567890123456789.5", "12345678901234567890123456789.5"),
        ("0.100000000000000000000000000001", "0.100000000000000000000000000001"),
        ("-2.50E+30", "-2500000000000000000000000000000"),
        ("1E-40", "0." + "0" * 39 + "1"),
    ],
)
def test_a_number_past_28_digits_keeps_every_digit(raw: str, stored: str) -> None:
    """Decimal's default context holds 28 digits: a longer number was rounded, and an
    integer past it (1e+28) raised out of the handler (a 500)."""
    assert normalize(BUDGET, raw, "2-1") == stored


@pytest.mark.parametrize("raw", ["1e309", "-1e400", "1e-400"])
def test_a_number_past_a_doubles_range_is_refused(raw: str) -> None:
    with pytest.raises(PropertyValueError, match="was not a valid number"):
        normalize(BUDGET, raw, "2-1")


@settings(max_examples=500)
@given(st.text(), st.sampled_from(["string", "enumeration", "bool", "phone_number"]))
def test_text_search_key_is_the_filter_key(value: str, kind: str) -> None:
    """Keys of text-like properties skip the key cache: the same key filter_key gives."""
    prop = Property("p", "P", kind, "text", "g")
    assert key_of(prop, value) == sql_value(filter_key(kind, value))
