"""crm_sync.hubspot against requests-mock: auth, rate limits, batches, search, associations."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests_mock as rm

from crm_sync.http import Pacer, QuotaExhausted, ResilientSession, RetryPolicy, WindowLimiter
from crm_sync.hubspot import HubSpotAuthError, HubSpotClient, HubSpotError, HubSpotSettings

BASE = "https://hs.test"
FAST = RetryPolicy(max_attempts=3, initial_wait_s=0.01, max_wait_s=0.02)


def client(limiter: WindowLimiter | None = None, **settings: Any) -> HubSpotClient:
    s = HubSpotSettings(**{"base_url": BASE, "access_token": "pat-1", **settings})
    return HubSpotClient(s, ResilientSession(policy=FAST, limiter=limiter))


def test_private_app_token_on_every_call_and_calls_counted_by_route() -> None:
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/crm/v3/properties/0-2", json={"results": [{"name": "phone"}]})
        c = client()
        assert c.properties("0-2") == {"phone": {"name": "phone"}}
        assert mock.last_request.headers["Authorization"] == "Bearer pat-1"
    assert c.counter.routes["GET /crm/v3/properties/{objectType}"] == 1


def test_oauth_refreshes_before_the_first_call_and_again_after_a_401() -> None:
    settings = {"access_token": None, "client_id": "c", "client_secret": "s", "refresh_token": "r"}
    with rm.Mocker() as mock:
        mock.post(
            f"{BASE}/oauth/v1/token",
            [{"json": {"access_token": "a1", "expires_in": 1800}},
             {"json": {"access_token": "a2", "expires_in": 1800}}],
        )  # fmt: skip
        mock.get(
            f"{BASE}/crm/v3/schemas",
            [{"status_code": 401, "json": {"category": "INVALID_AUTHENTICATION"}},
             {"json": {"results": []}}],
        )  # fmt: skip
        c = client(**settings)
        assert c.list_schemas() == []
        token_calls = [r for r in mock.request_history if r.path == "/oauth/v1/token"]
        assert "grant_type=refresh_token" in token_calls[0].text
        assert "Authorization" not in token_calls[0].headers
        schema_calls = [r for r in mock.request_history if r.path == "/crm/v3/schemas"]
        assert [r.headers["Authorization"] for r in schema_calls] == ["Bearer a1", "Bearer a2"]
    with pytest.raises(HubSpotAuthError, match="refresh_token"):
        client(access_token=None, client_id="c", client_secret="s")


def test_the_limiter_follows_the_rate_limit_headers() -> None:
    limiter = WindowLimiter(max_calls=100, window_s=10)
    headers = {
        "X-HubSpot-RateLimit-Max": "50",
        "X-HubSpot-RateLimit-Remaining": "0",
        "X-HubSpot-RateLimit-Interval-Milliseconds": "200",
        "X-HubSpot-RateLimit-Daily-Remaining": "999",
    }
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/crm/v3/schemas", json={"results": []}, headers=headers)
        c = client(limiter)
        c.list_schemas()
        started = time.monotonic()
        c.list_schemas()  # waits out the spent window the server announced
        assert time.monotonic() - started >= 0.15
    assert limiter.max_calls == 50 and limiter.daily_remaining == 999


def test_daily_limit_stops_with_hubspot_s_message() -> None:
    daily = {"status": "error", "message": "You have reached your daily limit.",
             "errorType": "RATE_LIMIT", "policyName": "DAILY"}  # fmt: skip
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/crm/v3/schemas", status_code=429, json=daily)
        with pytest.raises(QuotaExhausted, match="daily API limit reached: You have reached"):
            client().list_schemas()
        assert mock.call_count == 1


def test_batch_upsert_traces_each_input_and_maps_207_errors_back() -> None:
    reply = {
        "status": "COMPLETE",
        "results": [{"id": "11", "properties": {"salesforce_id": "a"}, "new": True}],
        "numErrors": 1,
        "errors": [{"status": "error", "category": "VALIDATION_ERROR", "message": "bad",
                    "context": {"objectWriteTraceId": ["b"]}}],
    }  # fmt: skip
    with rm.Mocker() as mock:
        mock.post(f"{BASE}/crm/v3/objects/p/batch/upsert", status_code=207, json=reply)
        outcome = client().batch_upsert("p", "salesforce_id", [("a", {"n": 1}), ("b", {"n": 2})])
        sent = mock.last_request.json()["inputs"]
    assert sent[1] == {"id": "b", "idProperty": "salesforce_id", "objectWriteTraceId": "b",
                       "properties": {"n": 2, "salesforce_id": "b"}}  # fmt: skip
    assert [r["id"] for r in outcome.results] == ["11"]
    assert [(r.key, r.category) for r in outcome.refusals] == [("b", "VALIDATION_ERROR")]
    with pytest.raises(ValueError, match="at most 100"):
        client().batch_upsert("p", "salesforce_id", [(str(i), {}) for i in range(101)])


def test_search_waits_on_the_search_limiter_and_returns_the_page() -> None:
    search_limiter = Pacer(1 / 0.3)
    s = HubSpotSettings(base_url=BASE, access_token="pat-1")
    c = HubSpotClient(s, ResilientSession(policy=FAST), search_limiter=search_limiter)
    with rm.Mocker() as mock:
        mock.post(f"{BASE}/crm/v3/objects/0-2/search", json={"total": 0, "results": []})
        started = time.monotonic()
        for _ in range(2):
            assert c.search("0-2", {"limit": 1})["results"] == []
        assert time.monotonic() - started >= 0.25


def test_associations_read_create_and_archive_in_batches() -> None:
    with rm.Mocker() as mock:
        read = mock.post(
            f"{BASE}/crm/v4/associations/2-1/0-2/batch/read",
            json={"results": [{"from": {"id": "1"}, "to": [{"toObjectId": 5}]}]},
        )
        create = mock.post(
            f"{BASE}/crm/v4/associations/2-1/0-2/batch/associate/default",
            json={"results": [{"from": {"id": "1"}, "to": {"id": "5"}}]},
        )
        archive = mock.post(f"{BASE}/crm/v4/associations/2-1/0-2/batch/archive", status_code=204)
        c = client()
        assert c.read_associations("2-1", "0-2", [{"id": "1"}])["results"][0]["to"]
        assert not c.create_associations("2-1", "0-2", [("1", "5")]).refusals
        c.archive_associations("2-1", "0-2", [("1", "5"), ("1", "6"), ("2", "5")])
    assert read.last_request.json() == {"inputs": [{"id": "1"}]}
    assert create.last_request.json() == {"inputs": [{"from": {"id": "1"}, "to": {"id": "5"}}]}
    assert archive.last_request.json() == {"inputs": [
        {"from": {"id": "1"}, "to": [{"id": "5"}, {"id": "6"}]},
        {"from": {"id": "2"}, "to": [{"id": "5"}]},
    ]}  # fmt: skip


def test_other_refusals_raise_hubspot_error_with_category() -> None:
    with rm.Mocker() as mock:
        mock.get(
            f"{BASE}/crm/v3/properties/nope",
            status_code=400,
            json={"status": "error", "message": "Unable to infer object type",
                  "category": "VALIDATION_ERROR"},
        )  # fmt: skip
        with pytest.raises(HubSpotError) as info:
            client().properties("nope")
        assert mock.call_count == 1  # a 400 is not retried
    assert info.value.status == 400 and info.value.category == "VALIDATION_ERROR"
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/crm/v3/properties/gone", status_code=404, json={})
        assert client().property_list("gone", missing_ok=True) is None
