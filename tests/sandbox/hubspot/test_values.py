"""Stored forms of property values: a datetime already in HubSpot's form is kept as is,
and that shortcut gives what the full parse-and-format gives for every instant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_sandbox.hubspot.errors import PropertyValueError
from crm_sandbox.hubspot.models import Property
from crm_sandbox.hubspot.values import format_datetime, normalize, parse_datetime

KICKOFF = Property("kickoff", "Kickoff", "datetime", "date", "project_information")


@settings(max_examples=500)
@given(
    # from year 1000: below it format_datetime writes 3 digits that neither path reads back
    st.datetimes(
        min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    )
)
def test_canonical_datetime_kept_as_the_full_path_writes_it(moment: datetime) -> None:
    written = format_datetime(moment)
    assert normalize(KICKOFF, written, "2-1") == format_datetime(parse_datetime(written))


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("2026-06-24T19:26:49.994Z", "2026-06-24T19:26:49.994Z"),
        (" 2026-06-24T19:26:49.994Z ", "2026-06-24T19:26:49.994Z"),
        ("2026-06-24T19:26:49Z", "2026-06-24T19:26:49.000Z"),
        ("2026-06-24T19:26:49.994+02:00", "2026-06-24T17:26:49.994Z"),
        ("1700000000000", "2023-11-14T22:13:20.000Z"),
    ],
)
def test_datetime_forms(raw: str, stored: str) -> None:
    assert normalize(KICKOFF, raw, "2-1") == stored


def test_an_impossible_instant_in_the_stored_form_is_refused() -> None:
    with pytest.raises(PropertyValueError) as refused:
        normalize(KICKOFF, "2026-13-24T19:26:49.994Z", "2-1")
    assert refused.value.code == "INVALID_DATETIME"
