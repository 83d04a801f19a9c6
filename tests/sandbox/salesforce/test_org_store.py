"""The org model without HTTP: schema of Project__c, DML validation, seeding."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_sandbox.core.clock import Clock
from crm_sandbox.core.db import Database
from crm_sandbox.salesforce.describe import describe_object
from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.org import default_schema
from crm_sandbox.salesforce.seed import seed_org
from crm_sandbox.salesforce.store import MultipleMatches, SalesforceStore

USER = "0055g0000049ABCAAA"


@pytest.fixture
def store(tmp_path: Path) -> SalesforceStore:
    return SalesforceStore(Database(tmp_path / "sf.db"), default_schema(), Clock(), USER)


def codes(results) -> list[str | None]:
    return [r.errors[0].status_code if r.errors else None for r in results]


def test_key_prefixes_are_real() -> None:
    prefixes = {o.name: o.key_prefix for o in default_schema().objects()}
    assert prefixes == {
        "Account": "001", "Contact": "003", "Opportunity": "006", "Case": "500",
        "Campaign": "701", "CampaignMember": "00v", "Product2": "01t", "User": "005",
        "Project__c": "a0X", "Lead": "00Q", "Task": "00T", "Organization": "00D",
    }  # fmt: skip


def test_project_describe_matches_spec() -> None:
    schema = default_schema()
    body = describe_object(schema, schema.object("Project__c"), "62.0")
    fields = {f["name"]: f for f in body["fields"]}
    expected = {
        "Name": ("string", "xsd:string"), "Description__c": ("textarea", "xsd:string"),
        "Status__c": ("picklist", "xsd:string"), "Tags__c": ("multipicklist", "xsd:string"),
        "Budget__c": ("currency", "xsd:double"), "Completion__c": ("percent", "xsd:double"),
        "Priority__c": ("double", "xsd:double"), "Is_Active__c": ("boolean", "xsd:boolean"),
        "Start_Date__c": ("date", "xsd:date"), "Kickoff__c": ("datetime", "xsd:dateTime"),
        "Contact_Email__c": ("email", "xsd:string"), "Phone__c": ("phone", "xsd:string"),
        "Website__c": ("url", "xsd:string"), "Account__c": ("reference", "tns:ID"),
        "Primary_Contact__c": ("reference", "tns:ID"), "HubSpot_Id__c": ("string", "xsd:string"),
        "Id": ("id", "tns:ID"), "SystemModstamp": ("datetime", "xsd:dateTime"),
    }  # fmt: skip
    for name, (ftype, soap) in expected.items():
        assert (fields[name]["type"], fields[name]["soapType"]) == (ftype, soap), name
        assert fields[name]["custom"] is name.endswith("__c")
    assert (fields["Budget__c"]["precision"], fields["Budget__c"]["scale"]) == (16, 2)
    assert (fields["Priority__c"]["precision"], fields["Priority__c"]["scale"]) == (3, 0)
    assert fields["Description__c"]["length"] == 32768
    assert fields["Description__c"]["filterable"] is False
    status = fields["Status__c"]
    assert status["restrictedPicklist"] is True
    assert {"Draft", "In Progress", "Done"} <= {v["value"] for v in status["picklistValues"]}
    assert set(status["picklistValues"][0]) == {
        "active",
        "defaultValue",
        "label",
        "validFor",
        "value",
    }
    ext = fields["HubSpot_Id__c"]
    assert (ext["externalId"], ext["idLookup"], ext["unique"]) == (True, True, True)
    assert fields["Id"]["idLookup"] is True and fields["Id"]["createable"] is False
    for system in ("CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted"):
        assert not fields[system]["createable"] and not fields[system]["updateable"]
        assert fields[system]["nillable"] is False
    account = fields["Account__c"]
    assert (account["referenceTo"], account["relationshipName"]) == (["Account"], "Account__r")
    assert fields["Primary_Contact__c"]["relationshipName"] == "Primary_Contact__r"
    assert (
        fields["Is_Active__c"]["nillable"] is False
        and fields["Is_Active__c"]["defaultValue"] is False
    )
    assert fields["Name"]["nameField"] is True
    account_describe = describe_object(schema, schema.object("Account"), "62.0")
    children = {
        (c["childSObject"], c["relationshipName"]) for c in account_describe["childRelationships"]
    }
    assert ("Project__c", "Projects__r") in children and ("Contact", "Contacts") in children


def test_create_validates_like_salesforce(store: SalesforceStore) -> None:
    acct = store.create("Account", {"Name": "Acme"})
    assert acct.success and acct.id.startswith("001") and len(acct.id) == 18
    results = store.create_many(
        "Project__c",
        [
            {"Name": "ok", "Account__c": acct.id, "Tags__c": "Web;AI;Web"},
            {"Name": "x" * 81},
            {"Status__c": "Nope"},
            {"Account__c": "not-an-id"},
            {"Account__c": "003000000000001AAA"},
            {"Account__c": "0015g0000000009AAA"},
            {"CreatedDate": "2024-01-01T00:00:00Z"},
            {"Start_Date__c": "2024-13-45"},
            {"Contact_Email__c": "nope"},
            {"Budget__c": 1e20},
        ],
        refusals=False,
    )
    assert codes(results) == [
        None, "STRING_TOO_LONG", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "MALFORMED_ID",
        "FIELD_INTEGRITY_EXCEPTION", "INVALID_CROSS_REFERENCE_KEY",
        "INVALID_FIELD_FOR_INSERT_UPDATE", "INVALID_TYPE_ON_FIELD_IN_RECORD",
        "INVALID_EMAIL_ADDRESS", "NUMBER_OUTSIDE_VALID_RANGE",
    ]  # fmt: skip
    assert results[1].errors[0].fields == ["Name"]
    assert results[1].errors[0].message == (
        f"Project Name: data value too large: {'x' * 81} (max length=80)"
    )
    missing = store.create("Account", {})
    assert missing.errors[0].message == "Required fields are missing: [Name]"
    assert missing.errors[0].fields == ["Name"]
    row = store.fetch_row(store.object("Project__c"), results[0].id)
    assert row["Tags__c"] == "Web;AI" and row["Status__c"] == "Draft"  # default picklist value
    assert row["Is_Active__c"] == 0 and row["OwnerId"] == USER
    unnamed = store.create("Project__c", {})
    assert store.fetch_row(store.object("Project__c"), unnamed.id)["Name"] == unnamed.id


def test_request_level_errors_raise(store: SalesforceStore) -> None:
    with pytest.raises(SalesforceError) as unknown:
        store.create("Project__c", {"Nope__c": 1})
    assert unknown.value.error_code == "INVALID_FIELD"
    assert unknown.value.message == "No such column 'Nope__c' on sobject of type Project__c"
    with pytest.raises(SalesforceError) as wrong_type:
        store.create("Project__c", {"Budget__c": "lots"})
    assert wrong_type.value.error_code == "JSON_PARSER_ERROR"


def test_all_or_none_rolls_back(store: SalesforceStore) -> None:
    results = store.create_many(
        "Account", [{"Name": "a"}, {}, {"Name": "c"}], all_or_none=True, refusals=False
    )
    assert codes(results) == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK", "REQUIRED_FIELD_MISSING",
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    ]  # fmt: skip
    assert store.counts()["Account"] == 0
    partial = store.create_many("Account", [{"Name": "a"}, {}], refusals=False)
    assert codes(partial) == [None, "REQUIRED_FIELD_MISSING"]
    assert store.counts()["Account"] == 1


def test_upsert_unique_and_multiple_matches(store: SalesforceStore) -> None:
    first = store.upsert("Project__c", "HubSpot_Id__c", "hs-1", {"Name": "one"})
    again = store.upsert("Project__c", "hubspot_id__c", "HS-1", {"Name": "uno"})
    assert (first.created, again.created, again.id) == (True, False, first.id)
    dup = store.create("Project__c", {"HubSpot_Id__c": "hs-1"})
    assert dup.errors[0].status_code == "DUPLICATE_VALUE"
    assert dup.errors[0].message.endswith(f"duplicates value on record with id: {first.id}")
    store.create_many("Contact", [{"LastName": "a", "Email": "x@y.com"}] * 2, refusals=False)
    with pytest.raises(MultipleMatches):
        store.upsert("Contact", "Email", "x@y.com", {"LastName": "b"})
    with pytest.raises(SalesforceError) as bad_field:
        store.upsert("Project__c", "Name", "x", {})
    assert bad_field.value.status == 404


def test_delete_goes_to_recycle_bin(store: SalesforceStore) -> None:
    rec = store.create("Account", {"Name": "Gone"})
    assert store.delete(rec.id).success
    again = store.delete(rec.id)
    assert again.errors[0].status_code == "ENTITY_IS_DELETED"
    row = store.fetch_row(store.object("Account"), rec.id)
    assert row["IsDeleted"] == 1
    assert store.counts()["Account"] == 0
    assert store.update("Account", rec.id, {"Name": "x"}).errors[0].status_code == (
        "ENTITY_IS_DELETED"
    )
    log = store.deleted_records(store.object("Account"), "2000-01-01", "9999-01-01")
    assert [i for i, _ in log] == [rec.id]


def test_refusals_only_in_list_writes(store: SalesforceStore) -> None:
    store.refuse = lambda: True
    assert store.create("Account", {"Name": "single"}).success
    refused = store.create_many("Account", [{"Name": "a"}, {"Name": "b"}])
    assert codes(refused) == ["FIELD_CUSTOM_VALIDATION_EXCEPTION"] * 2


def test_seeding_is_deterministic(tmp_path: Path) -> None:
    clock = Clock()
    clock.freeze()
    rows = []
    for run in ("a", "b"):
        st = SalesforceStore(Database(tmp_path / f"{run}.db"), default_schema(), clock, USER)
        made = seed_org(st, {"Project__c": 300, "Account": 20, "Contact": 30}, seed=7)
        assert made == {"Account": 20, "Contact": 30, "Project__c": 300}
        with st.db.reading() as conn:
            rows.append([tuple(r) for r in conn.execute('SELECT * FROM "sobj_Project__c"')])
        project = st.object("Project__c")
        linked = [r for r in rows[-1] if r[list(project.fields).index("Account__c") + 1]]
        assert linked, "lookups point at seeded accounts"
    assert rows[0] == rows[1]
    other = SalesforceStore(Database(tmp_path / "c.db"), default_schema(), clock, USER)
    seed_org(other, {"Project__c": 300}, seed=8)
    with other.db.reading() as conn:
        assert [tuple(r) for r in conn.execute('SELECT * FROM "sobj_Project__c"')] != rows[0]
