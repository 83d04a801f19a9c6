"""The org's Organization record through simple-salesforce: ``is_sandbox()``, a query of its
standard fields, its describe, and the writes Salesforce refuses on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox.core.process import RunningSandbox
from tests.sandbox.salesforce.test_query_api import client

pytestmark = pytest.mark.xdist_group("sf_org")


@pytest.fixture
def sf(clean_sandbox: RunningSandbox) -> Iterator[Salesforce]:
    yield client(clean_sandbox.env)


def org_id(sf: Salesforce) -> str:
    """The org's Id as the version index's identity URL names it (``/id/{org}/{user}``)."""
    return str(sf.restful("")["identity"]).split("/")[-2]


def test_is_sandbox_reads_the_organization(sf: Salesforce) -> None:
    assert sf.is_sandbox() is False


def test_the_one_organization_record_and_its_fields(sf: Salesforce) -> None:
    reply = sf.query_all(
        "SELECT Id, Name, IsSandbox, OrganizationType, InstanceName, NamespacePrefix, "
        "TrialExpirationDate, LanguageLocaleKey, DefaultLocaleSidKey, TimeZoneSidKey, "
        "FiscalYearStartMonth FROM Organization"
    )
    assert reply["totalSize"] == 1
    org = reply["records"][0]
    assert org["Id"] == org_id(sf) and org["Id"].startswith("00D") and len(org["Id"]) == 18
    assert org["attributes"]["type"] == "Organization"
    assert org["IsSandbox"] is False
    assert org["OrganizationType"] == "Developer Edition"
    assert org["InstanceName"] and org["Name"]
    assert org["NamespacePrefix"] is None and org["TrialExpirationDate"] is None
    assert (org["LanguageLocaleKey"], org["DefaultLocaleSidKey"]) == ("en_US", "en_US")
    assert org["FiscalYearStartMonth"] == 1
    assert sf.Organization.get(org["Id"])["IsSandbox"] is False


def test_describe_says_what_can_be_written(sf: Salesforce) -> None:
    entry = next(o for o in sf.describe()["sobjects"] if o["name"] == "Organization")
    assert entry["keyPrefix"] == "00D" and entry["queryable"] is True
    assert (entry["createable"], entry["deletable"], entry["updateable"]) == (False, False, True)
    fields = {f["name"]: f for f in sf.Organization.describe()["fields"]}
    assert not fields["IsSandbox"]["updateable"] and fields["IsSandbox"]["type"] == "boolean"
    assert fields["OrganizationType"]["type"] == "picklist"
    assert fields["Phone"]["updateable"] and not fields["Phone"]["createable"]


def test_writes_salesforce_refuses(sf: Salesforce) -> None:
    ident = org_id(sf)
    with pytest.raises(SalesforceMalformedRequest) as created:
        sf.Organization.create({"Name": "Second org"})
    assert created.value.content[0]["errorCode"] == "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY"
    assert created.value.content[0]["message"] == "entity type cannot be inserted: Organization"
    with pytest.raises(SalesforceMalformedRequest) as flipped:
        sf.Organization.update(ident, {"IsSandbox": True})
    assert flipped.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    with pytest.raises(SalesforceMalformedRequest):
        sf.Organization.delete(ident)
    # The company profile is what an admin may change.
    assert sf.Organization.update(ident, {"Phone": "+1 415 555 0100"}) == 204
    org = sf.query("SELECT Phone, IsSandbox FROM Organization")["records"][0]
    assert (org["Phone"], org["IsSandbox"]) == ("+1 415 555 0100", False)
    assert sf.query("SELECT COUNT() FROM Organization")["totalSize"] == 1
