"""Recycle bin and merge: the SOAP partner calls ``undelete`` and ``merge``, and the
control API's equivalent, read back through simple-salesforce's REST queries."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
import requests
from simple_salesforce import Salesforce

from crm_sandbox.core.process import RunningSandbox
from tests.sandbox.salesforce.test_query_api import client

pytestmark = pytest.mark.xdist_group("sf_query")

NS = {
    "soapenv": "http://schemas.xmlsoap.org/soap/envelope/",
    "p": "urn:partner.soap.sforce.com",
}


@pytest.fixture
def org(clean_sandbox: RunningSandbox) -> Iterator[tuple[Salesforce, RunningSandbox]]:
    clean_sandbox.clock(freeze="2026-06-01T12:00:00+00:00")
    yield client(clean_sandbox.env), clean_sandbox


def soap(
    sandbox: RunningSandbox, body: str, session: str | None = None, version: str = "62.0"
) -> requests.Response:
    env = sandbox.env
    token = session or env["CRM_SANDBOX_SF_ACCESS_TOKEN"]
    envelope = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:urn="urn:partner.soap.sforce.com" xmlns:urn1="urn:sobject.partner.soap.sforce.com">'
        f"<soapenv:Header><urn:SessionHeader><urn:sessionId>{token}</urn:sessionId>"
        f"</urn:SessionHeader></soapenv:Header><soapenv:Body>{body}</soapenv:Body>"
        "</soapenv:Envelope>"
    )
    return requests.post(
        f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/Soap/u/{version}",
        data=envelope.encode(),
        headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'},
        verify=env["CRM_SANDBOX_CA_BUNDLE"],
        timeout=30,
    )


def results(reply: requests.Response, operation: str) -> list[dict[str, object]]:
    assert reply.status_code == 200, reply.text
    root = ET.fromstring(reply.content)
    out = []
    for result in root.findall(f"soapenv:Body/p:{operation}Response/p:result", NS):
        entry: dict[str, object] = {}
        for child in result:
            name = child.tag.rpartition("}")[2]
            if name == "errors":
                entry.setdefault("errors", []).append(child.findtext("p:statusCode", None, NS))
            elif name in ("mergedRecordIds", "updatedRelatedIds"):
                entry.setdefault(name, []).append(child.text)
            else:
                entry[name] = child.text
        out.append(entry)
    return out


def row(sf: Salesforce, sobject: str, record_id: str, fields: str) -> dict:
    soql = f"SELECT {fields} FROM {sobject} WHERE Id = '{record_id}'"
    return sf.query_all(soql, include_deleted=True)["records"][0]


def test_soap_undelete_restores_with_a_new_modstamp(org) -> None:
    sf, sandbox = org
    account = sf.Account.create({"Name": "Acme"})["id"]
    project = sf.Project__c.create({"Name": "P", "Budget__c": 10.0, "Account__c": account})["id"]
    sandbox.clock(advance_ms=60_000)
    sf.Project__c.delete(project)
    deleted = row(sf, "Project__c", project, "IsDeleted, SystemModstamp")
    assert deleted["IsDeleted"] is True
    assert sf.query(f"SELECT Id FROM Project__c WHERE Id = '{project}'")["totalSize"] == 0
    assert row(sf, "Account", account, "Total_Project_Budget__c")["Total_Project_Budget__c"] == 0
    sandbox.clock(advance_ms=60_000)
    reply = soap(sandbox, f"<urn:undelete><urn:ids>{project}</urn:ids>"
                          f"<urn:ids>{account}</urn:ids></urn:undelete>")  # fmt: skip
    assert reply.headers["Content-Type"].startswith("text/xml")
    assert results(reply, "undelete") == [
        {"id": project, "success": "true"},
        {"errors": ["UNDELETE_FAILED"], "id": None, "success": "false"},
    ]
    back = row(sf, "Project__c", project, "IsDeleted, SystemModstamp")
    assert back["IsDeleted"] is False and back["SystemModstamp"] > deleted["SystemModstamp"]
    assert sf.query(f"SELECT Id FROM Project__c WHERE Id = '{project}'")["totalSize"] == 1
    assert row(sf, "Account", account, "Total_Project_Budget__c")["Total_Project_Budget__c"] == 10


def test_soap_faults(org) -> None:
    _, sandbox = org
    bad = soap(sandbox, "<urn:undelete><urn:ids>001000000000001AAA</urn:ids></urn:undelete>",
               session="not-a-session")  # fmt: skip
    assert bad.status_code == 500
    fault = ET.fromstring(bad.content).find("soapenv:Body/soapenv:Fault", NS)
    assert fault is not None and fault.findtext("faultcode") == "sf:INVALID_SESSION_ID"
    unknown = soap(sandbox, "<urn:frobnicate/>")
    assert unknown.status_code == 500 and "No operation available" in unknown.text


@pytest.mark.parametrize("version", ["30.0", "69.0", "v62.0"])
def test_soap_at_a_version_the_org_does_not_serve(org, version: str) -> None:
    """Retired (v21.0-v30.0), unreleased, or written with REST's "v": Salesforce's
    UNSUPPORTED_API_VERSION fault, before the call is looked at."""
    _, sandbox = org
    call = "<urn:undelete><urn:ids>001000000000001AAA</urn:ids></urn:undelete>"
    bad = soap(sandbox, call, version=version)
    assert bad.status_code == 500
    fault = ET.fromstring(bad.content).find("soapenv:Body/soapenv:Fault", NS)
    assert fault is not None and fault.findtext("faultcode") == "sf:UNSUPPORTED_API_VERSION"
    assert fault.findtext("faultstring") == (
        "UNSUPPORTED_API_VERSION: Invalid Api version specified on URL"
    )


def test_control_api_undelete(org) -> None:
    sf, sandbox = org
    contact = sf.Contact.create({"LastName": "Lovelace"})["id"]
    sf.Contact.delete(contact)
    reply = sandbox.control("POST", "salesforce/undelete", {"ids": [contact, "bogus"]})
    assert [(r["id"], r["success"]) for r in reply] == [(contact, True), (None, False)]
    assert reply[1]["errors"][0]["statusCode"] == "MALFORMED_ID"
    assert sf.Contact.get(contact)["IsDeleted"] is False


def test_soap_account_merge_reparents_children_and_deletes_losers(org) -> None:
    sf, sandbox = org
    winner = sf.Account.create({"Name": "Acme Inc"})["id"]
    loser = sf.Account.create({"Name": "ACME", "Phone": "555"})["id"]
    contact = sf.Contact.create({"LastName": "Ada", "AccountId": loser})["id"]
    project = sf.Project__c.create({"Name": "P", "Budget__c": 5.0, "Account__c": loser})["id"]
    task = sf.Task.create({"Subject": "Call", "WhatId": loser, "WhoId": contact})["id"]
    sf.Project__c.create({"Name": "Q", "Budget__c": 7.0, "Account__c": winner})
    before = row(sf, "Project__c", project, "SystemModstamp")["SystemModstamp"]
    sandbox.clock(advance_ms=60_000)
    reply = soap(
        sandbox,
        "<urn:merge><urn:request><urn:masterRecord><urn1:type>Account</urn1:type>"
        f"<urn1:Id>{winner}</urn1:Id><Phone>555</Phone></urn:masterRecord>"
        f"<urn:recordToMergeIds>{loser}</urn:recordToMergeIds></urn:request></urn:merge>",
    )
    [result] = results(reply, "merge")
    assert (result["id"], result["success"], result["mergedRecordIds"]) == (
        winner, "true", [loser],
    )  # fmt: skip
    assert set(result["updatedRelatedIds"]) == {contact, project, task}
    gone = row(sf, "Account", loser, "IsDeleted, MasterRecordId")
    assert gone == {**gone, "IsDeleted": True, "MasterRecordId": winner}
    assert sf.query(f"SELECT Id FROM Account WHERE Id = '{loser}'")["totalSize"] == 0
    moved = row(sf, "Project__c", project, "Account__c, SystemModstamp")
    assert moved["Account__c"] == winner and moved["SystemModstamp"] > before
    assert row(sf, "Contact", contact, "AccountId")["AccountId"] == winner
    assert row(sf, "Task", task, "WhatId")["WhatId"] == winner
    master = row(sf, "Account", winner, "Phone, Total_Project_Budget__c, Number_Of_Projects__c")
    assert (master["Phone"], master["Total_Project_Budget__c"]) == ("555", 12.0)
    assert master["Number_Of_Projects__c"] == 2


def test_contact_merge_through_the_control_api(org) -> None:
    sf, sandbox = org
    keep = sf.Contact.create({"LastName": "Keep"})["id"]
    drop = sf.Contact.create({"LastName": "Drop"})["id"]
    task = sf.Task.create({"Subject": "Email", "WhoId": drop})["id"]
    result = sandbox.control(
        "POST", "salesforce/merge", {"object": "Contact", "master": keep, "merge": [drop]}
    )
    assert result["success"] and result["updatedRelatedIds"] == [task]
    assert row(sf, "Task", task, "WhoId")["WhoId"] == keep
    assert row(sf, "Contact", drop, "MasterRecordId")["MasterRecordId"] == keep
    refused = sandbox.control(
        "POST", "salesforce/merge", {"object": "Contact", "master": keep, "merge": [drop]}
    )
    assert not refused["success"] and refused["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"


def test_merge_accepts_other_request_element_names_and_refuses_other_types(org) -> None:
    """jsforce 3 wraps each request in <mergeRequests>; an Opportunity cannot merge."""
    sf, sandbox = org
    keep, drop = (sf.Lead.create({"LastName": n, "Company": "X"})["id"] for n in ("K", "D"))
    reply = soap(
        sandbox,
        "<urn:merge><urn:mergeRequests><urn:masterRecord><urn1:type>Lead</urn1:type>"
        f"<urn1:Id>{keep}</urn1:Id></urn:masterRecord><urn:recordToMergeIds>{drop}"
        "</urn:recordToMergeIds></urn:mergeRequests></urn:merge>",
    )
    assert results(reply, "merge")[0]["mergedRecordIds"] == [drop]
    opps = [
        sf.Opportunity.create({"Name": n, "StageName": "Prospecting", "CloseDate": "2026-12-01"})
        for n in ("A", "B")
    ]
    refused = soap(
        sandbox,
        "<urn:merge><urn:request><urn:masterRecord><urn1:type>Opportunity</urn1:type>"
        f"<urn1:Id>{opps[0]['id']}</urn1:Id></urn:masterRecord><urn:recordToMergeIds>"
        f"{opps[1]['id']}</urn:recordToMergeIds></urn:request></urn:merge>",
    )
    assert refused.status_code == 500
    fault = ET.fromstring(refused.content).find("soapenv:Body/soapenv:Fault", NS)
    assert fault is not None and fault.findtext("faultcode") == "sf:INVALID_TYPE_FOR_OPERATION"
