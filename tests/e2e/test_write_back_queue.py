"""The forward leg's id write-backs wait in the ledger across batches and go as Bulk jobs.

A Bulk 2.0 update job of 10,000 ids costs about 6 calls where collections updates of 200
cost 50, so target-hubspot-custom queues each new HubSpot id in the ledger with the batch
that created the record and writes them once ``sf_bulk_threshold`` wait (the rest at the
end of the run, by collections). The queue is durable: a target killed with ids queued
(crash point :data:`~crm_sync.sync.crash.BEFORE_WRITE_BACK_FLUSH`) leaves them to the next
run, which writes every one of them once, although its tap does not read those records
again (their ``SystemModstamp`` did not move), and writes them first: a next run that
dies at its first batch has delivered them already.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path
from typing import Any

import pytest

from crm_sync.stops import EXIT_QUOTA
from crm_sync.sync.crash import (
    AFTER_DESTINATION_WRITE,
    BEFORE_WRITE_BACK_FLUSH,
    CRASH_AT,
    WRITE_BACK_ANSWERED,
)
from crm_sync.sync.ledger import open_ledger
from crm_sync.vocabulary import WRITE_BACK_SOURCE_GONE, Direction
from tests.e2e.test_id_write_back import hubspot_ids, sf_updates, synced
from tests.e2e.two_way_helpers import BIN, FORWARD, HubSpot, Salesforce, TwoWay, write_calls
from tests.e2e.two_way_helpers import mappings_dir as write_mappings

pytestmark = pytest.mark.e2e


@pytest.fixture
def sync(clean_sandbox: Any, tmp_path: Path) -> TwoWay:
    write_mappings(tmp_path / "mappings")
    return TwoWay(dict(clean_sandbox.env), tmp_path, tmp_path / "mappings")


def bulk_jobs(stats: dict[str, Any]) -> int:
    """Bulk 2.0 ingest jobs created (the write-back's only ingest jobs here)."""
    calls = stats["salesforce"]["calls"]
    return sum(n for k, n in calls.items() if k.startswith("POST ") and k.endswith("/jobs/ingest"))


def waiting(sync: TwoWay, mapping: str) -> int:
    ledger = open_ledger(sync.ledger_url)
    try:
        return ledger.waiting_write_backs(mapping, Direction.SF_TO_HS)
    finally:
        ledger.close()


def queued(sync: TwoWay, mapping: str) -> set[str]:
    """Source ids whose write-back waits in the ledger."""
    ledger = open_ledger(sync.ledger_url)
    try:
        pages = ledger.write_back_pages(mapping, Direction.SF_TO_HS, 10_000)
        return {w.source_id for page in pages for w in page}
    finally:
        ledger.close()


def killed_at_the_flush(
    sandbox: Any, sync: TwoWay, monkeypatch: pytest.MonkeyPatch, accounts: int, projects: int
) -> tuple[Salesforce, HubSpot]:
    """Seed, then a forward run whose target SIGKILLs itself at its first write-back flush:
    its records are in HubSpot and linked, their ids queued, none written."""
    sandbox.seed(salesforce={"Account": accounts, "Project__c": projects})
    monkeypatch.setenv(CRASH_AT, BEFORE_WRITE_BACK_FLUSH)
    killed = sync.leg(FORWARD)
    monkeypatch.delenv(CRASH_AT)
    assert killed.returncodes[-1] == -9, killed.stderr  # the target SIGKILLed itself
    return Salesforce(sync.env), HubSpot(sync.env)


def test_twelve_thousand_ids_go_back_in_one_bulk_job_and_a_few_collections_calls(
    clean_sandbox: Any, sync: TwoWay
) -> None:
    """At the default threshold (10,000) the ids of 12,000 projects, created in sink
    batches of 1,000, go back as one Bulk job of 10,000 and collections calls for the rest;
    per sink batch (before) it took one collections call per 200 and no job."""
    clean_sandbox.seed(salesforce={"Account": 5, "Project__c": 12_000})
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    forward = sync.leg(FORWARD)
    assert forward.ok, forward.stderr

    projects, companies = synced(hs, "project"), synced(hs, "companies")
    assert len(projects) >= 10_000, len(projects)
    rows = hubspot_ids(sf, "Project__c")
    assert {i: rows[i] for i in projects} == projects
    stats = clean_sandbox.stats()
    assert bulk_jobs(stats) == 1
    rest = len(projects) - 10_000
    assert sf_updates(stats) == math.ceil(rest / 200) + math.ceil(len(companies) / 200)
    assert waiting(sync, "project") == 0


@pytest.mark.parametrize(
    ("threshold", "projects"), [(None, 300), (300, 1_500)], ids=["end-of-run", "mid-run"]
)
def test_a_target_killed_with_ids_queued_leaves_them_to_the_next_run(
    clean_sandbox: Any,
    sync: TwoWay,
    monkeypatch: pytest.MonkeyPatch,
    threshold: int | None,
    projects: int,
) -> None:
    """SIGKILL at the first flush: the records are in HubSpot and linked, their ids queued,
    none written to Salesforce. The next run writes every id, each once (the calls are
    the minimum for the ids), and makes no second HubSpot project; the queue ends empty.

    ``end-of-run``: nothing is due during the run; the kill comes after the run's last
    STATE, so the rerun's tap reads none of those records again: only the queue has them.
    ``mid-run``: a threshold of 300 makes the first project batch due; the kill lands
    before any of its ids is written."""
    if threshold is not None:
        sync.target_settings[FORWARD] = {"sf_bulk_threshold": threshold}
    sf, hs = killed_at_the_flush(clean_sandbox, sync, monkeypatch, 5, projects)
    made = synced(hs, "project")
    assert made, sync.runs[-1].stderr
    assert set(hubspot_ids(sf, "Project__c").values()) == {None}
    assert sf_updates(clean_sandbox.stats()) == bulk_jobs(clean_sandbox.stats()) == 0
    left = waiting(sync, "project")
    assert left >= min(len(made), threshold or len(made))

    clean_sandbox.clear_stats()
    again = sync.leg(FORWARD)
    assert again.ok, again.stderr
    projects_now, companies = synced(hs, "project"), synced(hs, "companies")
    assert made.items() <= projects_now.items()  # the killed run's projects, not again
    assert len(hs.records("project", ["salesforce_id"])) == len(projects_now)  # no twin
    rows = hubspot_ids(sf, "Project__c")
    assert {i: rows[i] for i in projects_now} == projects_now  # every id, none lost
    accounts = hubspot_ids(sf, "Account")
    assert {i: accounts[i] for i in companies} == companies
    stats = clean_sandbox.stats()
    creates = {k: n for k, n in write_calls(stats, "hubspot").items() if "/batch/upsert" in k
               or "/batch/create" in k}  # fmt: skip
    assert threshold is not None or creates == {}, creates  # nothing written again
    # each id once: full pages of the threshold as Bulk jobs, the rest by collections;
    # the killed run's ids first, at the start (the ones its tap reads again, still blank,
    # are not queued twice), then this run's
    page = threshold or 10_000
    sizes = [left, len(projects_now) - left] if threshold else [len(projects_now)]
    assert bulk_jobs(stats) == sum(n // page for n in sizes)
    assert sf_updates(stats) == sum(math.ceil(n % page / 200) for n in sizes) + math.ceil(
        len(companies) / 200
    )
    assert waiting(sync, "project") == waiting(sync, "account") == 0


def test_ids_a_bulk_job_wrote_stay_queued_until_recorded_so_a_kill_loses_none(
    clean_sandbox: Any, sync: TwoWay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Bulk job runs on the write-back's own thread beside the batches; only the
    writer thread drops its ids from the queue, once it records the answers. Killed after
    Salesforce took a job's page but before that (crash point
    :data:`~crm_sync.sync.crash.WRITE_BACK_ANSWERED`), those ids are in Salesforce and
    still queued: the next run writes them again (the same ids, harmless), makes no twin,
    and ends with the queue empty."""
    sync.target_settings[FORWARD] = {"sf_bulk_threshold": 300}
    clean_sandbox.seed(salesforce={"Account": 5, "Project__c": 1_500})
    sf, hs = Salesforce(sync.env), HubSpot(sync.env)
    monkeypatch.setenv(CRASH_AT, WRITE_BACK_ANSWERED)
    killed = sync.leg(FORWARD)
    monkeypatch.delenv(CRASH_AT)
    assert killed.returncodes[-1] == -9, killed.stderr
    made = synced(hs, "project")
    written = {i: h for i, h in hubspot_ids(sf, "Project__c").items() if h}
    assert bulk_jobs(clean_sandbox.stats()) == 1 and len(written) == 300
    assert written.items() <= made.items()
    assert set(written) <= queued(sync, "project")  # answered, never recorded

    again = sync.leg(FORWARD)
    assert again.ok, again.stderr
    projects_now = synced(hs, "project")
    assert made.items() <= projects_now.items()  # the killed run's projects, not again
    assert len(hs.records("project", ["salesforce_id"])) == len(projects_now)  # no twin
    rows = hubspot_ids(sf, "Project__c")
    assert {i: rows[i] for i in projects_now} == projects_now  # every id, none lost
    assert waiting(sync, "project") == waiting(sync, "account") == 0


def test_the_next_run_writes_a_killed_runs_ids_first_so_dying_early_loses_none(
    clean_sandbox: Any, sync: TwoWay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed at its end-of-run flush leaves every id queued. The next run writes
    them as soon as it holds the mapping, before its first batch: killed right after
    HubSpot took that batch, it has delivered them all (they used to wait for its end).
    A third run finishes the edit's batch and writes none of those ids again."""
    sf, hs = killed_at_the_flush(clean_sandbox, sync, monkeypatch, 3, 30)
    made = synced(hs, "project")
    assert made and set(hubspot_ids(sf, "Project__c").values()) == {None}

    edited = sorted(made)[0]  # gives the next run a batch to write
    sf.update("Project__c", edited, {"Name": "Renamed after the kill"})
    clean_sandbox.clear_stats()
    monkeypatch.setenv(CRASH_AT, AFTER_DESTINATION_WRITE)
    dying = sync.leg(FORWARD)
    monkeypatch.delenv(CRASH_AT)
    assert dying.returncodes[-1] == -9, dying.stderr
    rows = hubspot_ids(sf, "Project__c")
    assert {i: rows[i] for i in made} == made  # delivered before the batch it died on
    assert waiting(sync, "project") == 0

    again = sync.leg(FORWARD)
    assert again.ok, again.stderr
    projects, companies = synced(hs, "project"), synced(hs, "companies")
    assert projects == made  # no twin, no new project
    assert hs.records("project", ["project_name"])[made[edited]]["project_name"] == (
        "Renamed after the kill"
    )
    accounts = hubspot_ids(sf, "Account")
    assert {i: accounts[i] for i in companies} == companies
    # each id once in the last two runs: one collections call per mapping
    assert sf_updates(clean_sandbox.stats()) == 2
    assert waiting(sync, "project") == waiting(sync, "account") == 0


def test_a_queued_id_set_meanwhile_in_salesforce_is_not_written_again(
    clean_sandbox: Any, sync: TwoWay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed at its end-of-run flush leaves every id queued. Meanwhile an admin
    renames an account and sets one project's ``HubSpot_Id__c`` (its own id). The next
    run stops on its Salesforce share (``sf_max_api_share``): the accounts' write-back
    call reaches it, so the projects' ids stay queued, but the project it reads holding
    its id drops its row. Once the share is lifted every other id is written, and that
    project is not written again (its SystemModstamp stays the admin's)."""
    sf, hs = killed_at_the_flush(clean_sandbox, sync, monkeypatch, 3, 10)
    projects, companies = synced(hs, "project"), synced(hs, "companies")
    assert projects and waiting(sync, "project") == len(projects)
    admin_set = sorted(projects)[0]
    sf.update("Project__c", admin_set, {"HubSpot_Id__c": projects[admin_set]})
    sf.update("Account", sorted(companies)[0], {"Name": "Renamed while the ids wait"})
    stamp = sf.rows("Project__c", "SystemModstamp")[admin_set]["SystemModstamp"]

    sync.target_settings[FORWARD] = {"sf_max_api_share": "0.0000001"}  # one call reaches it
    stopped = sync.leg(FORWARD)
    assert stopped.returncodes[-1] == EXIT_QUOTA, stopped.stderr
    accounts = hubspot_ids(sf, "Account")
    assert {i: accounts[i] for i in companies} == companies  # the one call
    assert waiting(sync, "project") == len(projects) - 1  # the admin's id: nothing to write

    sync.target_settings.clear()
    again = sync.leg(FORWARD)
    assert again.ok, again.stderr
    rows = sf.rows("Project__c", "HubSpot_Id__c, SystemModstamp")
    assert {i: rows[i]["HubSpot_Id__c"] for i in projects} == projects
    assert rows[admin_set]["SystemModstamp"] == stamp
    assert synced(hs, "project") == projects
    assert waiting(sync, "project") == 0


def test_a_write_back_to_a_deleted_record_is_a_closed_dead_letter_not_a_replay(
    clean_sandbox: Any, sync: TwoWay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed at its end-of-run flush leaves the accounts' ids queued; an admin then
    deletes one of them (no project names it) in Salesforce. The next run's write-back to
    it is answered ENTITY_IS_DELETED: a dead letter closed at once with its reason
    (``WRITE_BACK_SOURCE_GONE``, listed by ``crm-sync dead-letters list --all``), not one
    that every later run replays with a write-back refused again."""
    sf, hs = killed_at_the_flush(clean_sandbox, sync, monkeypatch, 6, 3)
    companies = synced(hs, "companies")
    assert waiting(sync, "account") == len(companies) == 6
    named = {r["Account__c"] for r in sf.rows("Project__c", "Account__c").values()}
    gone = sorted(set(companies) - named)[0]
    sf.delete("Account", gone)

    again = sync.leg(FORWARD)
    assert again.ok, again.stderr
    accounts = hubspot_ids(sf, "Account")
    assert {i: accounts[i] for i in companies if i != gone} == {
        i: h for i, h in companies.items() if i != gone
    }
    ledger = open_ledger(sync.ledger_url)
    try:
        assert ledger.dead_letters("account", Direction.SF_TO_HS) == []  # none open
        [letter] = ledger.store.dead_letters("account", Direction.SF_TO_HS, include_resolved=True)
    finally:
        ledger.close()
    assert (letter.source_id, letter.error.code) == (gone, WRITE_BACK_SOURCE_GONE)
    assert letter.resolved_at is not None
    assert "ENTITY_IS_DELETED" in letter.error.message
    listed = subprocess.run(
        [str(BIN / "crm-sync"), "--ledger-url", sync.ledger_url, "dead-letters", "list", "--all"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"account\tsf_to_hs\t{gone}\t{WRITE_BACK_SOURCE_GONE}\tclosed" in listed
    assert waiting(sync, "account") == 0

    clean_sandbox.clear_stats()
    last = sync.leg(FORWARD)
    assert last.ok, last.stderr
    assert sf_updates(clean_sandbox.stats()) == bulk_jobs(clean_sandbox.stats()) == 0
