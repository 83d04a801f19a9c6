"""The reverse target killed after Salesforce accepted its creates, before its ledger
commit (issue 12): no twin on either side afterwards.

The kill lands through the crash point :data:`~crm_sync.sync.crash.AFTER_DESTINATION_WRITE`
(honoured only under pytest), exactly between Salesforce's reply and the ledger commit:
the new Accounts exist, the ledger links none of them and HubSpot was not told their ids.
The creates carried the HubSpot id in ``HubSpot_Id__c`` (they are upserts on it), so

* the reverse rerun upserts on that key again and finds the same Accounts;
* a forward run that comes first (the ``two-way`` job runs forward before reverse) reads
  Accounts it has no link for, but each names its company in ``HubSpot_Id__c``: the
  target reads that company and updates it (with its ``salesforce_id``) instead of
  upserting a second one.

Either way each HubSpot company ends with exactly one Account, linked, and a further
two-way run writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crm_sync.sync.crash import AFTER_DESTINATION_WRITE, CRASH_AT
from crm_sync.sync.ledger import open_ledger
from crm_sync.vocabulary import Direction
from tests.e2e.two_way_helpers import FORWARD, REVERSE, HubSpot, Salesforce, TwoWay, all_writes
from tests.e2e.two_way_helpers import mappings_dir as write_mappings

pytestmark = pytest.mark.e2e

COMPANIES = 5


def ledger_links(sync: TwoWay, company_ids: list[str]) -> dict[str, str]:
    """HubSpot company id → the Account Id the ledger links it to."""
    ledger = open_ledger(sync.ledger_url)
    try:
        return ledger.destination_ids("account", Direction.HS_TO_SF, company_ids)
    finally:
        ledger.close()


@pytest.mark.parametrize("first", [REVERSE, FORWARD], ids=["reverse-first", "forward-first"])
def test_kill_between_salesforce_create_and_ledger_commit_makes_no_twin(
    clean_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    sync = TwoWay(dict(clean_sandbox.env), tmp_path, write_mappings(tmp_path / "mappings"))
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    companies = [
        hs.create("companies", {"name": f"Born in HubSpot {i}", "phone": f"55{i}"})
        for i in range(COMPANIES)
    ]

    monkeypatch.setenv(CRASH_AT, AFTER_DESTINATION_WRITE)
    killed = sync.leg(REVERSE)
    monkeypatch.delenv(CRASH_AT)
    assert killed.returncodes[2] == -9, killed.stderr  # the target SIGKILLed itself
    accounts = sf.query("SELECT Id, Name, HubSpot_Id__c FROM Account")
    assert sorted(a["HubSpot_Id__c"] for a in accounts) == sorted(companies)
    assert ledger_links(sync, companies) == {}  # the commit never happened
    on_hubspot = hs.records("companies", ["name", "salesforce_id"])
    assert all(not on_hubspot[c]["salesforce_id"] for c in companies)

    second = REVERSE if first == FORWARD else FORWARD
    for direction in (first, second):
        leg = sync.leg(direction)
        assert leg.ok, leg.stderr

    accounts = sf.query("SELECT Id, Name, Phone, HubSpot_Id__c FROM Account")
    by_company = {a["HubSpot_Id__c"]: a for a in accounts}
    assert len(accounts) == COMPANIES and set(by_company) == set(companies)
    on_hubspot = hs.records("companies", ["name", "phone", "salesforce_id"])
    assert set(on_hubspot) == set(companies)  # no second company
    for company in companies:
        assert on_hubspot[company]["salesforce_id"] == by_company[company]["Id"]
        assert by_company[company]["Name"] == on_hubspot[company]["name"]
        assert by_company[company]["Phone"] == on_hubspot[company]["phone"]
    assert ledger_links(sync, companies) == {c: by_company[c]["Id"] for c in companies}

    clean_sandbox.clear_stats()
    sync.run()
    assert all_writes(clean_sandbox.stats()) == {}
