"""Private-app tokens, the OAuth refresh grant, and refusals."""

from __future__ import annotations

import pytest
from hubspot.crm.objects.exceptions import UnauthorizedException
from hubspot.crm.schemas.exceptions import UnauthorizedException as SchemasUnauthorized
from hubspot.oauth.exceptions import ApiException as OAuthApiException

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.hubspot.auth import other_portal_token
from crm_sandbox.hubspot.errors import AUTH_MESSAGE
from tests.sandbox.hubspot.conftest import body_of, make_client


def test_wrong_token_gets_the_real_401(portal):
    client = make_client(portal.env, token="pat-na1-00000000-0000-0000-0000-000000000000")
    with pytest.raises(UnauthorizedException) as info:
        client.crm.objects.basic_api.get_page("contacts")
    exc = info.value
    assert exc.status == 401
    assert exc.headers["x-hubspot-auth-failure"] == "401 Unauthorized"
    body = body_of(exc)
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["message"] == AUTH_MESSAGE
    assert body["correlationId"] == exc.headers["x-hubspot-correlation-id"]


def test_missing_token_is_refused(raw):
    raw.session.headers.pop("Authorization")
    reply = raw("GET", "/crm/v3/objects/contacts")
    assert reply.status_code == 401
    assert reply.json()["category"] == "INVALID_AUTHENTICATION"


def test_token_of_another_portal_is_refused(portal):
    creds = DataDir(portal.env["CRM_SANDBOX_DATA_DIR"]).credentials()
    client = make_client(portal.env, token=other_portal_token(creds))
    with pytest.raises(SchemasUnauthorized):
        client.crm.schemas.core_api.get_all()


def test_oauth_refresh_grant_issues_a_working_token(portal):
    env = portal.env
    client = make_client(env)
    tokens = client.oauth.tokens_api.create(
        grant_type="refresh_token",
        client_id=env["CRM_SANDBOX_HS_CLIENT_ID"],
        client_secret=env["CRM_SANDBOX_HS_CLIENT_SECRET"],
        refresh_token=env["CRM_SANDBOX_HS_REFRESH_TOKEN"],
    )
    assert tokens.token_type == "bearer" and tokens.expires_in == 1800
    fresh = make_client(env, token=tokens.access_token)
    assert fresh.crm.objects.basic_api.get_page("contacts").results == []
    info = client.oauth.access_tokens_api.get(tokens.access_token)
    assert info.hub_id == int(env["CRM_SANDBOX_HS_PORTAL_ID"])


def test_oauth_bad_refresh_token(portal):
    env = portal.env
    with pytest.raises(OAuthApiException) as info:
        make_client(env).oauth.tokens_api.create(
            grant_type="refresh_token",
            client_id=env["CRM_SANDBOX_HS_CLIENT_ID"],
            client_secret=env["CRM_SANDBOX_HS_CLIENT_SECRET"],
            refresh_token="na1-nope",
        )
    assert info.value.status == 400
    assert body_of(info.value)["status"] == "BAD_REFRESH_TOKEN"


def test_refresh_token_metadata_and_the_grant_names_portal_and_scopes(portal, raw):
    """``GET /oauth/v1/refresh-tokens/{token}`` (hubspot-api-client's refresh_tokens_api)
    describes the refresh token; the grant's reply carries ``hub_id`` and ``scopes`` (HubSpot
    added both on 2025-08-18), the same values the access token's metadata gives."""
    env = portal.env
    client = make_client(env)
    info = client.oauth.refresh_tokens_api.get(env["CRM_SANDBOX_HS_REFRESH_TOKEN"])
    assert info.token == env["CRM_SANDBOX_HS_REFRESH_TOKEN"]
    assert info.client_id == env["CRM_SANDBOX_HS_CLIENT_ID"]
    assert info.hub_id == int(env["CRM_SANDBOX_HS_PORTAL_ID"])
    assert "crm.objects.contacts.read" in info.scopes and info.user
    with pytest.raises(OAuthApiException) as missing:
        client.oauth.refresh_tokens_api.get("na1-nope")
    assert missing.value.status == 404
    form = {
        "grant_type": "refresh_token",
        "client_id": env["CRM_SANDBOX_HS_CLIENT_ID"],
        "client_secret": env["CRM_SANDBOX_HS_CLIENT_SECRET"],
        "refresh_token": env["CRM_SANDBOX_HS_REFRESH_TOKEN"],
    }
    granted = raw("POST", "/oauth/v1/token", data=form).json()
    assert granted["hub_id"] == info.hub_id and granted["scopes"] == info.scopes
    assert client.oauth.access_tokens_api.get(granted["access_token"]).scopes == info.scopes
