"""Single-record routes and listing of /crm/v3/objects/{objectType}."""

from __future__ import annotations

import json

import pytest
from hubspot.crm.objects import (
    ApiException,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.objects.exceptions import NotFoundException


def _project(name: str, sf_id: str, **extra) -> SimplePublicObjectInputForCreate:
    return SimplePublicObjectInputForCreate(
        properties={"project_name": name, "salesforce_id": sf_id, **extra}
    )


def test_create_read_update_archive(hs, portal):
    api = hs.crm.objects.basic_api
    made = api.create(
        "project",
        _project(
            "Apollo",
            "a0B000000000001AAA",
            budget=1500,
            is_active=True,
            tags="analytics;web",
            start_date="2026-03-01",
            kickoff="2026-03-02T10:00:00Z",
        ),
    )
    props = made.properties
    assert props["hs_object_id"] == made.id
    assert props["hs_createdate"] == props["hs_lastmodifieddate"]
    assert made.created_at == made.updated_at
    got = api.get_by_id(
        "project",
        made.id,
        properties=["budget", "is_active", "tags", "start_date", "kickoff", "status"],
    )
    assert got.properties == {
        "budget": "1500",
        "is_active": "true",
        "tags": "analytics;web",
        "start_date": "2026-03-01",
        "kickoff": "2026-03-02T10:00:00.000Z",
        "status": None,
    }
    by_unique = api.get_by_id("project", "a0B000000000001AAA", id_property="salesforce_id")
    assert by_unique.id == made.id
    portal.clock(advance_ms=5000)
    updated = api.update(
        "project", made.id, SimplePublicObjectInput(properties={"status": "done", "budget": ""})
    )
    assert updated.properties["status"] == "done"
    assert updated.updated_at > made.updated_at
    again = api.get_by_id("project", made.id, properties=["budget", "hs_lastmodifieddate"])
    assert again.properties["budget"] is None
    assert again.properties["hs_lastmodifieddate"] > made.properties["hs_lastmodifieddate"]
    api.archive("project", made.id)
    with pytest.raises(NotFoundException) as info:
        api.get_by_id("project", made.id)
    assert json.loads(info.value.body)["category"] == "OBJECT_NOT_FOUND"
    archived = api.get_by_id("project", made.id, archived=True)
    assert archived.archived is True and archived.archived_at


def test_create_returns_201_with_location(raw):
    reply = raw(
        "POST",
        "/crm/v3/objects/contacts",
        json={"properties": {"email": "ada@example.com", "firstname": "Ada"}},
    )
    assert reply.status_code == 201
    body = reply.json()
    assert body["properties"]["createdate"] and body["properties"]["lastmodifieddate"]
    assert reply.headers["Location"].endswith(f"/crm/v3/objects/0-1/{body['id']}")


def test_validation_errors_have_the_real_body(hs):
    api = hs.crm.objects.basic_api
    with pytest.raises(ApiException) as info:
        api.create(
            "project",
            _project("X", "a0B000000000009AAA", budget="lots", status="nope", colour="red"),
        )
    body = json.loads(info.value.body)
    assert info.value.status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("Property values were not valid: [")
    detail = json.loads(body["message"].split(": ", 1)[1])
    assert {d["error"] for d in detail} == {
        "INVALID_INTEGER",
        "INVALID_OPTION",
        "PROPERTY_DOESNT_EXIST",
    }
    codes = {e["context"]["propertyName"][0]: e["code"] for e in body["errors"]}
    assert codes == {
        "budget": "INVALID_INTEGER",
        "status": "INVALID_OPTION",
        "colour": "PROPERTY_DOESNT_EXIST",
    }
    with pytest.raises(ApiException) as info:
        api.create("contacts", SimplePublicObjectInputForCreate(properties={"email": "x"}))
    assert json.loads(info.value.body)["errors"][0]["code"] == "INVALID_EMAIL"


def test_required_property_on_create(hs):
    with pytest.raises(ApiException) as info:
        hs.crm.objects.basic_api.create(
            "project", SimplePublicObjectInputForCreate(properties={"budget": 1})
        )
    assert info.value.status == 400


def test_duplicate_unique_value_is_a_409(hs):
    api = hs.crm.objects.basic_api
    first = api.create("project", _project("One", "a0B000000000002AAA"))
    with pytest.raises(ApiException) as info:
        api.create("project", _project("Two", "a0B000000000002AAA"))
    assert info.value.status == 409
    body = json.loads(info.value.body)
    assert body["category"] == "CONFLICT" and first.id in body["message"]
    api.create("contacts", SimplePublicObjectInputForCreate(properties={"email": "a@b.co"}))
    with pytest.raises(ApiException) as info:
        api.create("contacts", SimplePublicObjectInputForCreate(properties={"email": "A@b.co"}))
    assert json.loads(info.value.body)["message"].startswith("Contact already exists.")


def test_list_pages_with_after_and_properties(hs, portal, raw):
    portal.seed(hubspot={"project": 25})
    api = hs.crm.objects.basic_api
    seen, after = [], None
    while True:
        page = api.get_page("project", limit=10, after=after, properties=["budget", "status"])
        seen += page.results
        assert set(page.results[0].properties) == {"budget", "status"}
        if page.paging is None:
            break
        after = page.paging.next.after
        assert "after=" in page.paging.next.link
    assert len(seen) == 25 and len({r.id for r in seen}) == 25
    # taps send comma lists; both forms work
    reply = raw("GET", "/crm/v3/objects/project?limit=2&properties=budget,status")
    assert set(reply.json()["results"][0]["properties"]) == {"budget", "status"}
    # limit above 100 is clamped
    assert len(raw("GET", "/crm/v3/objects/project?limit=500").json()["results"]) == 25
    api.archive("project", seen[0].id)
    archived = api.get_page("project", archived=True)
    assert [r.id for r in archived.results] == [seen[0].id]
    assert portal.stats()["hubspot"]["records"]["project"] == 24


def test_list_with_properties_with_history(hs):
    """The list call takes ``propertiesWithHistory`` as the read by id does (HubSpot's
    list reference has the parameter); hubspot-api-client's get_page passes it."""
    api = hs.crm.objects.basic_api
    made = api.create("project", _project("Apollo", "a0B000000000001AAA", budget=10))
    page = api.get_page("project", properties=["budget"], properties_with_history=["budget"])
    (listed,) = page.results
    assert listed.id == made.id and listed.properties == {"budget": "10"}
    (entry,) = listed.properties_with_history["budget"]
    assert entry.value == "10" and entry.timestamp == made.updated_at
    by_id = api.get_by_id("project", made.id, properties_with_history=["budget"])
    assert by_id.properties_with_history == listed.properties_with_history


def test_standard_objects_by_name_and_id(hs, portal):
    portal.seed(hubspot={"companies": 2, "contacts": 3, "deals": 2})
    api = hs.crm.objects.basic_api
    for name, type_id, count in (
        ("companies", "0-2", 2),
        ("contacts", "0-1", 3),
        ("deals", "0-3", 2),
    ):
        assert len(api.get_page(name).results) == count
        assert len(api.get_page(type_id).results) == count
    deal = api.get_page("deals").results[0]
    assert {"dealname", "amount", "dealstage", "pipeline", "closedate"} <= set(deal.properties)
