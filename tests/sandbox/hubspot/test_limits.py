"""Rate-limit headers, the 10-second and daily limits, and injected faults."""

from __future__ import annotations

import json

import pytest
from hubspot.crm.objects import ApiException


def test_every_reply_has_the_limit_headers(raw):
    reply = raw("GET", "/crm/v3/objects/contacts")
    h = reply.headers
    assert h["X-HubSpot-RateLimit-Max"] == "190"
    assert h["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert h["X-HubSpot-RateLimit-Daily"] == "650000"
    assert int(h["X-HubSpot-RateLimit-Remaining"]) < 190
    assert h["X-HubSpot-RateLimit-Secondly"] == "19"
    assert "X-HubSpot-RateLimit-Secondly-Remaining" in h
    assert int(h["X-HubSpot-RateLimit-Daily-Remaining"]) < 650000
    assert len(h["x-hubspot-correlation-id"]) == 36


def test_over_the_ten_second_limit(hs, portal):
    portal.set_faults(hs_ten_second_max=5)
    api = hs.crm.objects.basic_api
    with pytest.raises(ApiException) as info:
        for _ in range(10):
            api.get_page("contacts")
    exc = info.value
    assert exc.status == 429
    body = json.loads(exc.body)
    assert body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert body["groupName"].startswith("publicapi:")
    assert exc.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert exc.headers["X-HubSpot-RateLimit-Max"] == "5"


def test_over_the_daily_limit(raw, portal):
    portal.set_faults(hs_daily_max=3)
    statuses = [raw("GET", "/crm/v3/objects/contacts").status_code for _ in range(5)]
    assert 429 in statuses
    portal.set_faults()  # keep the count from leaking into later tests' daily budget
    assert raw("GET", "/crm/v3/objects/contacts").json()["results"] == []


def test_injected_faults_have_hubspot_bodies(raw, portal):
    portal.set_faults(http429=1.0, only="hubspot")
    reply = raw("GET", "/crm/v3/objects/contacts")
    assert reply.status_code == 429 and reply.json()["errorType"] == "RATE_LIMIT"
    portal.set_faults(http500=1.0, only="hubspot")
    reply = raw("GET", "/crm/v3/objects/contacts")
    assert reply.status_code == 500
    assert reply.json()["correlationId"] == reply.headers["x-hubspot-correlation-id"]
    portal.set_faults(http503=1.0, only="hubspot")
    assert raw("GET", "/crm/v3/objects/contacts").status_code == 503
