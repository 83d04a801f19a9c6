"""Batch create / update / upsert / read / archive with per-record errors (207)."""

from __future__ import annotations

import json

import pytest
from hubspot.crm.objects import (
    ApiException,
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
)


def _creates(n: int, start: int = 0) -> BatchInputSimplePublicObjectBatchInputForCreate:
    return BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[
            {
                "properties": {
                    "project_name": f"P{i}",
                    "salesforce_id": f"SF{i:05d}",
                    "budget": i * 10,
                },
                "objectWriteTraceId": f"t{i}",
            }
            for i in range(start, start + n)
        ]
    )


def test_batch_create_201_and_207(hs):
    api = hs.crm.objects.batch_api
    ok = api.create("project", _creates(3))
    assert ok.status == "COMPLETE" and len(ok.results) == 3
    assert not hasattr(ok, "errors") or not getattr(ok, "errors", None)
    bad = _creates(3, start=10)
    bad.inputs[1]["properties"]["budget"] = "ten"
    partial = api.create("project", bad)
    assert partial.num_errors == 1 and len(partial.results) == 2
    error = partial.errors[0]
    assert error.category == "VALIDATION_ERROR"
    assert error.context == {"objectWriteTraceId": ["t11"]}
    assert error.message.startswith("Property values were not valid:")


def test_more_than_100_inputs_is_refused(hs):
    with pytest.raises(ApiException) as info:
        hs.crm.objects.batch_api.create("project", _creates(101))
    assert info.value.status == 400
    body = json.loads(info.value.body)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("The maximum number of inputs supported in a batch is 100")


def test_duplicate_unique_value_inside_a_batch(hs):
    inputs = _creates(2)
    inputs.inputs[1]["properties"]["salesforce_id"] = "SF00000"
    reply = hs.crm.objects.batch_api.create("project", inputs)
    assert reply.num_errors == 1 and reply.errors[0].category == "CONFLICT"


def test_upsert_by_unique_property(hs, raw):
    api = hs.crm.objects.batch_api
    api.create("project", _creates(2))
    upsert = BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            {"id": "SF00001", "idProperty": "salesforce_id", "properties": {"budget": 999}},
            {
                "id": "SF00077",
                "idProperty": "salesforce_id",
                "properties": {"project_name": "New", "budget": 1},
            },
        ]
    )
    reply = api.upsert("project", upsert)
    flags = {r.properties.get("salesforce_id") or r.id: r.new for r in reply.results}
    assert sorted(flags.values()) == [False, True]
    read = api.read(
        "project",
        BatchReadInputSimplePublicObjectId(
            id_property="salesforce_id",
            properties=["budget", "salesforce_id"],
            inputs=[{"id": "SF00001"}, {"id": "SF00077"}],
        ),
    )
    assert {r.properties["salesforce_id"]: r.properties["budget"] for r in read.results} == {
        "SF00001": "999",
        "SF00077": "1",
    }
    # idProperty must be unique-valued
    reply = raw(
        "POST",
        "/crm/v3/objects/project/batch/upsert",
        json={"inputs": [{"id": "x", "idProperty": "budget", "properties": {}}]},
    )
    assert reply.status_code == 400
    assert reply.json()["message"].startswith("Unable to perform update/upsert by non-unique")


def test_update_read_archive(hs):
    api = hs.crm.objects.batch_api
    made = api.create("project", _creates(3)).results
    ids = [r.id for r in made]
    updated = api.update(
        "project",
        BatchInputSimplePublicObjectBatchInput(
            inputs=[
                {"id": ids[0], "properties": {"status": "done"}},
                {"id": ids[1], "properties": {"status": "bogus"}},
            ]
        ),
    )
    assert updated.num_errors == 1 and updated.errors[0].context == {"ids": [ids[1]]}
    read = api.read(
        "project",
        BatchReadInputSimplePublicObjectId(
            properties=["status"], inputs=[{"id": ids[0]}, {"id": "999999"}]
        ),
    )
    assert [r.properties["status"] for r in read.results] == ["done"]
    assert read.errors[0].category == "OBJECT_NOT_FOUND"
    assert read.errors[0].context == {"ids": ["999999"]}
    assert (
        api.archive("project", BatchInputSimplePublicObjectId(inputs=[{"id": i} for i in ids]))
        is None
    )
    read = api.read(
        "project",
        BatchReadInputSimplePublicObjectId(properties=[], inputs=[{"id": i} for i in ids]),
    )
    assert read.results == [] and read.num_errors == 1


def test_injected_per_record_refusals(hs, portal):
    portal.set_faults(refuse=0.5, only="hubspot", seed=3)
    reply = hs.crm.objects.batch_api.create("project", _creates(40))
    assert 0 < reply.num_errors < 40
    assert len(reply.results) + reply.num_errors == 40
    assert all(e.category == "VALIDATION_ERROR" for e in reply.errors)
