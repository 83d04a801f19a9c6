"""The selective-sync SOQL condition evaluator."""

from __future__ import annotations

import pytest

from crm_sync.spec import FilterError, compile_filter

RECORD = {
    "Status__c": "Planned",
    "Budget__c": "1500.5",
    "Name": "Apollo",
    "Tags__c": "AI;Web",
    "Start_Date__c": "2024-02-01",
    "Kickoff__c": "2024-02-01T10:00:00.000+0000",
    "Is_Active__c": True,
    "Owner__c": None,
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("Status__c != 'Draft'", True),
        ("status__c = 'planned'", True),  # names and text are case-insensitive
        ("Budget__c > 1000 AND Budget__c <= 1500.5", True),
        ("Budget__c < 1000 OR Name LIKE 'apo%'", True),
        ("Name LIKE 'A_ollo'", True),
        ("NOT Name LIKE 'X%'", True),
        ("Status__c IN ('Planned', 'Done')", True),
        ("Status__c NOT IN ('Planned', 'Done')", False),
        ("Tags__c INCLUDES ('Web;AI')", True),
        ("Tags__c EXCLUDES ('Mobile')", True),
        ("Start_Date__c >= 2024-01-01", True),
        ("Kickoff__c < 2024-02-01T10:00:00Z", False),
        ("Is_Active__c = true", True),
        ("Owner__c = null", True),
        ("Owner__c != 'x'", True),  # SOQL: null != 'x' is true
        ("Owner__c > 5", False),  # ordering with null is false
        ("Missing__c = null", True),
        ("(Status__c = 'Done' OR Status__c = 'Planned') AND NOT Budget__c = 0", True),
    ],
)
def test_conditions(condition, expected):
    assert compile_filter(condition).matches(RECORD) is expected


def test_fields_are_collected():
    flt = compile_filter("A__c = 1 AND (B__c LIKE 'x' OR NOT C__c IN (1, 2))")
    assert flt.fields == {"A__c", "B__c", "C__c"}


@pytest.mark.parametrize("bad", ["Status__c =", "CreatedDate = LAST_N_DAYS:3", "A__c == 1"])
def test_unsupported_syntax_is_reported_with_column(bad):
    with pytest.raises(FilterError) as excinfo:
        compile_filter(bad)
    assert excinfo.value.column is not None
