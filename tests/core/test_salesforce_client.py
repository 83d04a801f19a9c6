"""crm_sync.salesforce against requests-mock: login flows, re-login, paging, describe, limits."""

from __future__ import annotations

from typing import Any

import pytest
import requests_mock as rm

from crm_sync.http import QuotaExhausted
from crm_sync.salesforce import (
    SalesforceAPIError,
    SalesforceAuthError,
    SalesforceClient,
    SalesforceSettings,
)

LOGIN = "https://login.sf.test"
INSTANCE = "https://org.sf.test"
DATA = f"{INSTANCE}/services/data/v62.0"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"
FAST = {"retry_wait_s": 0.01, "max_retries": 3}


def client(**settings: Any) -> SalesforceClient:
    base: dict[str, Any] = {"login_url": LOGIN, "client_id": "cid", "client_secret": "sec"}
    return SalesforceClient(SalesforceSettings(**{**base, **FAST, **settings}))


def token_reply(token: str = "00D!one") -> dict[str, Any]:
    return {"json": {"access_token": token, "instance_url": INSTANCE, "token_type": "Bearer"}}


def test_login_names_the_instance_and_every_call_carries_the_token() -> None:
    with rm.Mocker() as mock:
        mock.post(TOKEN_URL, **token_reply())
        mock.get(f"{DATA}/sobjects", json={"sobjects": [{"name": "Account"}]})
        c = client()
        assert c.describe_global() == [{"name": "Account"}]
        assert mock.request_history[0].text == (
            "grant_type=client_credentials&client_id=cid&client_secret=sec"
        )
        assert mock.request_history[1].headers["Authorization"] == "Bearer 00D!one"
    assert c.instance_url == INSTANCE
    assert c.counter.routes["GET /sobjects"] == 1


def test_a_rejected_session_logs_in_again_and_resends_the_same_call() -> None:
    expired = [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}]
    with rm.Mocker() as mock:
        mock.post(TOKEN_URL, [token_reply("00D!one"), token_reply("00D!two")])
        mock.get(f"{DATA}/limits", [{"status_code": 401, "json": expired}, {"json": {"a": 1}}])
        c = client()
        assert c.limits() == {"a": 1}
        assert [r.headers.get("Authorization") for r in mock.request_history[1::2]] == [
            "Bearer 00D!one",
            "Bearer 00D!two",
        ]
    assert c.auth.logins == 2


def test_a_refused_login_names_the_flow_and_salesforce_s_reason() -> None:
    with rm.Mocker() as mock:
        mock.post(
            TOKEN_URL,
            status_code=400,
            json={"error": "invalid_grant", "error_description": "authentication failure"},
        )
        with pytest.raises(SalesforceAuthError, match=r"\(password\).*authentication failure"):
            client(username="u", password="p", auth_flow="password").limits()


def test_query_follows_next_records_url_with_the_batch_size_header() -> None:
    with rm.Mocker() as mock:
        mock.post(TOKEN_URL, **token_reply())
        mock.get(
            f"{DATA}/queryAll",
            json={"done": False, "nextRecordsUrl": "/services/data/v62.0/queryAll/01g-2",
                  "records": [{"Id": "1"}, {"Id": "2"}]},
        )  # fmt: skip
        mock.get(f"{DATA}/queryAll/01g-2", json={"done": True, "records": [{"Id": "3"}]})
        c = client()
        rows = list(c.query("SELECT Id FROM Account", include_deleted=True, page_size=200))
        assert [r["Id"] for r in rows] == ["1", "2", "3"]
        pages = [r for r in mock.request_history if "queryAll" in r.url]
        assert all(r.headers["Sforce-Query-Options"] == "batchSize=200" for r in pages)


def test_describe_batches_25_per_call_and_leaves_out_missing_objects() -> None:
    names = [f"O{i}__c" for i in range(26)]

    def batch(request, context):
        results = []
        for sub in request.json()["batchRequests"]:
            name = sub["url"].split("/")[-2]
            if name == "O3__c":
                results.append(
                    {"statusCode": 404, "result": [{"errorCode": "NOT_FOUND", "message": "x"}]}
                )
            else:
                results.append({"statusCode": 200, "result": {"name": name, "fields": []}})
        return {"hasErrors": True, "results": results}

    with rm.Mocker() as mock:
        mock.post(TOKEN_URL, **token_reply())
        mock.post(f"{DATA}/composite/batch", json=batch)
        mock.get(f"{DATA}/sobjects/O25__c/describe", json={"name": "O25__c", "fields": []})
        found = client().describe(names)
    assert list(found) == [n for n in names if n != "O3__c"]
    assert mock.call_count == 3  # token + one batch of 25 + one lone describe


def test_concurrency_limits_are_retried_but_the_daily_quota_stops() -> None:
    concurrent = [
        {
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
            "message": "ConcurrentPerOrgLongTxn Limit exceeded.",
        }
    ]
    daily = [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}]
    with rm.Mocker() as mock:
        mock.post(TOKEN_URL, **token_reply())
        mock.get(f"{DATA}/limits", [{"status_code": 403, "json": concurrent}, {"json": {}}])
        c = client()
        assert c.limits() == {}
        assert c.counter.retries == 1
        mock.get(f"{DATA}/limits", status_code=403, json=daily)
        with pytest.raises(QuotaExhausted, match="daily API limit reached: TotalRequests"):
            c.limits()
        with pytest.raises(QuotaExhausted):  # and no further call is made
            c.describe_global()
        assert not any(r.url.endswith("/sobjects") for r in mock.request_history)


def test_the_quota_share_stops_calls_once_usage_reaches_it() -> None:
    with rm.Mocker() as mock:
        mock.post(TOKEN_URL, **token_reply())
        mock.get(f"{DATA}/limits", json={}, headers={"Sforce-Limit-Info": "api-usage=81/100"})
        c = client(max_api_share=0.8)
        c.limits()
        assert c.quota_left == 19
        with pytest.raises(QuotaExhausted, match="max_api_share 80%"):
            c.limits()


def test_collections_upsert_keeps_input_order_and_record_errors() -> None:
    reply = [
        {"id": "a01", "success": True, "created": True, "errors": []},
        {"success": False, "errors": [
            {"statusCode": "DUPLICATE_VALUE", "message": "dup", "fields": ["Name"]}]},
    ]  # fmt: skip
    with rm.Mocker() as mock:
        mock.post(TOKEN_URL, **token_reply())
        mock.patch(f"{DATA}/composite/sobjects/Project__c/HubSpot_Id__c", json=reply)
        results = client().upsert(
            "Project__c", "HubSpot_Id__c", [{"HubSpot_Id__c": "1"}, {"HubSpot_Id__c": "2"}]
        )
        sent = mock.request_history[-1].json()
    assert sent["allOrNone"] is False
    assert sent["records"][0]["attributes"] == {"type": "Project__c"}
    assert results[0].created and results[0].id == "a01"
    assert results[1].codes == {"DUPLICATE_VALUE"}
    assert str(results[1].errors[0]) == "DUPLICATE_VALUE: dup [Name]"


def test_refused_calls_raise_typed_errors_with_the_path_only() -> None:
    with rm.Mocker() as mock:
        mock.post(TOKEN_URL, **token_reply())
        mock.get(
            f"{DATA}/query",
            status_code=400,
            json=[{"errorCode": "INVALID_FIELD", "message": "No such column 'Secret'"}],
        )
        with pytest.raises(SalesforceAPIError) as info:
            list(client().query("SELECT Secret FROM Account WHERE Name = 'Jane'"))
    assert info.value.status == 400 and info.value.code == "INVALID_FIELD"
    assert "Jane" not in str(info.value)


def test_settings_read_a_prefixed_config_and_pick_the_flow() -> None:
    settings = SalesforceSettings.from_config(
        {"salesforce_client_id": "id", "salesforce_username": "u",
         "salesforce_private_key_path": "/k.pem", "salesforce_api_version": "v61.0"},
        "salesforce_",
    )  # fmt: skip
    assert settings.flow == "jwt" and settings.api_version == "61.0"
    with pytest.raises(SalesforceAuthError, match="client_secret"):
        SalesforceSettings(client_id="id", auth_flow="client_credentials").flow  # noqa: B018
