"""A Salesforce date <-> HubSpot datetime field compares as a date (a task's due date).

The forward leg's stream annotates ``hs_timestamp`` with ``x-crm-compare: date``: the
midnight a Salesforce ``ActivityDate`` gives back equals the base's 15:30 of the same day,
so a HubSpot-born task's time of day is not overwritten; another day is a change.
"""

from __future__ import annotations

from crm_sync.convert.kinds import Kind, compared_kind
from crm_sync.reconcile import Action, LedgerState, SourceRecord, plan_record
from crm_sync.sync.annotations import COMPARE_KEY, KIND_KEY, read_stream_mapping
from crm_sync.vocabulary import Direction

SCHEMA = {
    "properties": {
        "hs_timestamp": {
            "type": ["string", "null"],
            "x-crm-rule": "two_way",
            "x-crm-source": "ActivityDate",
            KIND_KEY: "datetime",
            COMPARE_KEY: "date",
        },
        "salesforce_id": {"type": ["string", "null"]},
        "_crm_source_id": {"type": ["string"]},
    },
    "x-crm-mapping": {
        "name": "task",
        "direction": "sf_to_hs",
        "salesforce": {"object": "Task", "id_field": "HubSpot_Id__c"},
        "hubspot": {"object": "tasks", "id_property": "salesforce_id"},
    },
}
BASE = {
    "salesforce": {"ActivityDate": "2026-12-01"},
    "hubspot": {"hs_timestamp": "2026-12-01T15:30:00.000Z"},
}


def test_only_a_date_and_a_datetime_compare_in_the_coarser_kind() -> None:
    assert compared_kind(Kind.DATE, Kind.DATETIME) is Kind.DATE
    assert compared_kind(Kind.DATETIME, Kind.DATE) is Kind.DATE
    assert compared_kind(Kind.DATETIME, Kind.DATETIME) is None
    assert compared_kind(Kind.DATE, Kind.TEXT) is None


def plan(due: str) -> Action:
    mapping = read_stream_mapping("tasks", SCHEMA)
    assert mapping is not None
    [policy_field] = mapping.policy.fields
    assert policy_field.kind == "date"
    record = SourceRecord("00T1", {"hs_timestamp": due})
    state = LedgerState(destination_id="9001", base=BASE)
    return plan_record(mapping.policy, Direction.SF_TO_HS, record, state).action


def test_the_midnight_of_the_same_day_is_no_change() -> None:
    assert plan("2026-12-01T00:00:00.000Z") is Action.UNCHANGED


def test_another_day_is_a_change() -> None:
    assert plan("2026-12-02T00:00:00.000Z") is Action.UPDATE
