"""Seeded audit fields come from the sandbox clock, read back through simple-salesforce:
all at the frozen instant while the clock is frozen, distinct and ending now while it runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_sandbox.core.process import RunningSandbox
from tests.sandbox.salesforce.test_query_api import client

AUDIT = "SELECT Id, CreatedDate, LastModifiedDate, SystemModstamp FROM Project__c"


def test_a_seed_under_a_frozen_clock_stamps_the_frozen_instant(
    clean_sandbox: RunningSandbox,
) -> None:
    clean_sandbox.clock(freeze="2030-05-06T07:08:09.123+00:00")
    clean_sandbox.seed(salesforce={"Account": 3, "Project__c": 50})
    sf = client(clean_sandbox.env)
    for sobject in ("Account", "Project__c"):
        rows = sf.query_all(AUDIT.replace("Project__c", sobject))["records"]
        assert len(rows) == {"Account": 3, "Project__c": 50}[sobject]
        stamps = {(r["CreatedDate"], r["LastModifiedDate"], r["SystemModstamp"]) for r in rows}
        assert stamps == {("2030-05-06T07:08:09.123+0000",) * 3}


def test_a_seed_under_a_running_clock_gives_distinct_stamps_ending_now(
    clean_sandbox: RunningSandbox,
) -> None:
    clean_sandbox.clock(advance_ms=86_400_000)  # a day ahead: the stamps follow the offset
    before = datetime.fromisoformat(clean_sandbox.clock()["now"])
    clean_sandbox.seed(salesforce={"Project__c": 50})
    after = datetime.fromisoformat(clean_sandbox.clock()["now"])
    rows = client(clean_sandbox.env).query_all(AUDIT)["records"]
    stamps = sorted(datetime.fromisoformat(r["SystemModstamp"]) for r in rows)
    assert len(set(stamps)) == 50
    assert before <= stamps[-1] <= after
    assert stamps[-1] - stamps[0] == timedelta(milliseconds=49)
