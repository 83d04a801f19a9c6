"""The default deal, ticket and lead pipelines: v3 through the SDK, the legacy v1 raw."""

from __future__ import annotations

import pytest
from hubspot.crm.pipelines.exceptions import ApiException


def test_deal_pipeline_matches_dealstage_options(hs):
    pipelines = hs.crm.pipelines.pipelines_api.get_all("deals").results
    assert [(p.id, p.label) for p in pipelines] == [("default", "Sales Pipeline")]
    stages = pipelines[0].stages
    options = {
        p.name: [(o.value, o.label) for o in p.options]
        for p in hs.crm.properties.core_api.get_all("deals").results
        if p.name in ("dealstage", "pipeline")
    }
    assert [(s.id, s.label) for s in stages] == options["dealstage"]
    assert options["pipeline"] == [("default", "Sales Pipeline")]
    won = next(s for s in stages if s.id == "closedwon")
    assert won.metadata == {"isClosed": "true", "probability": "1.0"}
    one = hs.crm.pipelines.pipelines_api.get_by_id("deals", "default")
    assert one.id == "default"
    listed = hs.crm.pipelines.pipeline_stages_api.get_all("deals", "default").results
    assert [s.id for s in listed] == [s.id for s in stages]


def test_ticket_and_lead_pipelines(hs):
    tickets = hs.crm.pipelines.pipelines_api.get_all("tickets").results
    assert [(s.id, s.metadata["ticketState"]) for s in tickets[0].stages] == [
        ("1", "OPEN"),
        ("2", "OPEN"),
        ("3", "OPEN"),
        ("4", "CLOSED"),
    ]
    assert hs.crm.pipelines.pipelines_api.get_all("leads").results[0].stages
    with pytest.raises(ApiException) as info:
        hs.crm.pipelines.pipelines_api.get_by_id("deals", "nope")
    assert info.value.status == 404
    with pytest.raises(ApiException) as info:
        hs.crm.pipelines.pipelines_api.get_all("contacts")
    assert info.value.status == 400


def test_legacy_v1_pipelines(raw):
    reply = raw("GET", "/crm-pipelines/v1/pipelines/deals")
    assert reply.status_code == 200, reply.text
    (pipeline,) = reply.json()["results"]
    assert (pipeline["pipelineId"], pipeline["objectType"], pipeline["default"]) == (
        "default",
        "DEAL",
        True,
    )
    assert pipeline["stages"][0]["metadata"]["probability"] == 0.2
    assert isinstance(pipeline["createdAt"], int)
    tickets = raw("GET", "/crm-pipelines/v1/pipelines/tickets").json()["results"]
    assert tickets[0]["objectType"] == "TICKET"
    assert raw("GET", "/crm-pipelines/v1/pipelines/leads").status_code == 400


def test_email_subscription_types(raw, portal):
    reply = raw("GET", "/email/public/v1/subscriptions")
    assert reply.status_code == 200, reply.text
    types = reply.json()["subscriptionDefinitions"]
    assert types and {t["portalId"] for t in types} == {int(portal.env["CRM_SANDBOX_HS_PORTAL_ID"])}
    assert all(t["active"] is True and t["name"] for t in types)
