"""A label never stands alone: a labelled association brings the pair's default with it.

HubSpot's v4 guide: reads of a labelled pair list the unlabelled type beside the label;
``batch/labels/archive`` of a label keeps the unlabelled association; removing the
default (``batch/archive``, ``DELETE``, or the unlabelled type in ``labels/archive``)
removes every label with it. Driven through hubspot-api-client where it has the call.
"""

from __future__ import annotations

from typing import Any

from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
)

PRIMARY = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}
UNLABELLED = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}
CHILD_TO_PARENT = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 14}


def _ids(raw: Any, path: str, rows: list[dict[str, str]]) -> list[str]:
    return [raw("POST", path, json={"properties": p}).json()["id"] for p in rows]


def _types(hs: Any, from_type: str, from_id: str, to_type: str) -> dict[str, set[int]]:
    """``{to id: {typeId, ...}}`` of one record's associations (v4 record-level read)."""
    page = hs.crm.associations.v4.basic_api.get_page(from_type, from_id, to_type)
    return {str(r.to_object_id): {t.type_id for t in r.association_types} for r in page.results}


def _labels_archive(raw: Any, pair: str, inputs: list[dict[str, Any]]) -> None:
    reply = raw(
        "POST", f"/crm/v4/associations/{pair}/batch/labels/archive", json={"inputs": inputs}
    )
    assert reply.status_code == 204, reply.text


def test_a_labelled_put_also_makes_the_default_and_labels_archive_keeps_it(
    hs: Any, raw: Any
) -> None:
    contact, other = _ids(
        raw, "/crm/v3/objects/contacts", [{"email": "a@ex.com"}, {"email": "b@ex.com"}]
    )
    (company,) = _ids(raw, "/crm/v3/objects/companies", [{"name": "Acme"}])
    basic = hs.crm.associations.v4.basic_api
    made = basic.create(
        "contacts", contact, "companies", company, [AssociationSpec(**_snake(PRIMARY))]
    )
    assert made.labels == ["Primary"]  # the reply lists labels only, not the default
    assert _types(hs, "contacts", contact, "companies") == {company: {1, 279}}
    assert _types(hs, "companies", company, "contacts") == {contact: {2, 280}}

    _labels_archive(
        raw,
        "contacts/companies",
        [{"from": {"id": contact}, "to": {"id": company}, "types": [PRIMARY]}],
    )
    assert _types(hs, "contacts", contact, "companies") == {company: {279}}
    assert _types(hs, "companies", company, "contacts") == {contact: {280}}

    # Archiving the unlabelled type takes every label with it.
    basic.create("contacts", other, "companies", company, [AssociationSpec(**_snake(PRIMARY))])
    _labels_archive(
        raw,
        "contacts/companies",
        [{"from": {"id": other}, "to": {"id": company}, "types": [UNLABELLED]}],
    )
    assert _types(hs, "contacts", other, "companies") == {}
    assert _types(hs, "companies", company, "contacts") == {contact: {280}}


def test_batch_create_and_object_create_make_the_default_batch_archive_removes_all(
    hs: Any, raw: Any
) -> None:
    child, parent = _ids(raw, "/crm/v3/objects/companies", [{"name": "Child"}, {"name": "Parent"}])
    batch = hs.crm.associations.v4.batch_api
    made = batch.create(
        "companies",
        "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[{"from": {"id": child}, "to": {"id": parent}, "types": [CHILD_TO_PARENT]}]
        ),
    )
    assert len(made.results) == 1
    # 14 is child -> parent, 13 parent -> child, 450 the unlabelled company pair.
    assert _types(hs, "companies", child, "companies") == {parent: {14, 450}}
    assert _types(hs, "companies", parent, "companies") == {child: {13, 450}}

    born = raw(
        "POST",
        "/crm/v3/objects/companies",
        json={
            "properties": {"name": "Born"},
            "associations": [{"to": {"id": parent}, "types": [CHILD_TO_PARENT]}],
        },
    ).json()["id"]
    assert _types(hs, "companies", born, "companies") == {parent: {14, 450}}

    read = batch.get_page(
        "companies",
        "companies",
        BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": parent}]),
    )
    assert {
        str(t.to_object_id): sorted((s.type_id, s.label is None) for s in t.association_types)
        for t in read.results[0].to
    } == {child: [(13, False), (450, True)], born: [(13, False), (450, True)]}

    batch.archive(
        "companies",
        "companies",
        BatchInputPublicAssociationMultiArchive(
            inputs=[{"from": {"id": child}, "to": [{"id": parent}]}]
        ),
    )
    assert _types(hs, "companies", child, "companies") == {}
    assert _types(hs, "companies", parent, "companies") == {born: {13, 450}}
    hs.crm.associations.v4.basic_api.archive("companies", born, "companies", parent)
    assert _types(hs, "companies", parent, "companies") == {}


def test_a_default_association_alone_stays_unlabelled(hs: Any, raw: Any) -> None:
    (contact,) = _ids(raw, "/crm/v3/objects/contacts", [{"email": "d@ex.com"}])
    (company,) = _ids(raw, "/crm/v3/objects/companies", [{"name": "Dflt"}])
    hs.crm.associations.v4.basic_api.create_default("contacts", contact, "companies", company)
    assert _types(hs, "contacts", contact, "companies") == {company: {279}}


def _snake(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "association_category": spec["associationCategory"],
        "association_type_id": spec["associationTypeId"],
    }
