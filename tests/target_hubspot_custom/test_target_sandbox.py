"""The target against the HubSpot sandbox: first import, rerun costs nothing, 207s, dry run.

Every test runs with the ledger on SQLite and on a throwaway PostgreSQL server.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator

import pytest
from target_hubspot_custom.target import TargetHubSpotCustom

from crm_sync.sync.ledger import open_ledger
from crm_sync.vocabulary import WRITE_BACK_FAILED, Direction, RecordError
from tests.fixtures_pg import fresh_database

MAPPING = {
    "name": "project",
    "salesforce": {"object": "Project__c", "id_field": "HubSpot_Id__c"},
    "hubspot": {"object": "project", "id_property": "salesforce_id"},
    "create": {"to_hubspot": True, "to_salesforce": False},
    "delete": {"to_hubspot": "propagate", "to_salesforce": "ignore"},
    "conflict": "newest",
    "tie": "salesforce",
    "filter": None,
    "direction": "sf_to_hs",
    "key": "salesforce_id",
}
NULL_STR = {"type": ["string", "null"]}


def schema_message() -> dict:
    props = {
        "project_name": {
            **NULL_STR,
            "x-crm-rule": "two_way",
            "x-crm-source": "Name",
            "x-crm-kind": "text",
        },
        "salesforce_id": {**NULL_STR, "x-crm-role": "source_id"},
        "_crm_destination_id": NULL_STR,
        "_crm_source_id": {"type": ["string"]},
        "_crm_source_modified_at": {"type": ["string", "null"], "format": "date-time"},
        "_crm_associations": {"type": ["array", "null"], "items": {"type": "object"}},
        "_crm_errors": {"type": ["array", "null"], "items": {"type": "object"}},
        "_sdc_deleted_at": {"type": ["string", "null"], "format": "date-time"},
    }
    return {
        "type": "SCHEMA",
        "stream": "project",
        "key_properties": ["salesforce_id"],
        "schema": {"type": "object", "properties": props, "x-crm-mapping": MAPPING},
    }


def record(i: int, name: str | None = None, deleted: str | None = None) -> dict:
    sid = f"a01{i:012d}AAA"
    rec = {
        "project_name": name or f"Project {i}",
        "salesforce_id": sid,
        "_crm_destination_id": None,
        "_crm_source_id": sid,
        "_crm_source_modified_at": "2026-01-01T00:00:00.000Z",
        "_crm_associations": [],
    }
    if deleted:
        rec["_sdc_deleted_at"] = deleted
    return {"type": "RECORD", "stream": "project", "record": rec}


def run_target(config: dict, messages: list[dict]) -> str:
    text = "\n".join(
        json.dumps(m) for m in [*messages, {"type": "STATE", "value": {"bookmark": 1}}]
    )
    target = TargetHubSpotCustom(config=config)
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        target.listen(io.StringIO(text + "\n"))
    return out.getvalue()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The target's ledger on a SQLite file and on a throwaway PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite'}"
        return
    admin_url = request.getfixturevalue("postgres_server_url")
    if admin_url is None:
        pytest.skip("no PostgreSQL: set CRM_SYNC_TEST_PG_URL or install postgresql + psycopg")
    with fresh_database(admin_url) as url:
        yield url


@pytest.fixture
def config(clean_sandbox, tmp_path, ledger_url) -> dict:
    env = clean_sandbox.env
    return {
        "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "ledger_url": ledger_url,
        "plan_path": str(tmp_path / "plan.json"),
        "max_workers": 4,
    }


def hubspot_projects(config: dict) -> list[dict]:
    from tests.e2e.hubspot_reads import hubspot_records

    env = {
        "CRM_SANDBOX_HS_BASE_URL": config["base_url"],
        "CRM_SANDBOX_HS_ACCESS_TOKEN": config["access_token"],
        "CRM_SANDBOX_CA_BUNDLE": config["ca_bundle"],
    }
    return hubspot_records(env, "project", ["salesforce_id", "project_name"])


def read_plan(config: dict) -> dict:
    with open(config["plan_path"]) as handle:
        return json.load(handle)


def writes(stats: dict) -> int:
    calls = stats["hubspot"]["calls"]
    return sum(n for key, n in calls.items() if key.startswith("POST") and "batch/read" not in key)


def test_first_import_then_rerun_makes_no_write(clean_sandbox, config):
    n = 250
    msgs = [schema_message(), *(record(i) for i in range(n))]
    state = run_target(config, msgs)
    assert '"bookmark": 1' in state
    stats = clean_sandbox.stats()
    assert stats["hubspot"]["records"]["project"] == n
    upserts = sum(v for k, v in stats["hubspot"]["calls"].items() if "batch/upsert" in k)
    assert upserts == math.ceil(n / 100)
    assert stats["hubspot"]["total"] <= upserts + 4  # + schema and property listing
    clean_sandbox.clear_stats()
    run_target(config, msgs)
    assert writes(clean_sandbox.stats()) == 0
    report = read_plan(config)["streams"][0]
    assert report["counts"]["unchanged"] == n and report["counts"]["created"] == 0


def test_update_delete_and_dry_run(clean_sandbox, config):
    real_out = run_target(config, [schema_message(), *(record(i) for i in range(5))])
    assert '"bookmark": 1' in real_out  # a real run hands the tap's STATE on
    dry = {**config, "dry_run": True}
    clean_sandbox.clear_stats()
    dry_out = run_target(
        dry, [schema_message(), record(0, "Renamed"), record(1, deleted="2026-02-01T00:00:00Z")]
    )
    assert writes(clean_sandbox.stats()) == 0
    # No STATE from a dry run: meltano would save the bookmark and the next real run
    # would skip the records the dry run only planned.
    assert '"bookmark"' not in dry_out
    plan = read_plan(config)["streams"][0]
    assert plan["dry_run"] and plan["counts"]["updated"] == 1 and plan["counts"]["deleted"] == 1
    run_target(
        config, [schema_message(), record(0, "Renamed"), record(1, deleted="2026-02-01T00:00:00Z")]
    )
    report = read_plan(config)["streams"][0]
    assert report["counts"]["updated"] == 1 and report["counts"]["deleted"] == 1
    ledger = open_ledger(config["ledger_url"])
    runs = ledger.runs(mapping="project")
    assert len(runs) == 2  # the dry run is not logged
    assert runs[0].counts["deleted"] == 1 and runs[1].counts["created"] == 5


def test_refused_records_go_to_dead_letters_and_retry(clean_sandbox, config):
    clean_sandbox.set_faults(refuse=0.3, seed=3)
    run_target(config, [schema_message(), *(record(i) for i in range(50))])
    ledger = open_ledger(config["ledger_url"])
    letters = ledger.dead_letters("project", Direction.SF_TO_HS)
    assert letters and all(d.error for d in letters)
    report = read_plan(config)["streams"][0]
    assert report["counts"]["failed"] == len(letters)
    clean_sandbox.set_faults()
    run_target(config, [schema_message()])
    assert not ledger.dead_letters("project", Direction.SF_TO_HS)
    assert clean_sandbox.stats()["hubspot"]["records"]["project"] == 50


def test_a_dead_letter_whose_record_the_run_read_again_is_not_replayed_by_it(clean_sandbox, config):
    """Run 2 refuses a rename; run 3 reads the record back at its synced name (unchanged).

    Its letter stays open, but run 3 read a newer version of the record: replaying the
    rename at the end of run 3 would write a value the source no longer has. What a run
    read is stamped on the ledger's dead letters, not kept in memory.
    """
    run_target(config, [schema_message(), *(record(i) for i in range(3))])
    clean_sandbox.set_faults(refuse=1.0)
    run_target(config, [schema_message(), record(0, "Renamed")])
    ledger = open_ledger(config["ledger_url"])
    (letter,) = ledger.dead_letters("project", Direction.SF_TO_HS)
    assert letter.payload["project_name"] == "Renamed"
    clean_sandbox.set_faults()
    clean_sandbox.clear_stats()
    run_target(config, [schema_message(), record(0)])
    assert writes(clean_sandbox.stats()) == 0
    assert read_plan(config)["streams"][0]["counts"]["unchanged"] == 1
    run_target(config, [schema_message()])  # a run that does not read it replays it
    assert writes(clean_sandbox.stats()) == 1
    assert ledger.dead_letters("project", Direction.SF_TO_HS) == []


def test_partial_records_update_only_linked_records_and_leave_dead_letters_to_retry(
    clean_sandbox, config
):
    """A refresh pass's partial records (``_crm_partial``): a never-linked id is not
    created from one, and a refused create's dead letter is still retried in full."""
    clean_sandbox.set_faults(refuse=0.3, seed=3)
    run_target(config, [schema_message(), *(record(i) for i in range(50))])
    ledger = open_ledger(config["ledger_url"])
    refused = {d.source_id for d in ledger.dead_letters("project", Direction.SF_TO_HS)}
    assert refused
    clean_sandbox.set_faults()
    clean_sandbox.clear_stats()
    schema = schema_message()
    schema["schema"]["properties"]["_crm_partial"] = {"type": ["boolean", "null"]}
    partial = [record(i, name="Refreshed" if i == 0 else None) for i in range(50)]
    for message in partial:
        message["record"]["_crm_partial"] = True
    run_target(config, [schema, *partial])
    assert not ledger.dead_letters("project", Direction.SF_TO_HS)  # retried, in full
    names = {
        p["properties"]["salesforce_id"]: p["properties"]["project_name"]
        for p in hubspot_projects(config)
    }
    assert len(names) == 50
    first = record(0)["record"]["salesforce_id"]
    assert names[first] == ("Project 0" if first in refused else "Refreshed")


def test_faults_end_with_hubspot_equal_to_source(clean_sandbox, config):
    clean_sandbox.set_faults(http429=0.2, http500=0.05, reset=0.03, seed=11)
    n = 300
    run_target(config, [schema_message(), *(record(i) for i in range(n))])
    clean_sandbox.set_faults()
    assert clean_sandbox.stats()["hubspot"]["records"]["project"] == n  # none lost, none doubled
    clean_sandbox.clear_stats()
    run_target(config, [schema_message(), *(record(i) for i in range(n))])
    assert writes(clean_sandbox.stats()) == 0


def test_an_update_of_a_record_lacking_its_key_goes_by_hubspot_id_and_closes_the_write_back(
    clean_sandbox, config
):
    """A HubSpot-born project is linked in the ledger, but the reverse leg's write-back of
    its ``salesforce_id`` was refused (an open ``WRITE_BACK_FAILED`` dead letter): a
    Salesforce edit of it updates that project by HubSpot id, setting ``salesforce_id``
    (an upsert on the key would create a twin), and closes that dead letter only. A record
    carrying its key is still upserted by it; a rerun writes nothing."""
    from tests.e2e.two_way_helpers import HubSpot

    run_target(config, [schema_message(), record(1)])
    keyed_id = hubspot_projects(config)[0]["id"]
    portal = HubSpot(
        {
            "CRM_SANDBOX_HS_BASE_URL": config["base_url"],
            "CRM_SANDBOX_HS_ACCESS_TOKEN": config["access_token"],
            "CRM_SANDBOX_CA_BUNDLE": config["ca_bundle"],
        }
    )
    name = "Born in HubSpot"
    born = portal.create("project", {"project_name": name})
    sid = record(0)["record"]["salesforce_id"]
    ledger = open_ledger(config["ledger_url"])
    agreed = {"salesforce": {"Name": name}, "hubspot": {"project_name": name}}
    with ledger.store.batch() as uow:
        uow.link("project", sid, born, base=agreed)
        refused = RecordError(WRITE_BACK_FAILED, f"salesforce_id={sid}: no", ("salesforce_id",))
        uow.dead_letter("project", Direction.HS_TO_SF, born, {"project_name": "x"}, refused)
        other = RecordError("FIELD_CUSTOM_VALIDATION_EXCEPTION", "refused by a rule")
        uow.dead_letter("project", Direction.HS_TO_SF, keyed_id, {"project_name": "y"}, other)

    clean_sandbox.clear_stats()
    run_target(config, [schema_message(), record(0, "Edited"), record(1, "Edited too")])
    calls = clean_sandbox.stats()["hubspot"]["calls"]
    assert sum(n for k, n in calls.items() if "batch/update" in k) == 1
    assert sum(n for k, n in calls.items() if "batch/upsert" in k) == 1
    projects = {p["id"]: p["properties"] for p in hubspot_projects(config)}
    assert {i: (p["salesforce_id"], p["project_name"]) for i, p in projects.items()} == {
        born: (sid, "Edited"),
        keyed_id: (record(1)["record"]["salesforce_id"], "Edited too"),
    }
    assert [d.source_id for d in ledger.dead_letters("project", Direction.HS_TO_SF)] == [keyed_id]
    assert ledger.destination_ids("project", Direction.SF_TO_HS, [sid]) == {sid: born}

    clean_sandbox.clear_stats()
    run_target(config, [schema_message(), record(0, "Edited"), record(1, "Edited too")])
    assert writes(clean_sandbox.stats()) == 0
