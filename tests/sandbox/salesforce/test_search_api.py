"""SOSL through simple-salesforce's ``sf.search`` / ``sf.quick_search``, and parameterizedSearch."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox.core.process import RunningSandbox
from tests.sandbox.salesforce.test_query_api import client

pytestmark = pytest.mark.xdist_group("sf_query")


@pytest.fixture
def org(clean_sandbox: RunningSandbox) -> Salesforce:
    sf = client(clean_sandbox.env)
    for name, site in [
        ("Acme Corporation", "acme.example.com"),
        ("Acme Labs", None),
        ("Globex", "globex.example.com"),
        ("Initech", None),
    ]:
        sf.Account.create({"Name": name, "Website": site})
    sf.Contact.create({"LastName": "Runner", "FirstName": "Road", "Email": "road@acme.example.com"})
    sf.Contact.create({"LastName": "Coyote", "FirstName": "Wile", "Email": "wile@globex.test"})
    gone = sf.Account.create({"Name": "Acme Deleted"})["id"]
    sf.Account.delete(gone)
    return sf


def names(reply: dict) -> list[str]:
    return [r.get("Name") for r in reply["searchRecords"]]


def test_find_returning_with_soql_clauses(org: Salesforce) -> None:
    reply = org.search(
        "FIND {acme} IN ALL FIELDS RETURNING Account(Id, Name WHERE Name != 'Acme Labs' "
        "ORDER BY Name), Contact(Id, Name, Email)"
    )
    records = reply["searchRecords"]
    assert [(r["attributes"]["type"], r["Name"]) for r in records] == [
        ("Account", "Acme Corporation"),
        ("Contact", "Road Runner"),  # matched through its email's "acme" token
    ]
    assert list(records[0]) == ["attributes", "Id", "Name"]
    assert records[0]["attributes"]["url"].endswith(records[0]["Id"])


def test_quick_search_returns_ids_of_every_object(org: Salesforce) -> None:
    reply = org.quick_search("globex")
    kinds = sorted(r["attributes"]["type"] for r in reply["searchRecords"])
    assert kinds == ["Account", "Contact"]
    assert all(list(r) == ["attributes", "Id"] for r in reply["searchRecords"])


def test_term_operators_and_field_groups(org: Salesforce) -> None:
    def find(term: str, rest: str = "RETURNING Account(Name ORDER BY Name)") -> list[str]:
        return names(org.search(f"FIND {{{term}}} {rest}"))

    assert find("acm*") == ["Acme Corporation", "Acme Labs"]
    assert find("acm*", "RETURNING Account(Name ORDER BY Name DESC LIMIT 1 OFFSET 1)") == [
        "Acme Corporation"
    ]
    assert find('"acme labs"') == ["Acme Labs"]
    assert find("acme AND NOT labs") == ["Acme Corporation"]
    assert find("(labs OR globex) AND NOT initech") == ["Acme Labs", "Globex"]
    assert find("acme corporation") == ["Acme Corporation"]  # implicit AND
    assert find("acme.example.com") == ["Acme Corporation"]  # consecutive tokens
    assert find("acme", "IN NAME FIELDS RETURNING Account(Name ORDER BY Name) LIMIT 1") == [
        "Acme Corporation"
    ]
    emails = org.search("FIND {acme} IN EMAIL FIELDS RETURNING Account(Name), Contact(Email)")
    assert [r["Email"] for r in emails["searchRecords"]] == ["road@acme.example.com"]


def test_parameterized_search(org: Salesforce) -> None:
    posted = org.restful(
        "parameterizedSearch",
        method="POST",
        json={
            "q": "acme",
            "fields": ["Id", "Name"],
            "sobjects": [{"name": "Account", "where": "Website != null", "limit": 5}],
            "in": "ALL",
            "overallLimit": 10,
        },
    )
    assert names(posted) == ["Acme Corporation"]
    got = org.restful(
        "parameterizedSearch",
        params={"q": "acme", "sobject": "Account", "Account.fields": "Name", "Account.limit": 1},
    )
    assert names(got) == ["Acme Corporation"]


def test_search_errors(org: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as no_braces:
        org.search("FIND acme")
    assert no_braces.value.content[0]["errorCode"] == "MALFORMED_SEARCH"
    with pytest.raises(SalesforceMalformedRequest) as bad_group:
        org.search("FIND {acme} IN COLOR FIELDS")
    assert "unexpected token: 'COLOR'" in bad_group.value.content[0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as short:
        org.search("FIND {a}")
    assert "longer than one character" in short.value.content[0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as bad_object:
        org.search("FIND {acme} RETURNING Nope__c(Id)")
    assert bad_object.value.content[0]["errorCode"] == "INVALID_TYPE"
    with pytest.raises(SalesforceMalformedRequest) as bad_field:
        org.search("FIND {acme} RETURNING Account(Nme)")
    assert bad_field.value.content[0]["errorCode"] == "INVALID_FIELD"
