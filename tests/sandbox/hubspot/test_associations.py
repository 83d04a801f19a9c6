"""v4 associations through the SDK: labels, record-level and batch calls."""

from __future__ import annotations

import json

import pytest
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
)
from hubspot.crm.associations.v4.exceptions import ApiException
from hubspot.crm.associations.v4.schema import PublicAssociationDefinitionCreateRequest
from hubspot.crm.objects import BatchInputSimplePublicObjectBatchInputForCreate


def _make(hs, ot, rows):
    made = hs.crm.objects.batch_api.create(
        ot,
        BatchInputSimplePublicObjectBatchInputForCreate(inputs=[{"properties": p} for p in rows]),
    )
    return [int(r.id) for r in made.results]


@pytest.fixture
def records(hs):
    contacts = _make(hs, "contacts", [{"email": f"c{i}@ex.com"} for i in range(3)])
    companies = _make(hs, "companies", [{"name": f"Co {i}"} for i in range(2)])
    projects = _make(hs, "project", [{"project_name": f"P{i}"} for i in range(2)])
    return contacts, companies, projects


def test_default_labels_have_hubspot_ids(hs):
    labels = hs.crm.associations.v4.schema.definitions_api
    ids = {(r.type_id, r.label) for r in labels.get_all("contacts", "companies").results}
    assert {(279, None), (1, "Primary")} <= ids
    assert {(280, None), (2, "Primary")} <= {
        (r.type_id, r.label) for r in labels.get_all("companies", "contacts").results
    }
    assert {r.type_id for r in labels.get_all("deals", "contacts").results} == {3}
    assert 341 in {r.type_id for r in labels.get_all("0-3", "0-2").results}
    custom = labels.get_all("project", "contacts").results
    assert len(custom) == 1 and custom[0].category == "USER_DEFINED"


def test_record_level_put_list_delete(hs, records):
    contacts, companies, _ = records
    basic = hs.crm.associations.v4.basic_api
    made = basic.create(
        "contacts",
        contacts[0],
        "companies",
        companies[0],
        [
            AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=279),
            AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1),
        ],
    )
    assert int(made.from_object_id) == contacts[0] and made.to_object_type_id == "0-2"
    assert made.labels == ["Primary"]
    back = basic.get_page("companies", companies[0], "contacts").results
    assert int(back[0].to_object_id) == contacts[0]
    assert {t.type_id for t in back[0].association_types} == {280, 2}
    default = basic.create_default("contacts", contacts[1], "companies", companies[1])
    assert default.results[0].association_spec.association_type_id == 279
    basic.archive("contacts", contacts[0], "companies", companies[0])
    assert basic.get_page("contacts", contacts[0], "companies").results == []
    with pytest.raises(ApiException) as info:
        basic.create(
            "contacts",
            contacts[0],
            "companies",
            companies[0],
            [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=3)],
        )
    assert info.value.status == 400


def test_batch_create_read_archive_with_custom_object(hs, records):
    contacts, _, projects = records
    type_id = (
        hs.crm.associations.v4.schema.definitions_api.get_all("project", "contacts")
        .results[0]
        .type_id
    )
    batch = hs.crm.associations.v4.batch_api
    spec = [{"associationCategory": "USER_DEFINED", "associationTypeId": type_id}]
    made = batch.create(
        "project",
        "contacts",
        BatchInputPublicAssociationMultiPost(
            inputs=[
                {"from": {"id": str(projects[0])}, "to": {"id": str(c)}, "types": spec}
                for c in contacts
            ]
            + [{"from": {"id": str(projects[1])}, "to": {"id": "999999"}, "types": spec}]
        ),
    )
    assert len(made.results) == 3 and made.num_errors == 1
    read = batch.get_page(
        "project",
        "contacts",
        BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[{"id": str(projects[0])}, {"id": str(projects[1])}]
        ),
    )
    assert {int(t.to_object_id) for t in read.results[0].to} == set(contacts)
    assert read.num_errors == 1
    batch.archive(
        "project",
        "contacts",
        BatchInputPublicAssociationMultiArchive(
            inputs=[{"from": {"id": str(projects[0])}, "to": [{"id": str(contacts[0])}]}]
        ),
    )
    read = batch.get_page(
        "contacts",
        "project",
        BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[{"id": str(contacts[0])}, {"id": str(contacts[1])}]
        ),
    )
    assert [r._from.id for r in read.results] == [str(contacts[1])]
    default = batch.create_default(
        "contacts",
        "companies",
        BatchInputPublicDefaultAssociationMultiPost(
            inputs=[{"from": {"id": str(contacts[2])}, "to": {"id": str(records[1][0])}}]
        ),
    )
    assert {r.association_spec.association_type_id for r in default.results} == {279, 280}


def test_batch_default_names_each_missing_end(raw, records):
    """One call, ends looked up together: good pairs linked (a repeat once), each pair
    with a missing or archived end refused with its own context, the rest kept."""
    contacts, companies, _ = records
    assert raw("DELETE", f"/crm/v3/objects/companies/{companies[1]}").status_code == 204
    pairs = [
        (contacts[0], companies[0]),
        (999999, companies[0]),
        (contacts[1], companies[1]),  # archived
        ("not-a-number", companies[0]),
        (contacts[0], companies[0]),
        (contacts[2], companies[0]),
    ]
    reply = raw(
        "POST",
        "/crm/v4/associations/contacts/companies/batch/associate/default",
        json={"inputs": [{"from": {"id": str(f)}, "to": {"id": str(t)}} for f, t in pairs]},
    )
    assert reply.status_code == 207
    body = reply.json()
    assert body["numErrors"] == 3
    assert [e["context"] for e in body["errors"]] == [
        {"fromId": ["999999"], "toId": [str(companies[0])]},
        {"fromId": [str(contacts[1])], "toId": [str(companies[1])]},
        {"fromId": ["not-a-number"], "toId": [str(companies[0])]},
    ]
    assert f"with id {companies[1]} exists" in body["errors"][1]["message"]
    made = [(r["from"]["id"], r["to"]["id"]) for r in body["results"]]
    assert made == [
        (str(contacts[0]), str(companies[0])),
        (str(companies[0]), str(contacts[0])),
    ] * 2 + [(str(contacts[2]), str(companies[0])), (str(companies[0]), str(contacts[2]))]
    listed = raw("GET", f"/crm/v4/objects/companies/{companies[0]}/associations/contacts")
    assert sorted(r["toObjectId"] for r in listed.json()["results"]) == [
        contacts[0],
        contacts[2],
    ]
    assert {t["typeId"] for t in listed.json()["results"][0]["associationTypes"]} == {280}


def test_user_defined_labels(hs, records):
    contacts, companies, _ = records
    defs = hs.crm.associations.v4.schema.definitions_api
    made = defs.create(
        "contacts",
        "companies",
        PublicAssociationDefinitionCreateRequest(label="Billing contact", name="billing_contact"),
    ).results
    assert len(made) == 2 and all(t.category == "USER_DEFINED" for t in made)
    forward = next(
        t for t in defs.get_all("contacts", "companies").results if t.label == "Billing contact"
    )
    result = hs.crm.associations.v4.basic_api.create(
        "contacts",
        contacts[0],
        "companies",
        companies[0],
        [AssociationSpec(association_category="USER_DEFINED", association_type_id=forward.type_id)],
    )
    assert result.labels == ["Billing contact"]
    defs.remove("contacts", "companies", forward.type_id)
    assert "Billing contact" not in {t.label for t in defs.get_all("contacts", "companies").results}


def test_batch_create_replies_pair_by_pair(raw, hs, records):
    """``batch/create`` (written set-based): each pair's reply lists the labels it holds
    after the call, earlier ones included; each refused input is an error of its own."""
    contacts, companies, _ = records
    label = hs.crm.associations.v4.schema.definitions_api.create(
        "contacts",
        "companies",
        PublicAssociationDefinitionCreateRequest(label="Billing contact", name="billing_contact"),
    ).results
    billing = next(t.type_id for t in label if t.category == "USER_DEFINED")
    labelled = [{"associationCategory": "USER_DEFINED", "associationTypeId": billing}]
    plain = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]
    path = "/crm/v4/associations/contacts/companies/batch/create"

    def create(*inputs):
        reply = raw("POST", path, json={"inputs": [
            {"from": {"id": str(f)}, "to": {"id": str(t)}, "types": types}
            for f, t, types in inputs
        ]})  # fmt: skip
        return reply.status_code, reply.json()

    status, body = create(
        (contacts[0], companies[0], labelled),
        (contacts[1], companies[0], plain),
        (999999, companies[0], plain),
        (
            contacts[2],
            companies[0],
            [{"associationCategory": "USER_DEFINED", "associationTypeId": 99999}],
        ),
        (contacts[2], companies[1], []),
    )
    assert status == 207
    assert [(r["fromObjectId"], r["toObjectId"], r["labels"]) for r in body["results"]] == [
        (contacts[0], companies[0], ["Billing contact"]),
        (contacts[1], companies[0], []),
    ]
    assert [e["context"] for e in body["errors"]] == [
        {"fromId": ["999999"], "toId": [str(companies[0])]},
        {
            "associationSpec": ["USER_DEFINED=99999"],
            "INVALID_ASSOCIATION_TYPE_ID": [
                "USER_DEFINED=99999 is not a valid association definition id"
            ],
        },
        {"fromId": [str(contacts[2])], "toId": [str(companies[1])]},
    ]
    # a pair that holds a label already lists it; one pair twice in a batch goes in order
    status, body = create(
        (contacts[0], companies[0], plain),
        (contacts[1], companies[0], labelled),
        (contacts[1], companies[0], plain),
    )
    assert status == 201
    assert [r["labels"] for r in body["results"]] == [["Billing contact"]] * 3
    listed = raw("GET", f"/crm/v4/objects/companies/{companies[0]}/associations/contacts")
    kinds = {r["toObjectId"]: {t["label"] for t in r["associationTypes"]}
             for r in listed.json()["results"]}  # fmt: skip
    assert kinds == {contacts[0]: {None, "Billing contact"}, contacts[1]: {None, "Billing contact"}}


def test_batch_read_takes_up_to_1000_ids(hs, records):
    """HubSpot's associations batch/read takes up to 1,000 ids (changelog, effective
    2025-02-10), ten times the other batch calls; one more is a 400 VALIDATION_ERROR."""
    contacts, companies, _ = records
    hs.crm.associations.v4.basic_api.create_default(
        "contacts", contacts[0], "companies", companies[0]
    )
    batch = hs.crm.associations.v4.batch_api
    ids = [str(contacts[0]), *(str(10_000_000 + i) for i in range(999))]
    read = batch.get_page(
        "contacts",
        "companies",
        BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": i} for i in ids]),
    )
    assert [r._from.id for r in read.results] == [str(contacts[0])]
    assert read.num_errors == 999
    with pytest.raises(ApiException) as info:
        batch.get_page(
            "contacts",
            "companies",
            BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[{"id": i} for i in [*ids, "10000999"]]
            ),
        )
    assert info.value.status == 400
    body = json.loads(info.value.body)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("The maximum number of inputs supported in a batch is 1000")


def test_archiving_a_record_drops_its_links_from_both_ends(hs, records):
    """An archived record leaves no link behind, from its side or from its partners':
    the rows pointing at it are found as its own rows' mirrors (no index on to_id)."""
    contacts, companies, projects = records
    basic = hs.crm.associations.v4.basic_api
    labelled = [
        AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=279),
        AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1),
    ]
    basic.create("contacts", contacts[0], "companies", companies[0], labelled)
    basic.create_default("contacts", contacts[1], "companies", companies[0])
    basic.create_default("contacts", contacts[1], "companies", companies[1])
    basic.create_default("project", projects[0], "companies", companies[0])
    hs.crm.objects.basic_api.archive("companies", str(companies[0]))

    def linked(from_type: str, from_id: int, to_type: str) -> set[int]:
        return {int(r.to_object_id) for r in basic.get_page(from_type, from_id, to_type).results}

    assert linked("contacts", contacts[0], "companies") == set()
    assert linked("contacts", contacts[1], "companies") == {companies[1]}
    assert linked("project", projects[0], "companies") == set()
    assert linked("companies", companies[1], "contacts") == {contacts[1]}
