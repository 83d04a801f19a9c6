"""A polymorphic lookup (Task.WhatId: Account or Project__c ...) through map-crm.

Several association rules on one lookup: forward, the rule whose mapping's Salesforce
object owns the referenced id (its key prefix) makes the association; reverse, the
first rule whose HubSpot object the record is associated with sets the lookup. A lone
rule (Task.WhoId -> contact) still checks the prefix: a Lead id makes no association and
a ``lookup_unmapped`` warning.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from map_crm.mapper import MapCrm

from tests.transforms.messages import salesforce_schema
from tests.transforms.test_map_crm import ACCOUNT, MAPPINGS, run

TASK = """\
name: task
salesforce: {object: Task, id_field: HubSpot_Id__c}
hubspot: {object: tasks, id_property: salesforce_id}
create: {to_hubspot: true, to_salesforce: true}
fields:
  - {salesforce: Subject, hubspot: hs_task_subject, rule: two_way}
associations:
  - {lookup: WhoId, to: contact, type_id: 204, category: HUBSPOT_DEFINED}
  - {lookup: WhatId, to: account, type_id: 192}
  - {lookup: WhatId, to: project}
"""
ACCOUNT_ID, PROJECT_ID = "001000000000001AAA", "a0X000000000001AAA"
OPPORTUNITY_ID = "006000000000001AAA"
CONTACT_ID, LEAD_ID = "003000000000001AAA", "00Q000000000001AAA"


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    (tmp_path / "account.yml").write_text(ACCOUNT)
    shutil.copy(MAPPINGS / "project.yml", tmp_path / "project.yml")
    shutil.copy(MAPPINGS / "contact.yml", tmp_path / "contact.yml")
    (tmp_path / "task.yml").write_text(TASK)
    # Only Project__c's prefix comes from its describe; Account's is a standard prefix.
    live = {"salesforce": {"Project__c": {"keyPrefix": "a0X", "fields": []}}, "hubspot": {}}
    (tmp_path / "live.json").write_text(json.dumps(live))
    return tmp_path


def mapper(specs: Path, direction: str) -> MapCrm:
    return MapCrm(
        config={
            "mappings_dir": str(specs),
            "direction": direction,
            "live_schemas": str(specs / "live.json"),
            "validate_live": False,
        }
    )


def forward_record(specs: Path, lookups: dict[str, str | None]) -> dict[str, Any]:
    """map-crm's sf_to_hs record of one Task carrying ``lookups`` (WhatId, WhoId)."""
    schema = salesforce_schema(
        "Task", ("Id", "Subject", *lookups, "HubSpot_Id__c", "SystemModstamp")
    )
    record = {
        "type": "RECORD",
        "stream": "Task",
        "record": {
            "Id": "00T000000000001AAA",
            "Subject": "Call",
            **lookups,
            "SystemModstamp": "2024-03-01T09:30:00.000+0000",
        },
    }
    _, out = run(mapper(specs, "sf_to_hs"), schema, record)
    assert out["stream"] == "tasks"
    return dict(out["record"])


def forward(specs: Path, what_id: str | None) -> list[dict[str, Any]]:
    return list(forward_record(specs, {"WhatId": what_id})["_crm_associations"])


@pytest.mark.parametrize(
    ("what_id", "to_mapping", "source_id"),
    [
        (ACCOUNT_ID, "account", ACCOUNT_ID),
        (PROJECT_ID, "project", PROJECT_ID),
        (OPPORTUNITY_ID, "account", None),  # no mapping maps Opportunity: no association
        (None, "account", None),  # cleared
    ],
)
def test_forward_picks_the_rule_by_the_ids_key_prefix(
    specs: Path, what_id: str | None, to_mapping: str, source_id: str | None
) -> None:
    [ref] = forward(specs, what_id)
    assert (ref["lookup"], ref["to_mapping"], ref["source_id"]) == ("WhatId", to_mapping, source_id)
    assert ref["type_id"] == (192 if to_mapping == "account" else None)


@pytest.mark.parametrize(
    ("who_id", "source_id"),
    [(CONTACT_ID, CONTACT_ID), (LEAD_ID, None), (None, None)],
)
def test_a_lone_rule_still_checks_the_ids_object(
    specs: Path, who_id: str | None, source_id: str | None
) -> None:
    """WhoId -> contact: a Contact id associates; a Lead id (no lead mapping) makes none
    and a warning naming the record's WhoId; a blank WhoId clears quietly."""
    out = forward_record(specs, {"WhoId": who_id})
    [ref] = out["_crm_associations"]
    assert (ref["lookup"], ref["to_mapping"], ref["source_id"]) == ("WhoId", "contact", source_id)
    assert (ref["type_id"], ref["category"]) == (204, "HUBSPOT_DEFINED")
    warnings = out.get("_crm_warnings") or []
    if who_id == LEAD_ID:
        [warning] = warnings
        assert (warning["field"], warning["code"]) == ("WhoId", "lookup_unmapped")
        assert f"WhoId {LEAD_ID} (Lead): no rule of WhoId maps Lead" in warning["message"]
        assert "WhoId -> Contact" in warning["message"]
    else:
        assert warnings == []


def test_an_unmapped_what_warns_too(specs: Path) -> None:
    """WhatId naming an Opportunity (no rule maps it): no association, one warning."""
    out = forward_record(specs, {"WhatId": OPPORTUNITY_ID})
    [warning] = out["_crm_warnings"]
    assert warning["code"] == "lookup_unmapped"
    assert warning["message"].startswith(f"WhatId {OPPORTUNITY_ID} (Opportunity): ")
    assert "(WhatId -> Account, Project__c)" in warning["message"]


def reverse(specs: Path, associations: dict[str, Any]) -> list[dict[str, Any]]:
    schema = {
        "type": "SCHEMA",
        "stream": "tasks",
        "key_properties": ["id"],
        "schema": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "properties": {
                    "type": "object",
                    "properties": {
                        "hs_task_subject": {"type": ["string", "null"]},
                        "salesforce_id": {"type": ["string", "null"]},
                        "hs_lastmodifieddate": {"type": ["string", "null"]},
                    },
                },
                "associations": {"type": ["object", "null"]},
            },
        },
    }
    record = {
        "type": "RECORD",
        "stream": "tasks",
        "record": {
            "id": "5001",
            "properties": {
                "hs_task_subject": "Call",
                "hs_lastmodifieddate": "2024-05-01T10:00:00Z",
            },
            "associations": associations,
        },
    }
    _, out = run(mapper(specs, "hs_to_sf"), schema, record)
    assert out["stream"] == "Task"
    return list(out["record"]["_crm_associations"])


@pytest.mark.parametrize(
    ("associations", "expected"),
    [
        ({"companies": {"results": [{"id": "77"}]}}, [("WhatId", "account", "77")]),
        (
            {"companies": {"results": []}, "project": {"results": [{"id": "901"}]}},
            [("WhatId", "project", "901")],
        ),
        (
            {"companies": {"results": []}, "project": {"results": []}},
            [("WhatId", "account", None)],
        ),
        # companies and project not read: WhatId is left alone
        ({"contacts": {"results": [{"id": "5"}]}}, [("WhoId", "contact", "5")]),
        ({"deals": {"results": [{"id": "6"}]}}, []),  # nothing mapped read: all left alone
    ],
)
def test_reverse_sets_the_lookup_from_the_associated_object(
    specs: Path, associations: dict[str, Any], expected: list[tuple[str, str, str | None]]
) -> None:
    refs = reverse(specs, associations)
    assert [(r["lookup"], r["to_mapping"], r["source_id"]) for r in refs] == expected
