"""Custom object schemas through the SDK (which calls /crm-object-schemas/v3/schemas)."""

from __future__ import annotations

import pytest
from hubspot.crm.objects import SimplePublicObjectInputForCreate
from hubspot.crm.schemas import ApiException, ObjectSchemaEgg, ObjectTypeDefinitionPatch

SHIP = {
    "name": "shipment",
    "labels": {"singular": "Shipment", "plural": "Shipments"},
    "primaryDisplayProperty": "tracking",
    "requiredProperties": ["tracking"],
    "searchableProperties": ["tracking"],
    "secondaryDisplayProperties": [],
    "properties": [
        {
            "name": "tracking",
            "label": "Tracking",
            "type": "string",
            "fieldType": "text",
            "hasUniqueValue": True,
        },
        {"name": "weight", "label": "Weight", "type": "number", "fieldType": "number"},
    ],
    "associatedObjects": ["CONTACT"],
}


def test_project_schema_exists_on_an_empty_portal(hs, portal):
    schemas = hs.crm.schemas.core_api.get_all().results
    assert [s.name for s in schemas] == ["project"]
    project = schemas[0]
    pid = portal.env["CRM_SANDBOX_HS_PORTAL_ID"]
    assert project.fully_qualified_name == f"p{pid}_project"
    assert project.object_type_id.startswith("2-")
    assert project.required_properties == ["project_name"]
    assert project.primary_display_property == "project_name"
    props = {p.name: p for p in project.properties}
    assert props["salesforce_id"].has_unique_value is True
    assert props["status"].type == "enumeration"
    assert {o.value for o in props["status"].options} == {
        "draft",
        "planned",
        "in_progress",
        "on_hold",
        "done",
        "cancelled",
    }


def test_schema_lifecycle(hs, portal, raw):
    api = hs.crm.schemas.core_api
    made = api.create(
        ObjectSchemaEgg(
            **{
                "name": SHIP["name"],
                "labels": SHIP["labels"],
                "primary_display_property": "tracking",
                "required_properties": ["tracking"],
                "searchable_properties": ["tracking"],
                "secondary_display_properties": [],
                "properties": SHIP["properties"],
                "associated_objects": ["CONTACT"],
            }
        )
    )
    assert made.object_type_id == f"2-{made.id}"
    assert made.associations[0].to_object_type_id == "0-1"
    pid = portal.env["CRM_SANDBOX_HS_PORTAL_ID"]
    # usable by name, fully qualified name and type id, on both schema paths
    for ref in ("shipment", f"p{pid}_shipment", made.object_type_id):
        assert api.get_by_id(ref).name == "shipment"
        assert raw("GET", f"/crm/v3/schemas/{ref}").json()["id"] == made.id
    patched = api.update(
        "shipment", ObjectTypeDefinitionPatch(searchable_properties=["tracking", "weight"])
    )
    assert patched.searchable_properties == ["tracking", "weight"]
    # records may be created by every form of the type
    objects = hs.crm.objects.basic_api
    rec = objects.create(
        f"p{pid}_shipment",
        SimplePublicObjectInputForCreate(properties={"tracking": "T-1", "weight": 2.5}),
    )
    assert (
        objects.get_by_id(made.object_type_id, rec.id, properties=["weight"]).properties["weight"]
        == "2.5"
    )
    # a schema with live records is not deleted
    with pytest.raises(ApiException) as info:
        api.archive("shipment")
    assert info.value.status == 400
    objects.archive("shipment", rec.id)
    api.archive("shipment")
    assert [s.name for s in api.get_all().results] == ["project"]


def test_duplicate_name_and_bad_references_are_refused(hs):
    api = hs.crm.schemas.core_api
    with pytest.raises(ApiException) as info:
        api.create(
            ObjectSchemaEgg(
                name="project",
                labels={"singular": "P", "plural": "Ps"},
                required_properties=[],
                properties=[],
                associated_objects=[],
            )
        )
    assert info.value.status == 409
    with pytest.raises(ApiException) as info:
        api.create(
            ObjectSchemaEgg(
                name="thing",
                labels={"singular": "T", "plural": "Ts"},
                required_properties=["nope"],
                properties=[],
                associated_objects=[],
            )
        )
    assert info.value.status == 400


def test_at_most_ten_unique_properties(hs):
    props = [
        {
            "name": f"u{i}",
            "label": f"U{i}",
            "type": "string",
            "fieldType": "text",
            "hasUniqueValue": True,
        }
        for i in range(11)
    ]
    with pytest.raises(ApiException) as info:
        hs.crm.schemas.core_api.create(
            ObjectSchemaEgg(
                name="many",
                labels={"singular": "M", "plural": "Ms"},
                required_properties=[],
                properties=props,
                associated_objects=[],
            )
        )
    assert info.value.status == 400


def test_custom_object_count_limit(hs):
    api = hs.crm.schemas.core_api
    made = 1  # project
    with pytest.raises(ApiException) as info:
        while made <= 10:
            api.create(
                ObjectSchemaEgg(
                    name=f"obj{made}",
                    labels={"singular": "O", "plural": "Os"},
                    required_properties=[],
                    associated_objects=[],
                    properties=[{"name": "n", "label": "N", "type": "string", "fieldType": "text"}],
                )
            )
            made += 1
    assert made == 10 and info.value.status == 400


def test_unknown_object_type(raw):
    reply = raw("GET", "/crm/v3/objects/nothing_here")
    assert reply.status_code == 400
    assert reply.json()["message"] == "Unable to infer object type from: nothing_here"
