"""/crm/v3/properties/{objectType}: properties, batch calls and groups via the SDK."""

from __future__ import annotations

import json

import pytest
from hubspot.crm.properties import (
    ApiException,
    BatchInputPropertyCreate,
    BatchInputPropertyName,
    BatchReadInputPropertyName,
    PropertyCreate,
    PropertyGroupCreate,
    PropertyUpdate,
)


def test_default_properties_of_standard_objects(hs):
    core = hs.crm.properties.core_api
    contacts = {p.name: p for p in core.get_all("contacts").results}
    assert {
        "email",
        "firstname",
        "lastname",
        "company",
        "phone",
        "lifecyclestage",
        "lastmodifieddate",
        "createdate",
        "hs_object_id",
    } <= set(contacts)
    assert contacts["hs_object_id"].modification_metadata.read_only_value is True
    assert {"name", "domain", "industry"} <= {p.name for p in core.get_all("0-2").results}
    deal = {p.name: p for p in core.get_all("deals").results}
    assert deal["amount"].type == "number" and deal["closedate"].type == "datetime"
    assert core.get_by_name("deals", "dealstage").field_type == "radio"


def test_create_update_archive(hs, raw):
    core = hs.crm.properties.core_api
    made = core.create(
        "project",
        PropertyCreate(
            name="risk",
            label="Risk",
            type="enumeration",
            field_type="select",
            group_name="project_information",
            options=[
                {"label": "Low", "value": "low", "hidden": False, "displayOrder": 0},
                {"label": "High", "value": "high", "hidden": False, "displayOrder": 1},
            ],
        ),
    )
    assert made.name == "risk" and [o.value for o in made.options] == ["low", "high"]
    updated = core.update("project", "risk", PropertyUpdate(label="Risk level"))
    assert updated.label == "Risk level"
    # the new property is enforced on records at once
    reply = raw(
        "POST",
        "/crm/v3/objects/project",
        json={"properties": {"project_name": "x", "risk": "medium"}},
    )
    assert reply.status_code == 400 and reply.json()["errors"][0]["code"] == "INVALID_OPTION"
    with pytest.raises(ApiException) as info:
        core.create(
            "project",
            PropertyCreate(
                name="risk",
                label="Dup",
                type="string",
                field_type="text",
                group_name="project_information",
            ),
        )
    assert info.value.status == 409
    core.archive("project", "risk")
    assert "risk" not in {p.name for p in core.get_all("project").results}
    assert "risk" in {p.name for p in core.get_all("project", archived=True).results}


def test_type_and_field_type_must_pair(hs):
    with pytest.raises(ApiException) as info:
        hs.crm.properties.core_api.create(
            "project",
            PropertyCreate(
                name="bad",
                label="Bad",
                type="number",
                field_type="text",
                group_name="project_information",
            ),
        )
    assert info.value.status == 400
    assert json.loads(info.value.body)["category"] == "VALIDATION_ERROR"


def test_batch_create_and_read(hs):
    batch = hs.crm.properties.batch_api
    made = batch.create(
        "contacts",
        BatchInputPropertyCreate(
            inputs=[
                PropertyCreate(
                    name="sf_contact_id",
                    label="SF id",
                    type="string",
                    field_type="text",
                    group_name="contactinformation",
                    has_unique_value=True,
                ),
                PropertyCreate(
                    name="score",
                    label="Score",
                    type="number",
                    field_type="number",
                    group_name="contactinformation",
                ),
            ]
        ),
    )
    assert {p.name for p in made.results} == {"sf_contact_id", "score"}
    assert next(p for p in made.results if p.name == "sf_contact_id").has_unique_value
    read = batch.read(
        "contacts",
        BatchReadInputPropertyName(archived=False, inputs=[{"name": "score"}, {"name": "nope"}]),
    )
    assert [p.name for p in read.results] == ["score"] and read.num_errors == 1
    batch.archive("contacts", BatchInputPropertyName(inputs=[{"name": "score"}]))
    assert "score" not in {p.name for p in hs.crm.properties.core_api.get_all("contacts").results}


def test_groups(hs):
    groups = hs.crm.properties.groups_api
    made = groups.create("project", PropertyGroupCreate(name="finance", label="Finance"))
    assert made.name == "finance" and made.archived is False
    assert "finance" in {g.name for g in groups.get_all("project").results}
    assert groups.get_by_name("project", "finance").label == "Finance"
    groups.archive("project", "finance")
    assert "finance" not in {g.name for g in groups.get_all("project").results}
