"""Date and datetime fields take Salesforce's stored range (1700-01-01 to 4000-12-31):
outside it a write is refused per record, inside it every year reads back as written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox.core.process import RunningSandbox
from crm_sandbox.salesforce.values import format_datetime, parse_datetime
from tests.sandbox.salesforce.test_query_api import client


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Start_Date__c", "1699-12-31"),
        ("Start_Date__c", "4001-01-01"),
        ("Kickoff__c", "1699-12-31T23:59:59.999Z"),
        ("Kickoff__c", "4000-12-31T00:00:00.001Z"),
        ("Kickoff__c", "0999-06-01T00:00:00.000Z"),
    ],
)
def test_a_value_outside_the_stored_range_is_refused(
    sandbox: RunningSandbox, field: str, value: str
) -> None:
    sf = client(sandbox.env)
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Project__c.create({"Name": "out of range", field: value})
    [error] = refused.value.content
    assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert error["fields"] == [field]
    assert value in error["message"]


def test_the_range_ends_are_stored_and_read_back(sandbox: RunningSandbox) -> None:
    sf = client(sandbox.env)
    for day, moment in (
        ("1700-01-01", "1700-01-01T00:00:00.000+0000"),
        ("4000-12-31", "4000-12-31T00:00:00.000+0000"),
    ):
        made = sf.Project__c.create({"Name": day, "Start_Date__c": day, "Kickoff__c": moment})
        row = sf.Project__c.get(made["id"])
        assert (row["Start_Date__c"], row["Kickoff__c"]) == (day, moment)


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_the_stored_form_has_a_four_digit_year_and_parses_back(moment: datetime) -> None:
    stamp = moment.replace(tzinfo=UTC, microsecond=moment.microsecond // 1000 * 1000)
    text = format_datetime(stamp)
    assert text[:5] == f"{stamp.year:04d}-"
    assert parse_datetime(text) == stamp
