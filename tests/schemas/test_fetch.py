"""crm_sync.schemas against the sandbox: describe and properties, call counts, auth errors."""

from __future__ import annotations

import pytest

from crm_sync.http import ResilientSession
from crm_sync.schemas import (
    HubSpotSchemaReader,
    HubSpotSettings,
    LiveSchemaError,
    SalesforceDescriber,
    SalesforceSettings,
    fetch_live_schemas,
)
from crm_sync.spec import load_dir
from tests.spec.test_live import REPO


def sf_token(env: dict[str, str]) -> SalesforceSettings:
    return SalesforceSettings(
        instance_url=env["CRM_SANDBOX_SF_INSTANCE_URL"],
        access_token=env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
        ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"],
    )


def hs_token(env: dict[str, str], token: str | None = None) -> HubSpotSettings:
    return HubSpotSettings(
        base_url=env["CRM_SANDBOX_HS_BASE_URL"],
        access_token=token or env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"],
    )


def test_shipped_mappings_cost_one_describe_and_one_properties_call_per_object(sandbox):
    env = sandbox.env
    specs = load_dir(REPO / "transforms" / "mappings")
    sandbox.clear_stats()
    live = fetch_live_schemas(specs.mappings, sf_token(env), hs_token(env))
    # task.yml ships off, but validation checks every mapping, enabled or not.
    assert set(live.salesforce) == {"Account", "Project__c", "Task"}
    assert set(live.hubspot) == {"companies", "project", "tasks"}
    status = next(f for f in live.salesforce["Project__c"]["fields"] if f["name"] == "Status__c")
    assert "In Progress" in [v["value"] for v in status["picklistValues"]]
    assert live.hubspot["project"]["requiredProperties"] == ["project_name"]
    assert live.hubspot["project"]["objectTypeId"].startswith("2-")
    assert live.hubspot["companies"]["objectTypeId"] == "0-2"
    # The association types of the pairs a type_id names: account's ParentId (companies
    # to companies, 14) and task's WhatId (tasks to companies, 192).
    parent_types = live.hubspot["companies"]["associationTypes"]["companies"]
    assert {"category": "HUBSPOT_DEFINED", "typeId": 14, "label": "Child Company"} in parent_types
    assert 192 in {t["typeId"] for t in live.hubspot["tasks"]["associationTypes"]["companies"]}
    assert "associationTypes" not in live.hubspot["project"]  # its association has a label
    # Salesforce: one composite/batch; HubSpot: schemas list + one properties call each +
    # one labels call per pair.
    assert (live.salesforce_calls, live.hubspot_calls) == (1, 6)
    calls = sandbox.stats()
    text = str(calls)
    assert "composite/batch" in text and "/crm/v3/properties/" in text


def test_describe_batches_25_objects_per_call_and_leaves_out_unknown_ones(sandbox):
    env = sandbox.env
    names = ["Account", "Contact", "Project__c"] + [f"Missing{i}__c" for i in range(23)] + ["Case"]
    session = ResilientSession(ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"])
    found = SalesforceDescriber(sf_token(env), session).describe(names)
    assert list(found) == ["Account", "Contact", "Project__c", "Case"]
    assert session.counter.total == 2  # 27 objects: 25 + 2


def test_client_credentials_login_then_describe(sandbox):
    env = sandbox.env
    settings = SalesforceSettings(
        login_url=env["CRM_SANDBOX_SF_LOGIN_URL"],
        client_id=env["CRM_SANDBOX_SF_CLIENT_ID"],
        client_secret=env["CRM_SANDBOX_SF_CLIENT_SECRET"],
        ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"],
    )
    session = ResilientSession(ca_bundle=settings.ca_bundle)
    found = SalesforceDescriber(settings, session).describe(["Account"])
    assert "HubSpot_Id__c" in {f["name"] for f in found["Account"]["fields"]}
    assert session.counter.total == 2  # token + one batch


def test_rejected_salesforce_token_without_login_credentials_is_named(sandbox):
    env = sandbox.env
    settings = SalesforceSettings(
        instance_url=env["CRM_SANDBOX_SF_INSTANCE_URL"],
        access_token="00Dbogus!token",
        ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"],
    )
    with pytest.raises(LiveSchemaError, match="salesforce_client_id"):
        SalesforceDescriber(settings, ResilientSession(ca_bundle=settings.ca_bundle)).describe(
            ["Account"]
        )


def test_rejected_hubspot_token_is_named(sandbox):
    env = sandbox.env
    reader = HubSpotSchemaReader(
        hs_token(env, "pat-na1-wrong"), ResilientSession(ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"])
    )
    with pytest.raises(LiveSchemaError, match="hubspot_access_token") as excinfo:
        reader.schemas(["companies"])
    assert "INVALID_AUTHENTICATION" in str(excinfo.value)


def test_unknown_hubspot_objects_are_left_out(sandbox):
    env = sandbox.env
    session = ResilientSession(ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"])
    found = HubSpotSchemaReader(hs_token(env), session).schemas(["widgets", "deals", "0-1"])
    assert set(found) == {"deals", "0-1"}
    assert session.counter.total == 3  # schemas list + deals + contacts


def test_tls_is_verified_against_the_configured_ca_even_with_requests_ca_bundle(
    sandbox, monkeypatch, tmp_path
):
    env = sandbox.env
    # REQUESTS_CA_BUNDLE would override a session-level verify; ours is passed per request.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    session = ResilientSession(ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"])
    assert "companies" in HubSpotSchemaReader(hs_token(env), session).schemas(["companies"])


def test_settings_from_prefixed_config():
    sf = SalesforceSettings.from_config(
        {"salesforce_client_id": "id", "salesforce_refresh_token": "rt",
         "salesforce_api_version": "v61.0", "salesforce_access_token": ""},
        "salesforce_",
    )  # fmt: skip
    assert sf.configured and sf.access_token is None and sf.api_version == "61.0"
    assert sf.flow == "refresh_token"
    assert not HubSpotSettings.from_config({}, "hubspot_").configured
    assert HubSpotSettings.from_config({}).base_url == "https://api.hubapi.com"
