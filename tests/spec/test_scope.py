"""A mapping's scope on one leg, and when a new spec admits more than the recorded one
(issue 12, item 5): the pure part of the backfill decision."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import yaml

from crm_sync.backfill import SCOPES, MappingScopes, backfill_if_widened
from crm_sync.spec import Mapping, load_text
from crm_sync.spec.scope import scope_of, widening
from crm_sync.vocabulary import Direction

FORWARD, REVERSE = Direction.SF_TO_HS, Direction.HS_TO_SF

BASE: dict[str, Any] = {
    "name": "project",
    "enabled": True,
    "salesforce": {"object": "Project__c", "id_field": "HubSpot_Id__c"},
    "hubspot": {"object": "project", "id_property": "salesforce_id"},
    "create": {"to_hubspot": True, "to_salesforce": False},
    "filter": "Status__c != 'Draft'",
    "fields": [
        {"salesforce": "Name", "hubspot": "project_name", "rule": "two_way"},
        {"salesforce": "Priority__c", "hubspot": "priority", "rule": "always_salesforce"},
    ],
    "associations": [{"lookup": "Account__c", "to": "account", "label": "Project's company"}],
}
BUDGET = {"salesforce": "Budget__c", "hubspot": "budget", "rule": "prefer_salesforce"}


def mapping(**changes: Any) -> Mapping:
    data = {k: v for k, v in {**BASE, **changes}.items() if v is not None}  # None: no key
    if "hubspot_filter" in data:
        data["hubspot"] = {**data["hubspot"], "filter": data.pop("hubspot_filter")}
    loaded, issues = load_text(yaml.safe_dump(data), "project.yml")
    assert loaded is not None, issues
    return loaded


def reasons(old: Mapping, new: Mapping, direction: Direction = FORWARD) -> list[str]:
    return widening(scope_of(old, direction), scope_of(new, direction))


def test_scope_holds_what_decides_records_and_fields_per_leg() -> None:
    forward = scope_of(mapping(hubspot_filter="budget >= 10"), FORWARD)
    assert forward == {
        "enabled": True,
        "object": "Project__c",
        "create": True,
        "filter": "Status__c != 'Draft'",
        "hubspot_filter": None,  # decides only what the reverse leg sends
        "fields": ["Name>project_name", "Priority__c>priority"],
        "associations": ["Account__c>account:Project's company"],
    }
    reverse = scope_of(mapping(hubspot_filter="budget >= 10"), REVERSE)
    assert reverse["object"] == "project" and reverse["create"] is False
    assert reverse["fields"] == ["project_name>Name"]  # always_salesforce: not on this leg
    assert reverse["hubspot_filter"] == "budget >= 10"


def test_the_same_spec_admits_nothing_more() -> None:
    assert reasons(mapping(), mapping()) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"enabled": False}, {}, ["re-enabled"]),
        ({}, {"enabled": False}, []),  # disabling carries less
        (
            {},
            {
                "fields": [
                    *BASE["fields"],
                    {"salesforce": "Budget__c", "hubspot": "budget", "rule": "prefer_salesforce"},
                ]
            },
            ["field Budget__c added"],
        ),
        ({}, {"fields": BASE["fields"][:1]}, []),  # a field removed
        (
            {},
            {
                "fields": [
                    {"salesforce": "Name", "hubspot": "title", "rule": "two_way"},
                    BASE["fields"][1],
                ]
            },
            ["field Name>title added"],  # a new destination property to fill
        ),
        ({}, {"filter": "Status__c != 'Done'"}, ["filter changed"]),
        ({}, {"filter": None}, ["filter removed"]),
        ({"filter": None}, {}, []),  # a filter where there was none only narrows
        ({"associations": []}, {}, ["association Account__c added"]),
        ({}, {"associations": []}, []),
        ({"create": {"to_hubspot": False}}, {}, ["create turned on"]),
        ({}, {"conflict": "hubspot", "tie": "hubspot"}, []),  # decides values, not scope
    ],
)
def test_widening_on_the_forward_leg(
    old: dict[str, Any], new: dict[str, Any], expected: list[str]
) -> None:
    assert reasons(mapping(**old), mapping(**new)) == expected


def test_a_rule_that_now_writes_on_this_leg_widens_only_that_leg() -> None:
    two_way = [BASE["fields"][0], {**BASE["fields"][1], "rule": "two_way"}]
    old, new = mapping(), mapping(fields=two_way)
    assert reasons(old, new, FORWARD) == []
    assert reasons(old, new, REVERSE) == ["field priority added"]


def test_hubspot_filter_widens_the_reverse_leg_only() -> None:
    old, new = mapping(hubspot_filter="budget >= 1000"), mapping(hubspot_filter="budget >= 10")
    assert reasons(old, new, REVERSE) == ["hubspot.filter changed"]
    assert reasons(old, new, FORWARD) == []


def test_new_mapping_and_several_reasons() -> None:
    assert widening(None, scope_of(mapping(), FORWARD)) == ["new mapping"]
    assert widening(None, scope_of(mapping(enabled=False), FORWARD)) == []
    both = reasons(mapping(), mapping(filter=None, fields=[*BASE["fields"], BUDGET]))
    assert both == ["filter removed", "field Budget__c added"]


# ------------------------------------------------------------ the stream state side


def scopes(**changes: Any) -> MappingScopes:
    return MappingScopes([mapping(**changes)], FORWARD)


def test_first_record_of_scopes_is_the_baseline() -> None:
    """State from before scopes were kept: record them, re-read nothing."""
    state: dict[str, Any] = {"replication_key_value": "2026-11-01T00:00:00.000Z"}
    assert scopes().compare("Project__c", state) == []
    assert state[SCOPES] == {"project": scope_of(mapping(), FORWARD)}
    assert state["replication_key_value"] == "2026-11-01T00:00:00.000Z"


def test_widened_stream_forgets_its_bookmark_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    state: dict[str, Any] = {
        "replication_key": "SystemModstamp",
        "replication_key_value": "2026-11-01T00:00:00.000Z",
        "boundary_ids": ["a0B1"],
        "starting_replication_value": "2026-11-01T00:00:00.000Z",
    }
    scopes(enabled=False).compare("Project__c", state)
    with caplog.at_level(logging.INFO):
        assert backfill_if_widened(scopes(), "Project__c", state, logging.getLogger("t"))
    assert state == {SCOPES: {"project": scope_of(mapping(), FORWARD)}}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "mapping project: spec widened (re-enabled) — backfilling Project__c from the start"
    ]


def test_unchanged_or_other_streams_keep_their_bookmark() -> None:
    bookmark = {"replication_key_value": "2026-11-01T00:00:00.000Z"}
    project_state: dict[str, Any] = dict(bookmark)
    account_state: dict[str, Any] = dict(bookmark)
    scopes().compare("Project__c", project_state)
    scopes().compare("Account", account_state)
    assert account_state[SCOPES] == {}  # no mapping reads Account here
    log = logging.getLogger("t")
    widened = scopes(filter=None)
    assert not backfill_if_widened(widened, "Account", account_state, log)
    assert account_state["replication_key_value"] == bookmark["replication_key_value"]
    assert not backfill_if_widened(scopes(), "Project__c", dict(project_state), log)
    assert backfill_if_widened(widened, "project__C", project_state, log)  # any case


def test_a_stream_without_bookmark_is_read_from_the_start_anyway() -> None:
    state: dict[str, Any] = {SCOPES: {"project": scope_of(mapping(enabled=False), FORWARD)}}
    assert scopes().compare("Project__c", state) == []


def test_no_mappings_dir_no_backfill() -> None:
    state = {"replication_key_value": "2026-11-01T00:00:00.000Z"}
    assert not backfill_if_widened(None, "Project__c", state, logging.getLogger("t"))
    assert SCOPES not in state
    assert MappingScopes.of_leg(None, FORWARD) is None
