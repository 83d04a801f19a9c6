"""The Composite API through simple-salesforce's ``sf.restful('composite', ...)``."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox.core.process import RunningSandbox
from tests.sandbox.salesforce.test_query_api import client

pytestmark = pytest.mark.xdist_group("sf_query")

V = "/services/data/v62.0"
HALTED = "The transaction was rolled back since another operation in the same transaction failed."


def sub(ref: str, method: str, url: str, body: Any = None) -> dict[str, Any]:
    request = {"method": method, "url": V + url, "referenceId": ref}
    if body is not None:
        request["body"] = body
    return request


def test_references_chain_subrequests(clean_sandbox: RunningSandbox) -> None:
    sf = client(clean_sandbox.env)
    clean_sandbox.clear_stats()
    reply = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "collateSubrequests": False,
            "compositeRequest": [
                sub("acct", "POST", "/sobjects/Account", {"Name": "Composite Co"}),
                sub(
                    "proj",
                    "POST",
                    "/sobjects/Project__c",
                    {"Name": "P1", "Account__c": "@{acct.id}"},
                ),
                sub("read", "GET", "/query?q=SELECT+Id,Account__c,Account__r.Name+FROM+Project__c"),
                sub(
                    "rename",
                    "PATCH",
                    "/sobjects/Account/@{read.records[0].Account__c}",
                    {"Name": "Renamed Co"},
                ),
                sub("check", "GET", "/sobjects/Project__c/@{proj.id}?fields=Name,Account__c"),
            ],
        },
    )
    results = {r["referenceId"]: r for r in reply["compositeResponse"]}
    assert list(results) == ["acct", "proj", "read", "rename", "check"]
    acct_id = results["acct"]["body"]["id"]
    assert results["acct"]["httpStatusCode"] == 201
    assert results["acct"]["httpHeaders"] == {"Location": f"{V}/sobjects/Account/{acct_id}"}
    assert results["read"]["body"]["records"][0]["Account__r"]["Name"] == "Composite Co"
    assert (results["rename"]["httpStatusCode"], results["rename"]["body"]) == (204, None)
    assert results["check"]["body"]["Account__c"] == acct_id
    assert sf.Account.get(acct_id)["Name"] == "Renamed Co"
    calls = clean_sandbox.stats()["salesforce"]["calls"]
    assert calls["POST /services/data/v{version}/composite"] == 1  # one call, five subrequests
    assert sum(calls.values()) == 2


def test_all_or_none_rolls_everything_back(clean_sandbox: RunningSandbox) -> None:
    sf = client(clean_sandbox.env)
    reply = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                sub("good", "POST", "/sobjects/Account", {"Name": "Kept?"}),
                sub("bad", "POST", "/sobjects/Account", {"Nme": "typo"}),
                sub("after", "GET", "/sobjects/Account/@{good.id}"),
            ],
        },
    )
    good, bad, after = reply["compositeResponse"]
    assert bad["httpStatusCode"] == 400 and bad["body"][0]["errorCode"] == "INVALID_FIELD"
    for halted in (good, after):
        assert halted["httpStatusCode"] == 400
        assert halted["body"] == [{"errorCode": "PROCESSING_HALTED", "message": HALTED}]
    assert sf.query("SELECT Id FROM Account")["totalSize"] == 0


def test_without_all_or_none_later_work_stays(clean_sandbox: RunningSandbox) -> None:
    sf = client(clean_sandbox.env)
    reply = sf.restful(
        "composite",
        method="POST",
        json={
            "compositeRequest": [
                sub("bad", "POST", "/sobjects/Account", {"Nme": "typo"}),
                sub("uses_bad", "GET", "/sobjects/Account/@{bad.id}"),
                sub("good", "POST", "/sobjects/Account", {"Name": "Stays"}),
            ]
        },
    )
    bad, uses_bad, good = reply["compositeResponse"]
    assert bad["httpStatusCode"] == 400 and good["httpStatusCode"] == 201
    assert uses_bad["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert "Invalid reference specified" in uses_bad["body"][0]["message"]
    assert [r["Name"] for r in sf.query("SELECT Name FROM Account")["records"]] == ["Stays"]


def test_graph_and_request_errors(clean_sandbox: RunningSandbox) -> None:
    sf = client(clean_sandbox.env)
    reply = sf.restful(
        "composite/graph",
        method="POST",
        json={
            "graphs": [
                {"graphId": "ok", "compositeRequest": [
                    sub("a", "POST", "/sobjects/Account", {"Name": "Graph A"})]},
                {"graphId": "ko", "compositeRequest": [
                    sub("b", "POST", "/sobjects/Account", {"Name": "Graph B"}),
                    sub("c", "POST", "/sobjects/Account", {"Nme": "typo"})]},
            ]
        },
    )  # fmt: skip
    graphs = {g["graphId"]: g for g in reply["graphs"]}
    assert graphs["ok"]["isSuccessful"] and not graphs["ko"]["isSuccessful"]
    names = [r["Name"] for r in sf.query("SELECT Name FROM Account")["records"]]
    assert names == ["Graph A"]
    assert sf.restful("composite")["sobjects"] == f"{V}/composite/sobjects"
    too_many = [sub(f"r{i}", "GET", "/limits") for i in range(26)]
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful("composite", method="POST", json={"compositeRequest": too_many})
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful("composite", method="POST", json={"compositeRequest": [
            sub("dup", "GET", "/limits"), sub("dup", "GET", "/limits")]})  # fmt: skip
