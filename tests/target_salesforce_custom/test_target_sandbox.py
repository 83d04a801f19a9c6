"""target-salesforce-custom against both sandboxes, fed by the real map-crm (hs_to_sf)."""

from __future__ import annotations

import math

import pytest

from crm_sync.sync.ledger import open_ledger
from crm_sync.vocabulary import Direction
from tests.target_salesforce_custom.helpers import (
    HubSpotPortal,
    hs_writes,
    mapped,
    read_plan,
    run_target,
    sf_writes,
    soql,
    target_config,
    write_mappings,
)

PROJECT_FIELDS = "Id, Name, Description__c, Budget__c, Is_Active__c, HubSpot_Id__c, IsDeleted"


def projects(n: int, prefix: str = "Project") -> list[dict]:
    return [
        {
            "project_name": f"{prefix} {i:05d}",
            "description": f"about {i}",
            "budget": str(1000 + i),
            "is_active": "true" if i % 2 else "false",
            "start_date": "2026-03-01",
        }
        for i in range(n)
    ]


@pytest.fixture
def portal(clean_sandbox) -> HubSpotPortal:
    return HubSpotPortal(clean_sandbox.env)


def sf_projects(env: dict) -> dict[str, dict]:
    """Live Project__c rows by HubSpot id (asserting no HubSpot id is there twice)."""
    rows = soql(env, f"SELECT {PROJECT_FIELDS} FROM Project__c WHERE IsDeleted = false")
    by_hs = {r["HubSpot_Id__c"]: r for r in rows}
    assert len(by_hs) == len(rows), "duplicate Salesforce records for one HubSpot record"
    return by_hs


def sync(portal, mappings, config, ids, **kwargs) -> str:
    messages = mapped(mappings, *portal.stream("project", portal.read("project", ids), **kwargs))
    return run_target(config, messages)


def test_creates_write_back_then_rerun_writes_nothing(clean_sandbox, portal, tmp_path):
    env = clean_sandbox.env
    mappings = write_mappings(tmp_path / "m")
    config = target_config(env, tmp_path)
    n = 450
    ids = portal.create("project", projects(n))
    clean_sandbox.clear_stats()
    state = sync(portal, mappings, config, ids)
    assert '"bookmark": 1' in state
    stats = clean_sandbox.stats()
    by_hs = sf_projects(env)
    assert set(by_hs) == set(ids)
    assert by_hs[ids[3]]["Name"] == "Project 00003" and by_hs[ids[3]]["Is_Active__c"] is True
    assert by_hs[ids[3]]["Budget__c"] == 1003
    upserts = sum(v for k, v in stats["salesforce"]["calls"].items() if "{field}" in k)
    assert upserts == math.ceil(n / 200) and sf_writes(stats) == upserts  # the minimum
    assert hs_writes(stats) == math.ceil(n / 100)  # write-back, one batch update per 100
    # the HubSpot records now name their Salesforce twins
    for record in portal.read("project", ids):
        assert record["properties"]["salesforce_id"] == by_hs[record["id"]]["Id"]
    report = read_plan(config)["streams"][0]
    assert report["counts"]["created"] == n and report["counts"]["failed"] == 0
    # the tap reads the write-back as a change; the rerun writes nothing anywhere
    clean_sandbox.clear_stats()
    sync(portal, mappings, config, ids)
    stats = clean_sandbox.stats()
    assert sf_writes(stats) == 0 and hs_writes(stats) == 0
    assert read_plan(config)["streams"][0]["counts"]["unchanged"] == n


def test_updates_and_deletes_follow_the_delete_rule(clean_sandbox, portal, tmp_path):
    env = clean_sandbox.env
    config = target_config(env, tmp_path)
    ids = portal.create("project", projects(6))
    sync(portal, write_mappings(tmp_path / "p", delete="propagate"), config, ids)
    portal.update("project", {ids[0]: {"project_name": "Renamed", "description": ""}})
    portal.archive("project", [ids[1]])
    live = portal.read("project", [i for i in ids if i != ids[1]])
    gone = portal.read("project", [ids[1]], archived=True)
    clean_sandbox.clear_stats()
    mappings = write_mappings(tmp_path / "p", delete="propagate")
    run_target(config, mapped(mappings, *portal.stream("project", [*live, *gone])))
    by_hs = sf_projects(env)
    assert by_hs[ids[0]]["Name"] == "Renamed" and by_hs[ids[0]]["Description__c"] is None
    assert ids[1] not in by_hs  # deleted (in the recycle bin)
    counts = read_plan(config)["streams"][0]["counts"]
    assert counts["updated"] == 1 and counts["deleted"] == 1 and counts["unchanged"] == 4
    calls = clean_sandbox.stats()["salesforce"]["calls"]
    assert sum(v for k, v in calls.items() if k.startswith("DELETE")) == 1
    # under `ignore` a HubSpot delete leaves Salesforce alone
    portal.archive("project", [ids[2]])
    gone = portal.read("project", [ids[2]], archived=True)
    ignore = write_mappings(tmp_path / "i", delete="ignore")
    run_target(config, mapped(ignore, *portal.stream("project", gone)))
    assert ids[2] in sf_projects(env)
    assert read_plan(config)["streams"][0]["counts"]["skipped"] == 1


def test_create_rule_off_skips_hubspot_born_records(clean_sandbox, portal, tmp_path):
    config = target_config(clean_sandbox.env, tmp_path)
    ids = portal.create("project", projects(5))
    clean_sandbox.clear_stats()
    sync(portal, write_mappings(tmp_path / "m", create=False), config, ids)
    assert sf_writes(clean_sandbox.stats()) == 0 and not sf_projects(clean_sandbox.env)
    counts = read_plan(config)["streams"][0]["counts"]
    assert counts["skipped"] == 5 and counts["created"] == 0


def test_refused_records_are_dead_letters_retried_next_run(clean_sandbox, portal, tmp_path, caplog):
    env = clean_sandbox.env
    config = target_config(env, tmp_path)
    mappings = write_mappings(tmp_path / "m")
    rows = projects(60)
    rows[7]["project_name"] = "x" * 120  # Name is 80 characters at most
    ids = portal.create("project", rows)
    clean_sandbox.set_faults(refuse=0.2, only="salesforce", seed=5)
    sync(portal, mappings, config, ids)
    clean_sandbox.set_faults()
    ledger = open_ledger(config["ledger_url"])
    letters = {d.source_id: d for d in ledger.dead_letters("project", Direction.HS_TO_SF)}
    assert letters[ids[7]].error.code == "STRING_TOO_LONG"
    assert letters[ids[7]].error.fields == ("Name",)
    refused = [d for d in letters.values() if d.error.code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"]
    assert refused, "the fault dice refused nobody"
    assert read_plan(config)["streams"][0]["counts"]["failed"] == len(letters)
    # the reason is in the log, not only in the ledger
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("Salesforce refused" in w and "dead letters" in w for w in warnings), warnings
    assert set(sf_projects(env)) == set(ids) - set(letters)
    # next run, no input: the dead letters are replayed and the refused ones land
    run_target(config, mapped(mappings, *portal.stream("project", [])))
    assert set(sf_projects(env)) == set(ids) - {ids[7]}
    left = ledger.dead_letters("project", Direction.HS_TO_SF)
    assert [d.source_id for d in left] == [ids[7]] and left[0].attempts == 2
    assert left[0].repeats == 2  # the same error twice in a row
    # a third run refuses it the same way again: a permanent error, called out as such
    caplog.clear()
    run_target(config, mapped(mappings, *portal.stream("project", [])))
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    permanent = [w for w in warnings if "permanent error" in w]
    assert permanent == [
        "project: 1 record(s) refused with the same error on 3 or more runs in a row, a "
        "permanent error that retrying will not fix: STRING_TOO_LONG 1; e.g. "
        f"{ids[7]}: STRING_TOO_LONG [Name]; fix the records at the source (or the mapping), "
        "or dismiss them with `crm-sync dead-letters dismiss`"
    ], warnings
    assert not any("x" * 120 in w for w in warnings)  # log_values is off: no value


def test_lookups_from_associations_pending_until_the_company_is_synced(
    clean_sandbox, portal, tmp_path
):
    env = clean_sandbox.env
    config = target_config(env, tmp_path)
    mappings = write_mappings(tmp_path / "m", lookups=True)
    companies = portal.create("companies", [{"name": f"Co {i}"} for i in range(2)])
    ids = portal.create("project", projects(4))
    links = {ids[0]: {"companies": [companies[0]]}, ids[1]: {"companies": [companies[1]]}}
    run_target(
        config, mapped(mappings, *portal.stream("project", portal.read("project", ids), links))
    )
    rows = soql(env, "SELECT HubSpot_Id__c, Account__c FROM Project__c")
    assert all(r["Account__c"] is None for r in rows)
    ledger = open_ledger(config["ledger_url"])
    assert len(ledger.pending_associations("project", Direction.HS_TO_SF)) == 2
    # the companies arrive (the project stream comes along, its records unchanged):
    # accounts are created, then the parked lookups are set
    both = [
        *portal.stream("companies", portal.read("companies", companies)),
        *portal.stream("project", portal.read("project", ids), links),
    ]
    run_target(config, mapped(mappings, *both))
    accounts = {
        r["HubSpot_Id__c"]: r["Id"] for r in soql(env, "SELECT Id, HubSpot_Id__c FROM Account")
    }
    lookups = {
        r["HubSpot_Id__c"]: r["Account__c"]
        for r in soql(env, "SELECT HubSpot_Id__c, Account__c FROM Project__c")
    }
    assert lookups[ids[0]] == accounts[companies[0]] and lookups[ids[1]] == accounts[companies[1]]
    assert lookups[ids[2]] is None
    assert not ledger.pending_associations("project", Direction.HS_TO_SF)
    # unchanged associations cost nothing on the next run
    clean_sandbox.clear_stats()
    run_target(
        config, mapped(mappings, *portal.stream("project", portal.read("project", ids), links))
    )
    assert sf_writes(clean_sandbox.stats()) == 0
    # a project moved to the other company: the lookup follows, in the record's own update
    links[ids[0]] = {"companies": [companies[1]]}
    run_target(
        config, mapped(mappings, *portal.stream("project", portal.read("project", ids), links))
    )
    lookups = {
        r["HubSpot_Id__c"]: r["Account__c"]
        for r in soql(env, "SELECT HubSpot_Id__c, Account__c FROM Project__c")
    }
    assert lookups[ids[0]] == accounts[companies[1]]


def test_dry_run_writes_nothing(clean_sandbox, portal, tmp_path):
    config = target_config(clean_sandbox.env, tmp_path, dry_run=True)
    ids = portal.create("project", projects(10))
    clean_sandbox.clear_stats()
    sync(portal, write_mappings(tmp_path / "m"), config, ids)
    stats = clean_sandbox.stats()
    assert sf_writes(stats) == 0 and hs_writes(stats) == 0
    plan = read_plan(config)["streams"][0]
    assert plan["dry_run"] and plan["counts"]["created"] == 10


def test_bulk_ingest_above_the_threshold(clean_sandbox, portal, tmp_path):
    env = clean_sandbox.env
    config = target_config(env, tmp_path, bulk_threshold=100)
    mappings = write_mappings(tmp_path / "m")
    ids = portal.create("project", projects(300))
    clean_sandbox.clear_stats()
    sync(portal, mappings, config, ids)
    calls = clean_sandbox.stats()["salesforce"]["calls"]
    assert sum(v for k, v in calls.items() if k.startswith("POST") and k.endswith("/ingest")) == 1
    assert not any("{field}" in k for k in calls)  # no collections upsert
    assert set(sf_projects(env)) == set(ids)
    # updates above the threshold: one update job (by Id)
    portal.update("project", {i: {"description": "bulk edit"} for i in ids[:150]})
    sync(portal, mappings, config, ids)
    rows = sf_projects(env)
    assert sum(1 for r in rows.values() if r["Description__c"] == "bulk edit") == 150
    assert read_plan(config)["streams"][0]["counts"]["updated"] == 150


def test_faults_end_equal_without_duplicates(clean_sandbox, portal, tmp_path):
    env = clean_sandbox.env
    config = target_config(env, tmp_path)
    mappings = write_mappings(tmp_path / "m")
    n = 500
    ids = portal.create("project", projects(n))
    records = portal.read("project", ids)
    clean_sandbox.set_faults(http500=0.05, reset=0.03, refuse=0.02, seed=17)
    run_target(config, mapped(mappings, *portal.stream("project", records)))
    clean_sandbox.set_faults()
    run_target(config, mapped(mappings, *portal.stream("project", portal.read("project", ids))))
    by_hs = sf_projects(env)  # asserts one Salesforce record per HubSpot record
    assert set(by_hs) == set(ids)
    for record in portal.read("project", ids):
        assert record["properties"]["salesforce_id"] == by_hs[record["id"]]["Id"]
    assert not open_ledger(config["ledger_url"]).dead_letters("project", Direction.HS_TO_SF)
    clean_sandbox.clear_stats()
    run_target(config, mapped(mappings, *portal.stream("project", portal.read("project", ids))))
    assert sf_writes(clean_sandbox.stats()) == 0
