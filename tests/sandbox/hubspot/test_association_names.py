"""The ``type`` names a v3 read (``?associations=``) gives associations, as HubSpot names
them: ``{from}_to_{to}`` in singular API names, ``_unlabeled`` where a Primary exists."""

from __future__ import annotations


def _ids(raw, path, rows):
    return [raw("POST", path, json={"properties": p}).json()["id"] for p in rows]


def _types(reply):
    return sorted((r["id"], r["type"]) for r in reply["results"])


def test_standard_pairs(hs, raw):
    (contact,) = _ids(raw, "/crm/v3/objects/contacts", [{"email": "n@ex.com"}])
    (company,) = _ids(raw, "/crm/v3/objects/companies", [{"name": "Acme"}])
    (deal,) = _ids(raw, "/crm/v3/objects/deals", [{"dealname": "D"}])
    (task,) = _ids(
        raw,
        "/crm/v3/objects/tasks",
        [{"hs_task_subject": "T", "hs_timestamp": "2026-01-01T00:00:00Z"}],
    )
    basic = hs.crm.associations.v4.basic_api
    spec = [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279},
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1},
    ]
    basic.create("contacts", contact, "companies", company, spec)
    basic.create_default("deals", deal, "contacts", contact)
    basic.create_default("tasks", task, "contacts", contact)

    read = raw("GET", f"/crm/v3/objects/companies/{company}?associations=contacts").json()
    assert _types(read["associations"]["contacts"]) == [
        (contact, "company_to_contact"),
        (contact, "company_to_contact_unlabeled"),
    ]
    read = raw(
        "GET", f"/crm/v3/objects/contacts/{contact}?associations=companies,deals,tasks"
    ).json()["associations"]
    assert _types(read["companies"]) == [
        (company, "contact_to_company"),
        (company, "contact_to_company_unlabeled"),
    ]
    assert _types(read["deals"]) == [(deal, "contact_to_deal")]
    assert _types(read["tasks"]) == [(task, "contact_to_task")]
    listed = raw("GET", "/crm/v3/objects/deals?associations=contacts").json()["results"]
    assert _types(listed[0]["associations"]["contacts"]) == [(contact, "deal_to_contact")]


def test_custom_object_pairs(hs, raw):
    (project,) = _ids(raw, "/crm/v3/objects/p_project", [{"project_name": "P"}])
    (contact,) = _ids(raw, "/crm/v3/objects/contacts", [{"email": "p@ex.com"}])
    (company,) = _ids(raw, "/crm/v3/objects/companies", [{"name": "Co"}])
    basic = hs.crm.associations.v4.basic_api
    basic.create_default("p_project", project, "contacts", contact)
    labels = hs.crm.associations.v4.schema.definitions_api.get_all("p_project", "companies")
    label = next(t for t in labels.results if t.label == "Project's company")
    basic.create(
        "p_project",
        project,
        "companies",
        company,
        [{"associationCategory": "USER_DEFINED", "associationTypeId": label.type_id}],
    )
    read = raw(
        "GET", f"/crm/v3/objects/p_project/{project}?associations=contacts,companies"
    ).json()["associations"]
    assert _types(read["contacts"]) == [(contact, "project_to_contact")]
    # The label brings the pair's unlabelled type with it.
    assert _types(read["companies"]) == [
        (company, "project_company"),
        (company, "project_to_company"),
    ]
    back = raw("GET", f"/crm/v3/objects/contacts/{contact}?associations=p_project").json()
    assert _types(back["associations"]["project"]) == [(project, "contact_to_project")]
