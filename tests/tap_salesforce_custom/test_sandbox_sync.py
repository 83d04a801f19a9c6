"""Incremental correctness, deletes, ties, Bulk, token refresh and filters on the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from singer_sdk.exceptions import ConfigValidationError

from tests.tap_salesforce_custom.conftest import run_tap
from tests.tap_salesforce_custom.sandbox_helpers import Org, query_routes_ready, tap_config

pytestmark = pytest.mark.skipif(not query_routes_ready(), reason="sandbox query routes missing")


@pytest.fixture
def org(clean_sandbox) -> Org:
    clean_sandbox.seed(salesforce={"Account": 3, "Project__c": 25})
    return Org(clean_sandbox.env)


def _key(records: list[dict]) -> dict[str, dict]:
    return {r["Id"]: r for r in records}


def test_second_run_emits_exactly_edits_inserts_deletes_and_ties(clean_sandbox, org) -> None:
    cfg = tap_config(clean_sandbox.env, objects=["Project__c"], page_size=200)
    first = run_tap(cfg)
    ids = first.ids("Project__c")
    assert len(ids) == 25 and len(set(ids)) == 25
    # Same-millisecond modstamps: freeze the sandbox clock while several rows change,
    # more of them than a page holds, then let time run again.
    clean_sandbox.clock(freeze=datetime.now(UTC).isoformat())
    try:
        org.update("Project__c", ids[3], Name="edited")
        org.delete("Project__c", ids[4])
        new = [org.create("Project__c", Name=f"tie {n}") for n in range(4)]
    finally:
        clean_sandbox.clock(unfreeze=True, advance_ms=5)
    stamps = {org.modstamp("Project__c", i) for i in [ids[3], *new]}
    assert len(stamps) == 1  # they really share one modstamp
    second = run_tap({**cfg, "page_size": 2}, state=first.state)  # ties straddle pages
    got = _key(second.records["Project__c"])
    assert set(got) == {ids[3], ids[4], *new}
    assert got[ids[3]]["Name"] == "edited"
    assert got[ids[4]]["IsDeleted"] is True
    assert got[ids[4]]["_sdc_deleted_at"] == got[ids[4]]["SystemModstamp"]
    assert run_tap(cfg, state=second.state).ids("Project__c") == []


def test_bulk_path_matches_rest(clean_sandbox, org) -> None:
    org.delete("Project__c", org.ids("Project__c")[0])
    cfg = tap_config(clean_sandbox.env)
    rest = run_tap({**cfg, "api_type": "rest"})
    bulk = run_tap({**cfg, "api_type": "bulk", "bulk_page_size": 7})
    for stream in ("Project__c", "Account"):
        assert bulk.records[stream] == rest.records[stream]
    auto = run_tap({**cfg, "api_type": "auto", "bulk_threshold": 10})
    assert auto.tap.streams["Project__c"].path_used == "bulk"
    assert auto.tap.streams["Account"].path_used == "rest"


def test_token_revoked_mid_run_is_refreshed_without_losing_a_page(clean_sandbox, org) -> None:
    env = clean_sandbox.env
    cfg = tap_config(env, objects=["Project__c"], page_size=200)
    from crm_sync.salesforce import SalesforceClient

    original = SalesforceClient.get_json
    revoked = {"done": False}

    def revoke_between_pages(self, path, **kw):
        if "/query/" in path and not revoked["done"]:
            revoked["done"] = True
            requests.post(
                f"{env['CRM_SANDBOX_SF_LOGIN_URL']}/services/oauth2/revoke",
                data={"token": self.auth.access_token},
                verify=env["CRM_SANDBOX_CA_BUNDLE"],
                timeout=10,
            ).raise_for_status()
        return original(self, path, **kw)

    clean_sandbox.seed(salesforce={"Project__c": 400})
    SalesforceClient.get_json = revoke_between_pages  # type: ignore[method-assign]
    try:
        run = run_tap(cfg)
    finally:
        SalesforceClient.get_json = original  # type: ignore[method-assign]
    assert revoked["done"]
    assert sorted(run.ids("Project__c")) == sorted(org.ids("Project__c"))
    assert run.tap.client.auth.logins == 2


def test_filter_selects_and_bad_filter_names_object(clean_sandbox, org) -> None:
    cfg = tap_config(clean_sandbox.env, objects=["Project__c"])
    run = run_tap({**cfg, "filters": {"Project__c": "Status__c != 'Draft'"}})
    assert run.ids("Project__c") and all(
        r["Status__c"] != "Draft" for r in run.records["Project__c"]
    )
    with pytest.raises(ConfigValidationError, match=r"filters\.Project__c.*Nope__c"):
        run_tap({**cfg, "filters": {"Project__c": "Nope__c = 1"}})


def test_retries_through_injected_faults(clean_sandbox, org) -> None:
    cfg = tap_config(clean_sandbox.env, objects=["Project__c"], page_size=200)
    clean = run_tap(cfg)
    clean_sandbox.set_faults(http500=0.2, http503=0.2, reset=0.05, only="salesforce", seed=3)
    try:
        faulty = run_tap({**cfg, "max_retries": 8})
    finally:
        clean_sandbox.set_faults()
    assert faulty.ids("Project__c") == clean.ids("Project__c")
