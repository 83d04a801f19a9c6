"""The standard object catalogue: every standard type answers properties, records, search,
batch and associations, by id and by name, with HubSpot's association type ids."""

from __future__ import annotations

import pytest
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
)
from hubspot.crm.objects.tasks import SimplePublicObjectInputForCreate as TaskInput
from hubspot.crm.objects.tasks.exceptions import ApiException

from tests.sandbox.hubspot.conftest import body_of

# What meltano-tap-hubspot asks for before it reads a single record.
TAP_STREAMS = [
    "calls",
    "communications",
    "emails",
    "goal_targets",
    "leads",
    "line_items",
    "meetings",
    "notes",
    "postal_mail",
    "tasks",
]
TYPE_IDS = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "tickets": "0-5",
    "products": "0-7",
    "line_items": "0-8",
    "quotes": "0-14",
    "communications": "0-18",
    "tasks": "0-27",
    "notes": "0-46",
    "meetings": "0-47",
    "calls": "0-48",
    "emails": "0-49",
    "goal_targets": "0-74",
    "postal_mail": "0-116",
    "leads": "0-136",
    "feedback_submissions": "0-19",
}


@pytest.mark.parametrize("stream", TAP_STREAMS)
def test_the_tap_streams_have_properties(raw, stream):
    reply = raw("GET", f"/crm/v3/properties/{stream}")
    assert reply.status_code == 200, reply.text
    names = {p["name"] for p in reply.json()["results"]}
    assert {"hs_object_id", "hs_lastmodifieddate", "hs_createdate"} <= names
    by_id = raw("GET", f"/crm/v3/properties/{TYPE_IDS[stream]}").json()["results"]
    assert {p["name"] for p in by_id} == names


def test_task_properties_are_hubspots(hs):
    props = {p.name: p for p in hs.crm.properties.core_api.get_all("tasks").results}
    status = props["hs_task_status"]
    assert (status.type, status.field_type) == ("enumeration", "select")
    assert [o.value for o in status.options] == [
        "NOT_STARTED",
        "IN_PROGRESS",
        "WAITING",
        "COMPLETED",
        "DEFERRED",
    ]
    assert {o.value for o in props["hs_task_priority"].options} == {"NONE", "LOW", "MEDIUM", "HIGH"}
    assert {"CALL", "EMAIL", "TODO"} <= {o.value for o in props["hs_task_type"].options}
    assert (props["hs_timestamp"].type, props["hs_timestamp"].field_type) == ("datetime", "date")
    owner = props["hubspot_owner_id"]
    assert (owner.type, owner.external_options, owner.options) == ("enumeration", True, [])
    assert props["hs_task_subject"].group_name == "task"


@pytest.mark.parametrize("name", sorted(set(TYPE_IDS) - {"leads"}))
def test_every_standard_type_lists_creates_and_reads(raw, name):
    type_id = TYPE_IDS[name]
    props = raw("GET", f"/crm/v3/properties/{name}").json()["results"]
    required = [p["name"] for p in props if p["name"] == "hs_timestamp"]
    values = {n: "2026-05-01T10:00:00.000Z" for n in required}
    made = raw("POST", f"/crm/v3/objects/{type_id}", json={"properties": values})
    assert made.status_code == 201, made.text
    record_id = made.json()["id"]
    assert raw("GET", f"/crm/v3/objects/{name}/{record_id}").status_code == 200
    listed = raw("GET", f"/crm/v3/objects/{name}").json()["results"]
    assert [r["id"] for r in listed] == [record_id]


def test_a_lead_needs_a_name_and_a_contact(raw):
    contact = raw("POST", "/crm/v3/objects/contacts", json={"properties": {"email": "l@ex.com"}})
    to_contact = {
        "to": {"id": contact.json()["id"]},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}],
    }
    alone = raw("POST", "/crm/v3/objects/leads", json={"properties": {"hs_lead_name": "L"}})
    assert alone.status_code == 400
    assert alone.json()["category"] == "VALIDATION_ERROR"
    unnamed = raw(
        "POST", "/crm/v3/objects/leads", json={"properties": {}, "associations": [to_contact]}
    )
    assert unnamed.status_code == 400
    assert unnamed.json()["errors"][0]["context"] == {"propertyName": ["hs_lead_name"]}
    made = raw(
        "POST",
        "/crm/v3/objects/0-136",
        json={"properties": {"hs_lead_name": "L"}, "associations": [to_contact]},
    )
    assert made.status_code == 201, made.text
    batch = raw(
        "POST",
        "/crm/v3/objects/leads/batch/create",
        json={"inputs": [{"properties": {"hs_lead_name": "M"}}]},
    )
    assert batch.status_code == 207 and batch.json()["numErrors"] == 1
    read = raw("GET", f"/crm/v3/objects/leads/{made.json()['id']}?associations=contacts").json()
    # The Primary label (578) brings the pair's unlabelled type (608) with it.
    assert sorted(r["type"] for r in read["associations"]["contacts"]["results"]) == [
        "lead_to_contact",
        "lead_to_contact_unlabeled",
    ]


def test_an_activity_needs_its_timestamp(hs):
    with pytest.raises(ApiException) as info:
        hs.crm.objects.tasks.basic_api.create(TaskInput(properties={"hs_task_subject": "x"}))
    assert info.value.status == 400
    assert body_of(info.value)["errors"][0]["context"] == {"propertyName": ["hs_timestamp"]}


def test_tasks_through_the_sdk_with_associations_search_and_batch(hs):
    contact = hs.crm.contacts.basic_api.create({"properties": {"email": "t@ex.com"}})
    company = hs.crm.companies.basic_api.create({"properties": {"name": "Acme"}})
    tasks = hs.crm.objects.tasks
    made = tasks.basic_api.create(
        TaskInput(
            properties={
                "hs_task_subject": "Call back",
                "hs_task_status": "NOT_STARTED",
                "hs_task_priority": "HIGH",
                "hs_timestamp": "2026-06-01T09:00:00Z",
            },
            associations=[
                {
                    "to": {"id": contact.id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}],
                },
                {
                    "to": {"id": company.id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}],
                },
            ],
        )
    )
    read = tasks.basic_api.get_by_id(made.id, properties=["hs_task_status", "hs_timestamp"])
    assert read.properties["hs_task_status"] == "NOT_STARTED"
    assert read.properties["hs_timestamp"] == "2026-06-01T09:00:00.000Z"
    basic = hs.crm.associations.v4.basic_api
    back = basic.get_page("contacts", contact.id, "tasks").results
    assert [(int(r.to_object_id), [t.type_id for t in r.association_types]) for r in back] == [
        (int(made.id), [203])
    ]
    high = {"propertyName": "hs_task_priority", "operator": "EQ", "value": "HIGH"}
    found = tasks.search_api.do_search(
        PublicObjectSearchRequest(filter_groups=[{"filters": [high]}])
    )
    assert [r.id for r in found.results] == [made.id]
    batch = tasks.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                {"properties": {"hs_task_subject": f"T{i}", "hs_timestamp": "2026-06-02"}}
                for i in range(3)
            ]
        )
    )
    ids = [r.id for r in batch.results]
    again = tasks.batch_api.read(
        BatchReadInputSimplePublicObjectId(inputs=[{"id": i} for i in ids])
    )
    assert sorted(r.id for r in again.results) == sorted(ids)
    with pytest.raises(ApiException) as info:
        tasks.basic_api.update(made.id, {"properties": {"hs_task_status": "DONE"}})
    assert body_of(info.value)["errors"][0]["code"] == "INVALID_OPTION"


@pytest.mark.parametrize(
    ("a", "b", "forward", "backward"),
    [
        ("tasks", "contacts", 204, 203),
        ("tasks", "companies", 192, 191),
        ("tasks", "deals", 216, 215),
        ("tasks", "tickets", 230, 229),
        ("calls", "contacts", 194, 193),
        ("emails", "companies", 186, 185),
        ("meetings", "deals", 212, 211),
        ("notes", "deals", 214, 213),
        ("communications", "contacts", 81, 82),
        ("postal_mail", "contacts", 453, 454),
        ("line_items", "deals", 20, 19),
        ("quotes", "line_items", 67, 68),
        ("quotes", "deals", 64, 63),
        ("leads", "companies", 610, 609),
    ],
)
def test_default_association_types_have_hubspots_ids(hs, a, b, forward, backward):
    labels = hs.crm.associations.v4.schema.definitions_api
    first = labels.get_all(a, b).results[0]
    assert (first.type_id, first.category) == (forward, "HUBSPOT_DEFINED")
    assert backward in {r.type_id for r in labels.get_all(b, a).results}


def test_default_association_between_an_activity_and_a_record(hs):
    note = hs.crm.objects.notes.basic_api.create(
        {"properties": {"hs_note_body": "hi", "hs_timestamp": "2026-01-01T00:00:00Z"}}
    )
    deal = hs.crm.deals.basic_api.create({"properties": {"dealname": "D"}})
    made = hs.crm.associations.v4.basic_api.create_default("notes", note.id, "deals", deal.id)
    assert {r.association_spec.association_type_id for r in made.results} == {214, 213}


def test_custom_objects_answer_to_p_names(raw, portal):
    portal_id = portal.env["CRM_SANDBOX_HS_PORTAL_ID"]
    schema = raw("GET", "/crm/v3/schemas/p_project").json()
    assert schema["fullyQualifiedName"] == f"p{portal_id}_project"
    type_id = schema["objectTypeId"]
    made = raw("POST", "/crm/v3/objects/p_project", json={"properties": {"project_name": "P"}})
    assert made.status_code == 201, made.text
    record_id = made.json()["id"]
    for ref in ("p_project", f"p{portal_id}_project", type_id, "project"):
        assert raw("GET", f"/crm/v3/objects/{ref}/{record_id}").status_code == 200, ref
        assert raw("GET", f"/crm/v3/properties/{ref}/project_name").status_code == 200, ref
    batch = raw(
        "POST", "/crm/v3/objects/p_project/batch/read", json={"inputs": [{"id": record_id}]}
    )
    assert [r["id"] for r in batch.json()["results"]] == [record_id]
    search = raw("POST", f"/crm/v3/objects/p{portal_id}_project/search", json={})
    assert search.json()["total"] == 1
    company = raw("POST", "/crm/v3/objects/companies", json={"properties": {"name": "C"}}).json()
    put = raw(
        "PUT",
        f"/crm/v4/objects/p_project/{record_id}/associations/default/companies/{company['id']}",
    )
    assert put.status_code == 200, put.text
    labels = raw("GET", "/crm/v4/associations/p_project/companies/labels").json()["results"]
    assert any(t["label"] == "Project's company" for t in labels)


def test_an_unknown_object_type_is_still_refused(raw):
    reply = raw("GET", "/crm/v3/properties/widgets")
    assert reply.status_code == 400
    assert reply.json()["message"] == "Unable to infer object type from: widgets"
    assert raw("GET", "/crm/v3/objects/p_widgets").status_code == 400


def test_activities_can_be_seeded_with_their_contacts(portal, raw):
    counts = {"contacts": 3, "tasks": 12, "meetings": 4, "notes": 2, "leads": 2}
    assert portal.seed(hubspot=counts)["seeded"]["hubspot"] == counts
    tasks = raw("GET", "/crm/v3/objects/tasks?limit=100&properties=hs_task_status").json()
    assert len(tasks["results"]) == 12
    statuses = {r["properties"]["hs_task_status"] for r in tasks["results"]}
    assert statuses <= {"NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"}
    read = raw(
        "POST",
        "/crm/v4/associations/tasks/contacts/batch/read",
        json={"inputs": [{"id": r["id"]} for r in tasks["results"]]},
    ).json()
    assert len(read["results"]) == 12
    assert {
        t["typeId"] for r in read["results"] for to in r["to"] for t in to["associationTypes"]
    } == {204}
    assert portal.stats()["hubspot"]["records"]["meetings"] == 4


def test_tasks_associate_with_custom_objects(hs, raw):
    project = raw("POST", "/crm/v3/objects/p_project", json={"properties": {"project_name": "P"}})
    task = hs.crm.objects.tasks.basic_api.create(
        TaskInput(properties={"hs_task_subject": "T", "hs_timestamp": "2026-01-01T00:00:00Z"})
    )
    labels = hs.crm.associations.v4.schema.definitions_api.get_all("tasks", "p_project").results
    assert [(t.category, t.label) for t in labels] == [("USER_DEFINED", None)]
    hs.crm.associations.v4.basic_api.create_default(
        "tasks", task.id, "p_project", project.json()["id"]
    )
    read = raw("GET", f"/crm/v3/objects/tasks/{task.id}?associations=p_project").json()
    assert read["associations"]["project"]["results"] == [
        {"id": project.json()["id"], "type": "task_to_project"}
    ]
