"""The refresh pass (issue 14, feature 1) on the sandbox: roll-ups re-read on a cadence.

``Account.Total_Project_Budget__c`` / ``Number_Of_Projects__c`` roll up the account's
projects and change without bumping the account's SystemModstamp. A mapping with
``refresh: {fields: formulas, every: 1d}`` makes the tap re-read them once a day (the
sandbox clock's day) as partial records, without moving the bookmark.
"""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.tap_salesforce_custom.conftest import run_tap
from tests.tap_salesforce_custom.sandbox_helpers import Org, query_routes_ready, tap_config

pytestmark = pytest.mark.skipif(not query_routes_ready(), reason="sandbox query routes missing")

DAY_MS = int(timedelta(days=1).total_seconds() * 1000)
ACCOUNT_SPEC = """\
name: account
salesforce: {object: Account, id_field: HubSpot_Id__c}
hubspot: {object: companies, id_property: salesforce_id}
filter: "Name != 'Hidden'"
fields:
  - {salesforce: Name, hubspot: name, rule: two_way}
  - {salesforce: Total_Project_Budget__c, hubspot: total_project_budget, rule: always_salesforce}
  - {salesforce: Number_Of_Projects__c, hubspot: number_of_projects, rule: always_salesforce}
refresh: {fields: formulas, every: 1d}
"""
PARTIAL_KEYS = {"Id", "Name", "Total_Project_Budget__c", "Number_Of_Projects__c", "SystemModstamp"}


def specs(tmp_path: Path) -> Path:
    (tmp_path / "account.yml").write_text(textwrap.dedent(ACCOUNT_SPEC))
    return tmp_path


def bookmark(run: Any, stream: str) -> dict[str, Any]:
    return dict(run.state["bookmarks"][stream])


@pytest.mark.parametrize("api_type", ["rest", "bulk"])
def test_rollups_are_re_read_once_per_cadence_without_moving_the_bookmark(
    clean_sandbox: Any, tmp_path: Path, api_type: str
) -> None:
    org = Org(clean_sandbox.env)
    accounts = [org.create("Account", Name=f"A{n}") for n in range(3)]
    project = org.create("Project__c", Name="p", Budget__c=100.0, Account__c=accounts[0])
    cfg = tap_config(
        clean_sandbox.env, objects=["Account"], mappings_dir=str(specs(tmp_path)),
        api_type=api_type,
    )  # fmt: skip
    first = run_tap(cfg)
    assert sorted(first.ids("Account")) == sorted(accounts)
    assert "refreshed_at" in bookmark(first, "Account")  # the full read counts as a refresh

    org.update("Project__c", project, Budget__c=250.0)  # the roll-up moves, the modstamp not
    second = run_tap(cfg, state=first.state)
    assert second.ids("Account") == []  # not due: nothing read
    assert bookmark(second, "Account") == bookmark(first, "Account")

    clean_sandbox.clock(advance_ms=DAY_MS + 60_000)
    third = run_tap(cfg, state=second.state)
    rows = {r["Id"]: r for r in third.records["Account"]}
    assert set(rows) == set(accounts)  # every record, as partial records
    assert all(set(r) == PARTIAL_KEYS for r in rows.values())  # Name: the filter reads it
    assert (
        rows[accounts[0]]["Total_Project_Budget__c"],
        rows[accounts[0]]["Number_Of_Projects__c"],
    ) == (250.0, 1.0)
    before, after = bookmark(second, "Account"), bookmark(third, "Account")
    assert after["replication_key_value"] == before["replication_key_value"]
    assert after["refreshed_at"] > before["refreshed_at"]
    assert third.tap.streams["Account"].path_used == api_type

    assert run_tap(cfg, state=third.state).ids("Account") == []  # due again in a day


def test_a_row_changed_since_the_bookmark_comes_once_in_full(
    clean_sandbox: Any, tmp_path: Path
) -> None:
    org = Org(clean_sandbox.env)
    accounts = [org.create("Account", Name=f"A{n}") for n in range(2)]
    cfg = tap_config(
        clean_sandbox.env, objects=["Account"], mappings_dir=str(specs(tmp_path)),
        api_type="rest",
    )  # fmt: skip
    first = run_tap(cfg)
    clean_sandbox.clock(advance_ms=DAY_MS + 60_000)
    org.update("Account", accounts[1], Name="renamed")
    second = run_tap(cfg, state=first.state)
    records = second.records["Account"]
    assert [r["Id"] for r in records] == [accounts[1], accounts[0]]  # incremental, then refresh
    assert records[0]["Name"] == "renamed" and "Phone" in records[0]  # the full record
    assert set(records[1]) == PARTIAL_KEYS


def test_no_mappings_dir_or_no_refresh_means_no_refresh_pass(
    clean_sandbox: Any, tmp_path: Path
) -> None:
    org = Org(clean_sandbox.env)
    org.create("Account", Name="A")
    cfg = tap_config(clean_sandbox.env, objects=["Account"], api_type="rest")
    first = run_tap(cfg)
    clean_sandbox.clock(advance_ms=DAY_MS * 30)
    assert run_tap(cfg, state=first.state).ids("Account") == []
    assert "refreshed_at" not in bookmark(first, "Account")


def test_a_first_run_from_start_date_counts_as_a_refresh_and_older_rows_are_not_refreshed(
    clean_sandbox: Any, tmp_path: Path
) -> None:
    org = Org(clean_sandbox.env)
    old = org.create("Account", Name="old")
    clean_sandbox.clock(advance_ms=60_000)
    since = clean_sandbox.clock()["now"]
    recent = org.create("Account", Name="recent")
    cfg = tap_config(
        clean_sandbox.env, objects=["Account"], mappings_dir=str(specs(tmp_path)),
        api_type="rest", start_date=since,
    )  # fmt: skip
    first = run_tap(cfg)
    assert first.ids("Account") == [recent]  # the full record; no refresh pass yet
    clean_sandbox.clock(advance_ms=DAY_MS + 60_000)
    refreshed = run_tap(cfg, state=first.state).ids("Account")
    assert refreshed == [recent] and old not in refreshed
