"""Batch create / update / upsert / read / archive with per-record errors (207)."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pytest
from hubspot.crm.objects import (
    ApiException,
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
)

from crm_sandbox.hubspot.models import Property
from crm_sandbox.hubspot.values import normalize


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


def _properties(raw, object_type: str, record_id: str, names: Iterable[str]) -> dict:
    """The named properties of one record, as a single read answers them."""
    reply = raw(
        "GET", f"/crm/v3/objects/{object_type}/{record_id}",
        params={"properties": ",".join(names)},
    )  # fmt: skip
    return reply.json()["properties"]


def _upsert(raw, inputs: list[dict]) -> dict:
    reply = raw("POST", "/crm/v3/objects/project/batch/upsert", json={"inputs": inputs})
    assert reply.status_code in (200, 207), reply.text
    return reply.json()


def test_upsert_batch_mixes_updates_creates_and_refusals(hs, raw):
    """Inputs keyed by one unique property are looked up and created together: every
    input still gets its own outcome, and the new records are found by key and search."""
    hs.crm.objects.batch_api.create("project", _creates(2))
    inputs = [
        {"id": f"SF{i:05d}", "idProperty": "salesforce_id", "objectWriteTraceId": f"t{i}",
         "properties": {"project_name": f"Q{i}", "budget": i}}
        for i in range(6)
    ]  # fmt: skip
    inputs[3]["properties"]["budget"] = "ten"  # refused, the others written
    body = _upsert(raw, inputs)
    assert {r["objectWriteTraceId"]: r["new"] for r in body["results"]} == {
        "t0": False, "t1": False, "t2": True, "t4": True, "t5": True,
    }  # fmt: skip
    assert [(e["category"], e["context"]) for e in body["errors"]] == [
        ("VALIDATION_ERROR", {"objectWriteTraceId": ["t3"]})
    ]
    again = _upsert(raw, [{**i, "properties": {**i["properties"], "budget": 7}} for i in inputs])
    assert {r["objectWriteTraceId"]: r["new"] for r in again["results"]} == {
        "t0": False, "t1": False, "t2": False, "t3": True, "t4": False, "t5": False,
    }  # fmt: skip
    found = raw(
        "POST",
        "/crm/v3/objects/project/search",
        json={"filterGroups": [{"filters": [
            {"propertyName": "salesforce_id", "operator": "EQ", "value": "SF00004"}]}],
            "properties": ["project_name", "budget"]},
    ).json()  # fmt: skip
    assert [(r["properties"]["project_name"], r["properties"]["budget"])
            for r in found["results"]] == [("Q4", "7")]  # fmt: skip


def test_upsert_batch_with_a_unique_clash_among_its_creates(hs, raw):
    """Two new records of one batch claiming one unique value: the first is created,
    the second refused with HubSpot's conflict, as when each is created in turn."""
    made = raw(
        "POST",
        "/crm/v3/properties/project",
        json={"name": "code", "label": "Code", "type": "string", "fieldType": "text",
              "groupName": "project_information", "hasUniqueValue": True},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    inputs = [
        {"id": f"SF1000{i}", "idProperty": "salesforce_id", "objectWriteTraceId": f"c{i}",
         "properties": {"project_name": f"C{i}", "code": "same" if i else "own"}}
        for i in range(3)
    ]  # fmt: skip
    body = _upsert(raw, inputs)
    assert [r["objectWriteTraceId"] for r in body["results"]] == ["c0", "c1"]
    assert [(e["category"], e["context"]) for e in body["errors"]] == [
        ("CONFLICT", {"objectWriteTraceId": ["c2"]})
    ]
    read = raw(
        "POST",
        "/crm/v3/objects/project/batch/read",
        json={"idProperty": "salesforce_id", "properties": ["code"],
              "inputs": [{"id": f"SF1000{i}"} for i in range(3)]},
    ).json()  # fmt: skip
    assert sorted(r["properties"]["code"] for r in read["results"]) == ["own", "same"]


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


def test_writes_keyed_by_hs_object_id_are_refused(hs, portal):
    """HubSpot refuses ``idProperty: hs_object_id`` on batch update and upsert (a record id
    goes in ``id`` with no idProperty); reads by it are still answered."""
    api = hs.crm.objects.batch_api
    (made,) = api.create("project", _creates(1)).results
    keyed = [{"id": made.id, "idProperty": "hs_object_id", "properties": {"status": "done"}}]
    expected = "Unable to perform update/upsert by non-unique 2-"  # the project's type id
    for call, body in (
        (api.update, BatchInputSimplePublicObjectBatchInput(inputs=keyed)),
        (api.upsert, BatchInputSimplePublicObjectBatchInputUpsert(inputs=keyed)),
    ):
        with pytest.raises(ApiException) as info:
            call("project", body)
        error = json.loads(info.value.body)
        assert info.value.status == 400 and error["category"] == "VALIDATION_ERROR"
        assert error["message"].startswith(expected)
        assert error["message"].endswith(
            f" property hs_object_id in portal ID {portal.env['CRM_SANDBOX_HS_PORTAL_ID']}"
        )
    read = api.read(
        "project",
        BatchReadInputSimplePublicObjectId(
            properties=["status"], id_property="hs_object_id", inputs=[{"id": made.id}]
        ),
    )
    assert [r.id for r in read.results] == [made.id]
    assert read.results[0].properties["status"] != "done"


def test_injected_per_record_refusals(hs, portal):
    portal.set_faults(refuse=0.5, only="hubspot", seed=3)
    reply = hs.crm.objects.batch_api.create("project", _creates(40))
    assert 0 < reply.num_errors < 40
    assert len(reply.results) + reply.num_errors == 40
    assert all(e.category == "VALIDATION_ERROR" for e in reply.errors)


def test_batch_values_memoised_per_batch_match_single_creates(raw):
    """A batch normalizes each repeated (property, raw value) once: every record still
    gets what a single create of it gets (JSON true / 1 / 1.0 kept apart), and each
    input that repeats a refused value gets its own error."""
    values = [
        {"budget": 1, "completion": 1.0, "priority": "1", "is_active": True},
        {"budget": True, "completion": "1.50", "priority": 1.5, "is_active": "TRUE"},
        {"budget": 1.0, "completion": 1, "priority": "007", "is_active": "false"},
        {"status": "done", "tags": "web;mobile", "start_date": "2026-06-09"},
        {"status": "done", "tags": "web;mobile", "start_date": "2026-06-09T00:00:00Z"},
        {"kickoff": "2027-01-27T09:00:00.000Z", "start_date": 1781740800000},
        {"kickoff": 1801040400000, "budget": "-0", "is_active": 1},
        {"budget": "ten"},
        {"status": "nope", "completion": 1.0},
    ]
    inputs = [
        {"id": f"MEMO{i}", "idProperty": "salesforce_id", "objectWriteTraceId": f"t{i}",
         "properties": {"project_name": f"M{i}", **props}}
        for i, props in enumerate(values + values)
    ]  # fmt: skip
    body = _upsert(raw, inputs)
    outcome: dict[str, object] = {r["objectWriteTraceId"]: r["properties"] for r in body["results"]}
    for error in body.get("errors", []):
        outcome[error["context"]["objectWriteTraceId"][0]] = error["message"]
    refused = 0
    for i, props in enumerate(values):
        single = raw(
            "POST", "/crm/v3/objects/project",
            json={"properties": {"project_name": f"S{i}", **props}},
        )  # fmt: skip
        if single.status_code == 201:
            read = _properties(raw, "project", single.json()["id"], props)
            expected: object = {k: read.get(k) for k in props}
            got = [{k: outcome[t].get(k) for k in props} for t in (f"t{i}", f"t{i + 9}")]
        else:
            refused += 1
            assert single.status_code == 400, single.text
            expected = single.json()["message"]
            got = [outcome[f"t{i}"], outcome[f"t{i + 9}"]]
        assert got == [expected, expected], (props, got)
    assert refused == 4  # true as a number, 1 as a boolean, "ten", "nope"


def test_batch_text_values_and_one_refusal_match_single_creates(raw):
    """Text into text properties takes validation's short cut (no normalize call): a
    contacts batch mixing empty, padded and non-ASCII text with one refused email gets,
    record by record, what a single create of each gets, and the refusal's own error."""
    values = [
        {"firstname": "  padded  ", "lastname": "Ünïcode ✓", "email": "a1@example.com"},
        {"firstname": "", "lastname": "x", "email": "a2@example.com"},  # "" clears
        {"firstname": "Bad", "email": "not an email"},  # refused: INVALID_EMAIL
        {"firstname": "0", "lastname": " ", "email": " a4@example.com "},
        {"firstname": "true", "phone": "+1 555 0100", "email": "a5@example.com"},
    ]
    inputs = [
        {"objectWriteTraceId": f"t{i}", "properties": {**props, "email": f"{i}{props['email']}"}}
        for i, props in enumerate(values)
    ]
    reply = raw("POST", "/crm/v3/objects/contacts/batch/create", json={"inputs": inputs})
    assert reply.status_code == 207, reply.text
    body = reply.json()
    outcome: dict[str, object] = {r["objectWriteTraceId"]: r["properties"] for r in body["results"]}
    for error in body["errors"]:
        outcome[error["context"]["objectWriteTraceId"][0]] = (
            error["status"], error["category"], error["message"], error.get("errors"),
        )  # fmt: skip
    assert set(outcome) == {f"t{i}" for i in range(len(values))}
    for i, props in enumerate(values):
        sent = {**props, "email": f"s{i}{props['email']}"}
        single = raw("POST", "/crm/v3/objects/contacts", json={"properties": sent})
        got = outcome[f"t{i}"]
        if single.status_code != 201:
            assert single.status_code == 400, single.text
            text = single.text.replace(f"s{i}{props['email']}", f"{i}{props['email']}")
            error = json.loads(text)
            assert got == ("error", error["category"], error["message"], error.get("errors"))
            continue
        read = _properties(raw, "contacts", single.json()["id"], props)
        assert isinstance(got, dict)
        assert {"firstname", "lastname", "email"} <= set(got)  # a batch create's defaults
        for name in set(props) & set(got):
            expected = read.get(name)
            if name == "email" and expected is not None:
                expected = expected.replace(f"s{i}", f"{i}", 1)
            assert got.get(name) == expected, (name, props, got)
            if name != "email":  # and what normalize gives, the path before the short cut
                text = Property(name, name, "string", "text", "contactinformation")
                assert got.get(name) == normalize(text, props[name], "0-1"), (name, props)
    assert isinstance(outcome["t2"], tuple) and "INVALID_EMAIL" in json.dumps(outcome["t2"])


def test_batch_sharing_one_name_set_answers_per_row_as_single_creates(raw):
    """Inputs with one set of property names share a validation plan whose text values
    are taken in one pass: a row whose text is empty, not a string or null, a row with
    several refused values (their order kept), and a row naming an unknown property each
    get what a single create of them gets; the valid rows around them are written."""
    rows = [
        {"project_name": "Fine", "description": "d", "budget": "12.50", "status": "done"},
        {"project_name": "Empty", "description": "", "budget": 3, "status": "done"},
        {"project_name": "Number", "description": 42, "budget": "1e3", "status": "done"},
        {"project_name": "Two bad", "description": "d", "budget": "ten", "status": "nope"},
        {"project_name": None, "description": "Null name", "budget": None, "status": None},
        {"project_name": "Fine 2", "description": "  padded ", "budget": "-0", "status": "done"},
        {"project_name": "Unknown", "no_such_prop": "x", "budget": "ten", "status": "done"},
    ]
    inputs = [
        {"id": f"PLAN{i}", "idProperty": "salesforce_id", "objectWriteTraceId": f"t{i}",
         "properties": props}
        for i, props in enumerate(rows)
    ]  # fmt: skip
    body = _upsert(raw, inputs)
    outcome: dict[str, object] = {r["objectWriteTraceId"]: r["properties"] for r in body["results"]}
    for error in body.get("errors", []):
        outcome[error["context"]["objectWriteTraceId"][0]] = (
            error["category"], error["message"], error.get("errors"),
        )  # fmt: skip
    assert set(outcome) == {f"t{i}" for i in range(len(rows))}
    refused = 0
    for i, props in enumerate(rows):
        sent = {**props, "salesforce_id": f"SINGLE{i}"}
        single = raw("POST", "/crm/v3/objects/project", json={"properties": sent})
        got = outcome[f"t{i}"]
        if single.status_code != 201:
            refused += 1
            assert single.status_code == 400, single.text
            error = single.json()
            assert got == (error["category"], error["message"], error.get("errors")), props
            continue
        read = _properties(raw, "project", single.json()["id"], props)
        assert isinstance(got, dict)
        assert {k: got.get(k) for k in props} == {k: read.get(k) for k in props}, props
    assert refused == 3  # two bad values, the null required name, the unknown property
