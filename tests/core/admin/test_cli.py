"""``crm-sync`` over a real ledger file: status, dead letters, pending, runs."""

from __future__ import annotations

import json

from click.testing import CliRunner

from crm_sync.admin.cli import main
from crm_sync.ledger import LedgerStore
from crm_sync.vocabulary import WRITE_BACK_SOURCE_GONE, RecordError
from tests.core.admin.conftest import FWD, REV, RUNS


def run(store: LedgerStore, *args: str) -> str:
    result = CliRunner().invoke(main, ["--ledger-url", str(store.engine.url), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_status_per_mapping(ledger: LedgerStore) -> None:
    out = run(ledger, "status")
    assert "project: 4 linked" in out
    assert "account: 1 linked" in out
    assert "last sf_to_hs run run-3" in out and "last hs_to_sf run run-2" in out
    assert "pending associations: 2" in out
    assert "1 target_refused" in out and "1 target_not_synced" in out
    assert "dead letters: 3" in out
    assert "2 INVALID_EMAIL" in out and "1 DUPLICATE_VALUE" in out
    assert "written back" not in out  # none queued


def test_status_counts_the_ids_waiting_to_be_written_back(ledger: LedgerStore) -> None:
    with ledger.batch() as uow:
        for n in range(3):
            uow.queue_write_back("project", FWD, f"a10{n}", f"90{n}")
    out = run(ledger, "status", "--mapping", "project")
    assert "ids waiting to be written back: 3" in out


def test_status_counts_the_write_backs_closed_for_records_gone(ledger: LedgerStore) -> None:
    gone = RecordError(WRITE_BACK_SOURCE_GONE, "HubSpot_Id__c=902: ENTITY_IS_DELETED: gone")
    with ledger.batch() as uow:
        uow.dead_letter("project", FWD, "a003", {"Name": "x"}, gone)
        uow.resolve_dead_letters("project", FWD, ["a003"], code=WRITE_BACK_SOURCE_GONE)
    out = run(ledger, "status", "--mapping", "project")
    assert "dead letters: 3" in out  # open ones only
    assert f"id write-backs closed, the source record deleted ({WRITE_BACK_SOURCE_GONE}): 1" in out
    listed = run(ledger, "dead-letters", "list", "--mapping", "project", "--all")
    assert f"project\tsf_to_hs\ta003\t{WRITE_BACK_SOURCE_GONE}\tclosed" in listed


def test_ledger_url_from_the_targets_variable(ledger: LedgerStore) -> None:
    result = CliRunner().invoke(
        main,
        ["status", "--mapping", "account"],
        env={"CRM_SYNC_LEDGER_URL": str(ledger.engine.url)},
    )
    assert result.exit_code == 0, result.output
    assert "account: 1 linked" in result.output


def test_dismiss_then_retry_reopens_for_the_next_run(ledger: LedgerStore) -> None:
    out = run(
        ledger, "dead-letters", "dismiss", "--mapping", "project", "--direction", "sf_to_hs", "a009"
    )
    assert "1 dead letter(s) dismissed" in out
    assert [d.source_id for d in ledger.dead_letters("project", FWD)] == ["a010"]
    listed = run(ledger, "dead-letters", "list", "--mapping", "project")
    assert "a009" not in listed and "a010" in listed and "h77" in listed

    run(ledger, "dead-letters", "retry", "--mapping", "project", "--direction", "sf_to_hs", "a009")
    # what the target's retry_dead_letters() replays: the open letters of the leg
    assert [d.source_id for d in ledger.dead_letters("project", FWD)] == ["a009", "a010"]

    run(
        ledger,
        "dead-letters",
        "dismiss",
        "--mapping",
        "project",
        "--direction",
        "hs_to_sf",
        "--all",
    )
    assert ledger.dead_letters("project", REV) == []


def test_retry_needs_ids() -> None:
    result = CliRunner().invoke(
        main, ["dead-letters", "retry", "--mapping", "project", "--direction", "sf_to_hs"]
    )
    assert result.exit_code == 2 and "name the source ids" in result.output


def test_pending_list(ledger: LedgerStore) -> None:
    lines = run(ledger, "pending", "list").splitlines()
    assert len(lines) == 2
    assert lines[1].split("\t")[2:5] == ["a002", "Account__c", "account:001C"]
    assert lines[1].split("\t")[6:] == [
        "target_refused",
        "Account__c -> account 001C was refused (INVALID_EMAIL)",
    ]


def test_runs_newest_first(ledger: LedgerStore) -> None:
    rows = [json.loads(line) for line in run(ledger, "runs", "--json").splitlines()]
    assert len(rows) == len(RUNS)
    assert rows[0]["run_id"] == "run-3"
    assert sum(r["created"] for r in rows) == sum(r[3] for r in RUNS)
