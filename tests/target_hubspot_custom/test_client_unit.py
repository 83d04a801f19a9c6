"""Unit tests of the HubSpot calls, schema check and writer against requests-mock."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests_mock
from target_hubspot_custom.schema import DestinationSchemaError, ensure_object
from target_hubspot_custom.writer import HubSpotDestination, wire_value

from crm_sync.http import CallCounter, ResilientSession, RetryPolicy, WindowLimiter
from crm_sync.hubspot import HubSpotClient, HubSpotSettings
from crm_sync.hubspot.properties import hubspot_property
from crm_sync.reconcile import Action, RecordPlan
from crm_sync.vocabulary import Direction

BASE = "https://hs.test"


@pytest.fixture
def client() -> HubSpotClient:
    session = ResilientSession(
        limiter=WindowLimiter(1000),
        policy=RetryPolicy(max_attempts=3, initial_wait_s=0.01, max_wait_s=0.02),
        counter=CallCounter(),
    )
    return HubSpotClient(HubSpotSettings(base_url=BASE, access_token="pat-test"), session)


def _upsert_reply(request, context):
    body = request.json()
    results, errors = [], []
    for item in body["inputs"]:
        if item["properties"].get("budget") == "bad":
            errors.append(
                {
                    "status": "error",
                    "category": "VALIDATION_ERROR",
                    "message": "Property values were not valid",
                    "context": {"objectWriteTraceId": [item["objectWriteTraceId"]]},
                }
            )
        else:
            results.append(
                {"id": "9" + item["id"], "properties": dict(item["properties"]), "new": True}
            )
    context.status_code = 207 if errors else 200
    reply = {"status": "COMPLETE", "results": results}
    if errors:
        reply |= {"numErrors": len(errors), "errors": errors}
    return reply


def test_upsert_207_keeps_good_and_names_refused(client):
    with requests_mock.Mocker() as m:
        m.post(f"{BASE}/crm/v3/objects/2-1/batch/upsert", json=_upsert_reply)
        dest = HubSpotDestination(client, "2-1", "salesforce_id", ["budget"], ThreadPoolExecutor(4))
        plans = [
            RecordPlan(
                "p",
                Direction.SF_TO_HS,
                f"a{i}",
                None,
                Action.CREATE,
                changes={"budget": "bad" if i == 3 else i},
            )
            for i in range(250)
        ]
        result = dest.write(plans, {p.source_id: {"id": p.source_id} for p in plans})
        assert len(result.written) == 249
        assert [r.plan.source_id for r in result.refused] == ["a3"]
        assert result.refused[0].error.code == "VALIDATION_ERROR"
        assert m.call_count == 3  # ceil(250 / 100)
        sent = m.request_history[0].json()["inputs"][0]
        assert sent["idProperty"] == "salesforce_id"
        assert sent["properties"]["salesforce_id"] == sent["id"]


def test_whole_batch_400_is_split_until_bad_record_isolated(client):
    def reply(request, context):
        inputs = request.json()["inputs"]
        if any(i["properties"].get("budget") == "bad" for i in inputs):
            context.status_code = 400
            return {"status": "error", "message": "bad value", "category": "VALIDATION_ERROR"}
        return {
            "status": "COMPLETE",
            "results": [{"id": "1" + i["id"], "properties": i["properties"]} for i in inputs],
        }

    with requests_mock.Mocker() as m:
        m.post(f"{BASE}/crm/v3/objects/2-1/batch/upsert", json=reply)
        dest = HubSpotDestination(client, "2-1", "sid", [], ThreadPoolExecutor(2))
        ok, bad = dest.upsert_plain(
            [(f"k{i}", {"budget": "bad" if i == 5 else "1"}) for i in range(8)]
        )
        assert set(bad) == {"k5"} and len(ok) == 7


def test_retries_429_then_succeeds(client):
    with requests_mock.Mocker() as m:
        m.post(
            f"{BASE}/crm/v3/objects/0-2/batch/archive",
            [
                {
                    "status_code": 429,
                    "json": {
                        "status": "error",
                        "message": "You have reached your secondly limit.",
                        "errorType": "RATE_LIMIT",
                        "policyName": "SECONDLY",
                    },
                    "headers": {"Retry-After": "0"},
                },
                {"status_code": 204},
            ],
        )
        client.batch_archive("0-2", ["1", "2"])
        assert m.call_count == 2


def test_ensure_object_lists_missing_properties(client):
    with requests_mock.Mocker() as m:
        m.get(
            f"{BASE}/crm/v3/schemas",
            json={
                "results": [
                    {"name": "project", "objectTypeId": "2-7", "fullyQualifiedName": "p1_project"}
                ]
            },
        )
        m.get(
            f"{BASE}/crm/v3/properties/2-7",
            json={"results": [{"name": "salesforce_id", "type": "string", "hasUniqueValue": True}]},
        )
        with pytest.raises(DestinationSchemaError, match="budget, stage"):
            ensure_object(
                client,
                "project",
                "salesforce_id",
                {"budget": {"type": "number"}, "stage": {"type": "string"}},
            )


def test_ensure_object_creates_schema_and_properties(client):
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/crm/v3/schemas", json={"results": []})
        m.post(
            f"{BASE}/crm/v3/schemas",
            status_code=201,
            json={"name": "project", "objectTypeId": "2-9"},
        )
        m.get(
            f"{BASE}/crm/v3/properties/2-9",
            json={
                "results": [
                    {"name": "salesforce_id", "hasUniqueValue": True, "type": "string"},
                    {"name": "pname", "type": "string"},
                ]
            },
        )
        m.post(f"{BASE}/crm/v3/properties/2-9/groups", status_code=201, json={})
        m.post(
            f"{BASE}/crm/v3/properties/2-9/batch/create",
            status_code=201,
            json={"results": [{"name": "closed", "type": "bool"}]},
        )
        info = ensure_object(
            client,
            "project",
            "salesforce_id",
            {"pname": {"type": "string"}, "closed": {"type": "boolean"}},
            create_object_schema=True,
            create_missing_properties=True,
            associated_objects=["companies"],
        )
        assert info.object_type_id == "2-9" and info.created_schema
        assert info.created_properties == ["closed"]
        schema = json.loads(m.request_history[1].body)
        assert schema["requiredProperties"] == ["salesforce_id"]
        assert schema["associatedObjects"] == ["COMPANY"]
        assert schema["primaryDisplayProperty"] == "pname"


def test_property_types_and_wire_values():
    assert (
        hubspot_property("d", {"type": ["string", "null"], "format": "date-time"})["type"]
        == "datetime"
    )
    assert hubspot_property("n", {"type": ["integer", "null"]})["fieldType"] == "number"
    assert hubspot_property("e", {"type": "string", "enum": ["a", "b"]})["fieldType"] == "select"
    assert wire_value(None) == "" and wire_value(True) == "true"
    assert wire_value(["a", "b"]) == "a;b"


def test_wire_value_is_the_hubspot_codecs_form_of_every_value():
    """The string short cut gives what the codec gives, strings of every shape included."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from crm_sync.convert.codec import HUBSPOT
    from crm_sync.vocabulary import Side

    values = ["", " ", "a;b", "2026-01-01", "x" * 300, Side.HUBSPOT, None, False, 3, 2.5,
              Decimal("1.50"), Decimal("NaN"), ["a", "b"], {"k": 1}, date(2026, 1, 2),
              datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)]  # fmt: skip
    for value in values:
        assert wire_value(value) == HUBSPOT.encode_any(value), value


def test_property_type_follows_the_mappers_value_kind():
    """Issue 14, feature 3: a currency field (kind number, string on the wire) -> number."""
    wire = {"type": ["string", "null"]}
    assert hubspot_property("amount", {**wire, "x-crm-kind": "number"})["type"] == "number"
    assert hubspot_property("active", {**wire, "x-crm-kind": "bool"})["type"] == "bool"
    assert hubspot_property("day", {**wire, "x-crm-kind": "date"})["type"] == "date"
    assert hubspot_property("name", {**wire, "x-crm-kind": "text"})["type"] == "string"
