"""Salesforce's limits through the tap on the sandbox (issue 12 item 2).

A concurrency limit (``REQUEST_LIMIT_EXCEEDED`` "ConcurrentPerOrgLongTxn Limit exceeded")
passes in seconds: it is retried and the stream reads everything. Only the daily quota
(``TotalRequests Limit exceeded``) stops the run, and a stream stopped that way is never
reported as succeeded: the tap fails, and its STATE resumes where it stopped.
"""

from __future__ import annotations

import io
import json
import logging
import re
from contextlib import redirect_stdout

import pytest
import requests
from tap_salesforce_custom.tap import TapSalesforceCustom

from crm_sync.http import QuotaExhausted
from tests.tap_salesforce_custom.conftest import Run, run_tap
from tests.tap_salesforce_custom.sandbox_helpers import Org, query_routes_ready, tap_config

pytestmark = pytest.mark.skipif(not query_routes_ready(), reason="sandbox query routes missing")


def _daily_usage(env: dict[str, str]) -> int:
    """Requests the org has used today, from the ``Sforce-Limit-Info`` of one call."""
    version = env["CRM_SANDBOX_SF_API_VERSION"]
    reply = requests.get(
        f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/data/v{version}/limits",
        headers={"Authorization": f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"},
        verify=env["CRM_SANDBOX_CA_BUNDLE"],
        timeout=30,
    )
    reply.raise_for_status()
    match = re.search(r"api-usage=(\d+)/", reply.headers["Sforce-Limit-Info"])
    assert match, reply.headers
    return int(match.group(1))


def test_concurrency_limit_is_retried_and_the_stream_reads_everything(clean_sandbox) -> None:
    clean_sandbox.seed(salesforce={"Project__c": 450})
    org = Org(clean_sandbox.env)
    cfg = tap_config(clean_sandbox.env, objects=["Project__c"], page_size=200, api_type="rest")
    clean_sandbox.clear_stats()
    clean_sandbox.set_faults(http429=0.3, only="salesforce", seed=3)
    try:
        run = run_tap({**cfg, "max_retries": 8})
    finally:
        clean_sandbox.set_faults()
    assert sorted(run.ids("Project__c")) == sorted(org.ids("Project__c"))
    statuses = clean_sandbox.stats()["salesforce"]["statuses"]
    limited = sum(int(by.get("429", 0)) for by in statuses.values())
    assert limited > 0, statuses  # the limit did happen, and was waited out
    assert run.tap.client.counter.retries >= limited


def test_daily_quota_stops_the_stream_as_failed_with_resumable_state(clean_sandbox, caplog) -> None:
    clean_sandbox.seed(salesforce={"Project__c": 450})
    env = clean_sandbox.env
    org = Org(env)
    every = sorted(org.ids("Project__c"))
    cfg = tap_config(env, objects=["Project__c"], page_size=200, api_type="rest")
    cfg["max_api_share"] = 2.0  # only Salesforce's own limit stops this run
    # describe-global, describe, the first query page and one queryMore; then the org is out.
    clean_sandbox.set_faults(sf_daily_max=_daily_usage(env) + 4)
    caplog.set_level(logging.INFO)
    out = io.StringIO()
    tap = TapSalesforceCustom(config=cfg)
    try:
        with redirect_stdout(out), pytest.raises(QuotaExhausted, match="TotalRequests"):
            tap.sync_all()
    finally:
        clean_sandbox.set_faults()
    first = Run([json.loads(line) for line in out.getvalue().splitlines()], tap)
    got = [m["record"]["Id"] for m in first.messages if m["type"] == "RECORD"]
    assert 0 < len(got) < len(every)
    durations = [
        json.loads(r.getMessage().split("METRIC: ", 1)[1])
        for r in caplog.records
        if "METRIC: " in r.getMessage() and '"sync_duration"' in r.getMessage()
    ]
    assert [d["tags"]["status"] for d in durations] == ["failed"]  # never "succeeded"
    second = run_tap(cfg, state=first.state)
    rest = second.ids("Project__c")
    assert not set(got) & set(rest)  # nothing emitted twice
    assert sorted(got + rest) == every  # nothing lost
