"""Scopes on private-app tokens: the default token has them all, a minted token only its
own, and a call without one of the scopes it needs gets HubSpot's 403 MISSING_SCOPES."""

from __future__ import annotations

import pytest
from hubspot.crm.contacts.exceptions import ForbiddenException

from crm_sandbox.core.process import SandboxError
from crm_sandbox.hubspot.scopes import all_scopes
from tests.sandbox.hubspot.conftest import Raw, body_of, make_client
from tests.sandbox.test_cli import cli, parse_env

DEALS_READ = [
    "crm.schemas.deals.read",
    "crm.objects.deals.sensitive.read.v2",
    "crm.objects.deals.read",
    "crm.objects.deals.highly_sensitive.read.v2",
]


def token_with(portal, *scopes: str) -> str:
    return portal.control("POST", "hubspot/tokens", {"scopes": list(scopes)})["token"]


def raw_with(portal, token: str) -> Raw:
    raw = Raw(portal.env)
    raw.session.headers["Authorization"] = f"Bearer {token}"
    return raw


def test_the_default_token_reaches_every_object(raw):
    for stream in ("contacts", "tasks", "goal_targets", "leads", "line_items", "products"):
        assert raw("GET", f"/crm/v3/objects/{stream}").status_code == 200, stream
    assert raw("GET", "/crm/v3/owners").status_code == 200


def test_missing_scope_body_is_hubspots(portal):
    raw = raw_with(portal, token_with(portal, "crm.objects.contacts.read"))
    reply = raw("GET", "/crm/v3/objects/deals")
    assert reply.status_code == 403
    body = reply.json()
    assert list(body) == ["status", "message", "correlationId", "errors", "links", "category"]
    assert body["status"] == "error"
    assert body["message"] == (
        "This app hasn't been granted all required scopes to make this call. Read more about"
        " required scopes here: https://developers.hubspot.com/scopes."
    )
    assert body["correlationId"] == reply.headers["x-hubspot-correlation-id"]
    assert body["errors"] == [
        {
            "message": "One or more of the following scopes are required.",
            "context": {"requiredGranularScopes": DEALS_READ},
        }
    ]
    assert body["links"] == {"scopes": "https://developers.hubspot.com/scopes"}
    assert body["category"] == "MISSING_SCOPES"


def test_a_read_scope_reads_but_does_not_write(portal):
    hs = make_client(portal.env, token_with(portal, "crm.objects.contacts.read"))
    assert hs.crm.contacts.basic_api.get_page().results == []
    with pytest.raises(ForbiddenException) as info:
        hs.crm.contacts.basic_api.create({"properties": {"email": "a@ex.com"}})
    assert body_of(info.value)["errors"][0]["context"]["requiredGranularScopes"][0] == (
        "crm.objects.contacts.write"
    )
    # activities ride on the contacts scopes (HubSpot's tasks guide)
    raw = raw_with(portal, token_with(portal, "crm.objects.contacts.read"))
    assert raw("GET", "/crm/v3/objects/tasks").status_code == 200
    assert raw("POST", "/crm/v3/objects/tasks/search", json={}).status_code == 200
    assert raw("POST", "/crm/v3/objects/tasks", json={"properties": {}}).status_code == 403


def test_meltano_tap_streams_without_their_scope_get_403(portal):
    raw = raw_with(portal, token_with(portal, "crm.objects.companies.read"))
    assert raw("GET", "/crm/v3/properties/companies").status_code == 200
    for stream in ("calls", "goal_targets", "leads", "line_items", "products"):
        reply = raw("GET", f"/crm/v3/properties/{stream}")
        assert reply.status_code == 403, stream
        assert reply.json()["category"] == "MISSING_SCOPES"


def test_schemas_owners_and_associations_need_their_scopes(portal):
    raw = raw_with(portal, token_with(portal, "crm.objects.custom.read"))
    assert raw("GET", "/crm/v3/objects/p_project").status_code == 200
    assert raw("GET", "/crm/v3/schemas").status_code == 403
    assert raw("GET", "/crm-object-schemas/v3/schemas").status_code == 403
    assert raw("GET", "/crm/v3/owners").status_code == 403
    assert raw("GET", "/crm/v4/associations/p_project/contacts/labels").status_code == 200
    reply = raw("POST", "/crm/v4/associations/p_project/contacts/batch/create", json={"inputs": []})
    assert reply.status_code == 403
    assert reply.json()["errors"][0]["context"]["requiredGranularScopes"] == [
        "crm.objects.custom.write"
    ]


def test_a_scope_check_does_not_hide_an_unknown_object_type(portal):
    raw = raw_with(portal, token_with(portal))
    assert raw("GET", "/crm/v3/objects/widgets").status_code == 400


def test_minting_refuses_unknown_scopes(portal):
    with pytest.raises(SandboxError, match="unknown HubSpot scope"):
        token_with(portal, "crm.objects.widgets.read")
    assert "crm.objects.goals.read" in all_scopes()


def test_crm_sandbox_env_mints_a_limited_token(portal):
    out = cli(
        "env", "--data-dir", str(portal.data_dir.path), "--hs-scopes", "crm.objects.deals.read"
    ).stdout
    env = parse_env(out)
    assert env["CRM_SANDBOX_HS_ACCESS_TOKEN"] != portal.env["CRM_SANDBOX_HS_ACCESS_TOKEN"]
    raw = raw_with(portal, env["CRM_SANDBOX_HS_ACCESS_TOKEN"])
    assert raw("GET", "/crm/v3/objects/deals").status_code == 200
    assert raw("GET", "/crm/v3/objects/contacts").status_code == 403
