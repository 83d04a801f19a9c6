"""A type id is HubSpot's only with its category: a wrong or missing one is refused.

HubSpot keys an association type by category and id together (``USER_DEFINED`` 1 can
sit beside ``HUBSPOT_DEFINED`` 1 "Primary"); 14, child company to parent, is
``HUBSPOT_DEFINED``. Every write path refuses ``USER_DEFINED`` 14 with the recorded
400 body and writes nothing; the right category is seen from both ends, v3 and v4.
"""

from __future__ import annotations

from typing import Any

import pytest

COMPANIES = "/crm/v3/objects/companies"
PAIR = "/crm/v4/associations/companies/companies"
WRONG = [{"associationCategory": "USER_DEFINED", "associationTypeId": 14}]
RIGHT = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 14}]
INVALID_CONTEXT = {
    "associationSpec": ["USER_DEFINED=14"],
    "INVALID_ASSOCIATION_TYPE_ID": ["USER_DEFINED=14 is not a valid association definition id"],
}


def _company(raw: Any, name: str, **extra: Any) -> Any:
    return raw("POST", COMPANIES, json={"properties": {"name": name}, **extra})


def _put(raw: Any, child: str, parent: str, types: list[dict[str, Any]]) -> Any:
    return raw(
        "PUT", f"/crm/v4/objects/companies/{child}/associations/companies/{parent}", json=types
    )


def _ids(raw: Any, *names: str) -> list[str]:
    return [_company(raw, n).json()["id"] for n in names]


def _v4(raw: Any, company: str) -> dict[int, list[tuple[str, int]]]:
    reply = raw("GET", f"/crm/v4/objects/companies/{company}/associations/companies")
    assert reply.status_code == 200, reply.text
    return {
        r["toObjectId"]: [(t["category"], t["typeId"]) for t in r["associationTypes"]]
        for r in reply.json()["results"]
    }


def _v3(raw: Any, company: str) -> list[dict[str, str]]:
    reply = raw("GET", f"{COMPANIES}/{company}", params={"associations": "companies"})
    assert reply.status_code == 200, reply.text
    return reply.json().get("associations", {}).get("companies", {}).get("results", [])


def _assert_invalid(reply: Any) -> None:
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert list(body) == ["status", "message", "correlationId", "context", "category"]
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR"
    assert body["message"] == "One or more associations are invalid"
    assert body["context"] == INVALID_CONTEXT


def test_wrong_category_is_refused_on_every_write_path(raw: Any) -> None:
    child, parent = _ids(raw, "Child", "Parent")
    put = _put(raw, child, parent, WRONG)
    _assert_invalid(put)
    created = _company(raw, "Born child", associations=[{"to": {"id": parent}, "types": WRONG}])
    _assert_invalid(created)
    batch = raw(
        "POST",
        f"{PAIR}/batch/create",
        json={"inputs": [{"from": {"id": child}, "to": {"id": parent}, "types": WRONG}]},
    )
    assert batch.status_code == 207, batch.text
    body = batch.json()
    assert body["results"] == [] and body["numErrors"] == 1
    error = body["errors"][0]
    assert error["category"] == "VALIDATION_ERROR"
    assert error["message"] == "One or more associations are invalid"
    assert error["context"] == INVALID_CONTEXT
    # Nothing was written: no association either way, no company from the refused create.
    assert _v4(raw, child) == {} and _v4(raw, parent) == {}
    listed = raw("GET", COMPANIES, params={"properties": "name"}).json()["results"]
    assert sorted(r["properties"]["name"] for r in listed) == ["Child", "Parent"]


@pytest.mark.parametrize(
    ("types", "message"),
    [
        ([{"associationTypeId": 14}], "Some required fields were not set: [associationCategory]"),
        (
            [{"associationCategory": "HUBSPOT_DEFINED"}],
            "Some required fields were not set: [associationTypeId]",
        ),
    ],
)
def test_a_spec_without_its_category_or_id_is_refused(
    raw: Any, types: list[dict[str, Any]], message: str
) -> None:
    child, parent = _ids(raw, "Child", "Parent")
    put = _put(raw, child, parent, types)
    assert put.status_code == 400, put.text
    assert put.json()["category"] == "VALIDATION_ERROR" and put.json()["message"] == message
    created = _company(raw, "Born child", associations=[{"to": {"id": parent}, "types": types}])
    assert created.status_code == 400 and created.json()["message"] == message
    assert _v4(raw, child) == {} and _v4(raw, parent) == {}


def test_a_category_outside_the_three_is_refused(raw: Any) -> None:
    child, parent = _ids(raw, "Child", "Parent")
    types = [{"associationCategory": "PORTAL_DEFINED", "associationTypeId": 14}]
    put = _put(raw, child, parent, types)
    assert put.status_code == 400 and put.json()["category"] == "VALIDATION_ERROR"
    assert _v4(raw, child) == {}


def test_hubspot_defined_14_is_seen_from_both_ends_in_v3_and_v4(raw: Any) -> None:
    child, parent, other = _ids(raw, "Child", "Parent", "Other")
    batch = raw(
        "POST",
        f"{PAIR}/batch/create",
        json={"inputs": [{"from": {"id": child}, "to": {"id": parent}, "types": RIGHT}]},
    )
    assert batch.status_code == 201 and batch.json()["results"][0]["toObjectId"] == int(parent)
    born = _company(raw, "Born child", associations=[{"to": {"id": parent}, "types": RIGHT}])
    assert born.status_code == 201, born.text
    born_id = born.json()["id"]
    # Each labelled pair also holds the unlabelled company pair, 450 (v4 guide).
    up = [("HUBSPOT_DEFINED", 14), ("HUBSPOT_DEFINED", 450)]
    down = [("HUBSPOT_DEFINED", 13), ("HUBSPOT_DEFINED", 450)]
    assert _v4(raw, child) == {int(parent): up}
    assert _v4(raw, born_id) == {int(parent): up}
    assert _v4(raw, parent) == {int(child): down, int(born_id): down}
    assert _v4(raw, other) == {}
    assert sorted(_v3(raw, child), key=lambda r: r["type"]) == [
        {"id": parent, "type": "child_to_parent_company"},
        {"id": parent, "type": "company_to_company"},
    ]
    assert sorted(_v3(raw, parent), key=lambda r: (int(r["id"]), r["type"])) == [
        {"id": child, "type": "company_to_company"},
        {"id": child, "type": "parent_to_child_company"},
        {"id": born_id, "type": "company_to_company"},
        {"id": born_id, "type": "parent_to_child_company"},
    ]


def test_a_batch_repeating_specs_answers_each_input_as_its_own_put(raw: Any) -> None:
    """``batch/create`` works each spec out once a batch: inputs repeating a right spec,
    a wrong category, a missing id, the id as text, as a list (unhashable) or as
    ``True`` (equal to 1, a type id this pair lacks) each get what a PUT of them gets,
    and the links written are the PUTs'."""
    specs: list[list[dict[str, Any]]] = [
        RIGHT,
        WRONG,
        RIGHT,
        [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": "14"}],
        [{"associationCategory": "HUBSPOT_DEFINED"}],
        WRONG,
        [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": [14]}],
        [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": True}],
        [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 450}, *RIGHT],
    ]
    parent, other = _ids(raw, "Parent", "Other")
    batched = _ids(raw, *(f"B{i}" for i in range(len(specs))))
    single = _ids(raw, *(f"S{i}" for i in range(len(specs))))
    inputs = [
        {"from": {"id": child}, "to": {"id": parent}, "types": types}
        for child, types in zip(batched, specs, strict=True)
    ]
    reply = raw("POST", f"{PAIR}/batch/create", json={"inputs": inputs})
    assert reply.status_code == 207, reply.text
    body = reply.json()
    made = {str(r["fromObjectId"]): r["labels"] for r in body["results"]}
    errors = iter(body["errors"])  # in input order
    for child, twin, types in zip(batched, single, specs, strict=True):
        put = _put(raw, twin, parent, types)
        if put.status_code == 201:
            assert child in made, (types, body)
            assert _v4(raw, child) == _v4(raw, twin), types
            continue
        assert child not in made, types
        error = next(errors)
        assert (error["category"], error["message"]) == (
            put.json()["category"],
            put.json()["message"],
        ), types
        assert _v4(raw, child) == {}
    assert len(made) + body["numErrors"] == len(specs)
    assert _v4(raw, other) == {}
