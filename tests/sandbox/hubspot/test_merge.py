"""POST /crm/v3/objects/{type}/merge with HubSpot's semantics: a new record both old ids
read as, the primary's values first, associations carried over, the originals gone."""

from __future__ import annotations

import pytest
from hubspot.crm.companies import PublicMergeInput as CompanyMerge
from hubspot.crm.contacts import PublicMergeInput as ContactMerge
from hubspot.crm.contacts.exceptions import ApiException

from tests.sandbox.hubspot.conftest import body_of


def _contact(hs, **props):
    return hs.crm.contacts.basic_api.create({"properties": props})


def test_merge_makes_a_new_record_that_both_ids_read_as(hs, raw):
    keep = _contact(hs, email="keep@ex.com", firstname="Kim", phone="111")
    lose = _contact(hs, email="lose@ex.com", firstname="Lou", jobtitle="CTO")
    merged = hs.crm.contacts.basic_api.merge(
        ContactMerge(primary_object_id=keep.id, object_id_to_merge=lose.id)
    )
    assert merged.id not in (keep.id, lose.id)
    names = ["email", "firstname", "phone", "jobtitle", "hs_merged_object_ids", "hs_object_id"]
    for old in (keep.id, lose.id):
        assert hs.crm.contacts.basic_api.get_by_id(old, id_property="hs_object_id").id == (
            merged.id
        )
        read = hs.crm.contacts.basic_api.get_by_id(old, properties=names)
        assert read.id == merged.id
    props = read.properties
    assert (props["email"], props["firstname"], props["phone"]) == ("keep@ex.com", "Kim", "111")
    assert props["jobtitle"] == "CTO"  # the secondary fills what the primary lacks
    assert sorted(props["hs_merged_object_ids"].split(";")) == sorted([keep.id, lose.id])
    assert props["hs_object_id"] == merged.id
    listed = [r.id for r in hs.crm.contacts.basic_api.get_page().results]
    assert listed == [merged.id]
    archived = hs.crm.contacts.basic_api.get_page(archived=True).results
    assert archived == []
    search = raw("POST", "/crm/v3/objects/contacts/search", json={}).json()
    assert [r["id"] for r in search["results"]] == [merged.id]
    # both emails now belong to the merged record; the secondary's is an additional email
    for email in ("keep@ex.com", "lose@ex.com"):
        found = hs.crm.contacts.basic_api.get_by_id(
            email, id_property="email", properties=["hs_additional_emails"]
        )
        assert found.id == merged.id
    assert found.properties["hs_additional_emails"] == "lose@ex.com"
    with pytest.raises(ApiException) as info:
        _contact(hs, email="lose@ex.com")
    assert info.value.status == 409
    assert body_of(info.value)["message"] == f"Contact already exists. Existing ID: {merged.id}"


def test_merge_carries_associations_over(hs):
    keep = hs.crm.companies.basic_api.create({"properties": {"name": "Keep"}})
    lose = hs.crm.companies.basic_api.create({"properties": {"name": "Lose"}})
    c1, c2 = _contact(hs, email="c1@ex.com"), _contact(hs, email="c2@ex.com")
    basic = hs.crm.associations.v4.basic_api
    spec = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 280}]
    basic.create("companies", keep.id, "contacts", c1.id, spec)
    basic.create("companies", lose.id, "contacts", c2.id, spec)
    merged = hs.crm.companies.basic_api.merge(
        CompanyMerge(primary_object_id=keep.id, object_id_to_merge=lose.id)
    )
    linked = basic.get_page("companies", merged.id, "contacts").results
    assert sorted(int(r.to_object_id) for r in linked) == sorted([int(c1.id), int(c2.id)])
    back = basic.get_page("contacts", c2.id, "companies").results
    assert [int(r.to_object_id) for r in back] == [int(merged.id)]
    assert {t.type_id for t in back[0].association_types} == {279}


def test_primary_labels_of_the_primary_record_win(hs):
    company_a = hs.crm.companies.basic_api.create({"properties": {"name": "A"}})
    company_b = hs.crm.companies.basic_api.create({"properties": {"name": "B"}})
    keep, lose = _contact(hs, email="k@ex.com"), _contact(hs, email="l@ex.com")
    basic = hs.crm.associations.v4.basic_api
    primary = [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279},
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1},
    ]
    basic.create("contacts", keep.id, "companies", company_a.id, primary)
    basic.create("contacts", lose.id, "companies", company_b.id, primary)
    merged = hs.crm.contacts.basic_api.merge(
        ContactMerge(primary_object_id=keep.id, object_id_to_merge=lose.id)
    )
    links = {
        int(r.to_object_id): {t.type_id for t in r.association_types}
        for r in basic.get_page("contacts", merged.id, "companies").results
    }
    assert links == {int(company_a.id): {279, 1}, int(company_b.id): {279}}


def test_batch_update_drops_a_merged_away_id(hs, raw):
    keep, lose = _contact(hs, email="a@ex.com"), _contact(hs, email="b@ex.com")
    hs.crm.contacts.basic_api.merge(
        ContactMerge(primary_object_id=keep.id, object_id_to_merge=lose.id)
    )
    reply = raw(
        "POST",
        "/crm/v3/objects/contacts/batch/update",
        json={"inputs": [{"id": lose.id, "properties": {"firstname": "X"}}]},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["results"] == []
    read = raw("POST", "/crm/v3/objects/contacts/batch/read", json={"inputs": [{"id": lose.id}]})
    assert read.status_code == 200 and read.json()["results"][0]["id"] not in (keep.id, lose.id)


def test_merge_refusals(hs, raw):
    one = _contact(hs, email="one@ex.com")
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.basic_api.merge(
            ContactMerge(primary_object_id=one.id, object_id_to_merge=one.id)
        )
    assert info.value.status == 400 and body_of(info.value)["category"] == "VALIDATION_ERROR"
    with pytest.raises(ApiException) as info:
        hs.crm.contacts.basic_api.merge(
            ContactMerge(primary_object_id=one.id, object_id_to_merge="999999")
        )
    assert info.value.status == 404
    missing = raw("POST", "/crm/v3/objects/contacts/merge", json={"primaryObjectId": one.id})
    assert missing.status_code == 400
    assert missing.json()["message"] == "Some required fields were not set: [objectIdToMerge]"


def test_custom_objects_merge_under_p_names(raw):
    ids = [
        raw("POST", "/crm/v3/objects/p_project", json={"properties": {"project_name": n}}).json()[
            "id"
        ]
        for n in ("P1", "P2")
    ]
    reply = raw(
        "POST",
        "/crm/v3/objects/p_project/merge",
        json={"primaryObjectId": ids[0], "objectIdToMerge": ids[1]},
    )
    assert reply.status_code == 200, reply.text
    merged = reply.json()
    read = raw("GET", f"/crm/v3/objects/p_project/{ids[1]}?properties=project_name").json()
    assert read["id"] == merged["id"] and read["properties"]["project_name"] == "P1"
