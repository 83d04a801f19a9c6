"""Record-level plans: create, update, unchanged, archive, skips, tombstones, next base."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from crm_sync.reconcile import (
    MISSING,
    Action,
    DestinationState,
    LedgerState,
    MappingPolicy,
    Outcome,
    RunReport,
    SkipReason,
    SourceRecord,
    decide_field,
    needs_destination,
    plan_record,
    render_json,
    render_table,
)
from crm_sync.vocabulary import Direction

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = datetime(2024, 1, 2, tzinfo=UTC)
T2 = datetime(2024, 1, 3, tzinfo=UTC)

SPEC = {
    "name": "project",
    "create": {"to_hubspot": True, "to_salesforce": False},
    "delete": {"to_hubspot": "propagate", "to_salesforce": "ignore"},
    "conflict": "newest",
    "fields": [
        {"salesforce": "Name", "hubspot": "project_name", "rule": "two_way"},
        {"salesforce": "Budget__c", "hubspot": "budget", "rule": "prefer_salesforce"},
        {"salesforce": "Stage__c", "hubspot": "stage", "rule": "always_salesforce"},
        {"salesforce": "Notes__c", "hubspot": "notes", "rule": "none"},
    ],
}
POLICY = MappingPolicy.from_dict(SPEC)
FWD, REV = Direction.SF_TO_HS, Direction.HS_TO_SF
BASE = {
    "salesforce": {"Name": "Apollo", "Budget__c": 10.0, "Stage__c": "Done"},
    "hubspot": {"project_name": "Apollo", "budget": "10", "stage": "done"},
}
LINKED = LedgerState(destination_id="h1", base=BASE, source_seen_at=T0)


def fwd(values, **kw):
    return SourceRecord("s1", values, modified_at=kw.pop("modified_at", T1), **kw)


def test_from_dict_names_bad_settings():
    with pytest.raises(ValueError, match=r"project\.fields\[0\]\.rule"):
        MappingPolicy.from_dict({**SPEC, "fields": [{"salesforce": "A", "hubspot": "a",
                                                      "rule": "sometimes"}]})  # fmt: skip
    with pytest.raises(ValueError, match=r"project\.conflict"):
        MappingPolicy.from_dict({**SPEC, "conflict": "oldest"})
    with pytest.raises(ValueError, match=r"fields\[0\]: missing 'hubspot'"):
        MappingPolicy.from_dict({**SPEC, "fields": [{"salesforce": "A"}]})


def test_create_when_allowed_sends_non_blank_writable_fields():
    record = fwd({"project_name": "Apollo", "budget": None, "stage": "done", "notes": "x"})
    plan = plan_record(POLICY, FWD, record)
    assert plan.action is Action.CREATE
    assert plan.changes == {"project_name": "Apollo", "stage": "done"}
    assert plan.base_after["hubspot"] == {"project_name": "Apollo", "stage": "done"}
    assert plan.base_after["salesforce"] == {"Name": "Apollo", "Stage__c": "done"}


def test_create_uses_native_source_values_for_the_source_half_of_the_base():
    record = fwd({"project_name": "Apollo", "stage": "done"},
                 native={"Name": "Apollo", "Stage__c": "Done"})  # fmt: skip
    plan = plan_record(POLICY, FWD, record)
    assert plan.base_after["salesforce"] == {"Name": "Apollo", "Stage__c": "Done"}


def test_create_disabled_in_this_direction():
    plan = plan_record(POLICY, REV, SourceRecord("h9", {"Name": "From HubSpot"}))
    assert plan.action is Action.SKIP
    assert plan.skip_reason is SkipReason.CREATE_DISABLED


def test_existing_destination_found_by_key_is_updated_not_created():
    """Import of existing records: the destination has it, the ledger does not yet."""
    found = DestinationState("h7", {"project_name": "Apollo", "budget": "5"}, T0)
    plan = plan_record(POLICY, FWD, fwd({"project_name": "Apollo", "budget": 10}), None, found)
    assert plan.action is Action.UPDATE
    assert plan.destination_id == "h7"
    assert plan.changes == {"budget": 10}
    assert [c.winner.value for c in plan.conflicts] == ["salesforce"]


def test_record_equal_to_base_is_unchanged_and_needs_no_read():
    record = fwd({"project_name": "Apollo", "budget": "10.0", "stage": "done", "notes": "zz"})
    assert not needs_destination(POLICY, FWD, record, LINKED)
    plan = plan_record(POLICY, FWD, record, LINKED)
    assert plan.action is Action.UNCHANGED
    assert not plan.writes
    assert plan.base_after is None


def test_changed_record_needs_a_read_and_updates_only_changed_fields():
    record = fwd({"project_name": "Apollo 2", "budget": 10, "stage": "done"})
    assert needs_destination(POLICY, FWD, record, LINKED)
    current = DestinationState("h1", {"project_name": "Apollo", "budget": "10", "stage": "done"})
    plan = plan_record(POLICY, FWD, record, LINKED, current)
    assert plan.action is Action.UPDATE
    assert plan.changes == {"project_name": "Apollo 2"}
    assert plan.base_after["hubspot"]["project_name"] == "Apollo 2"
    assert plan.base_after["salesforce"]["Name"] == "Apollo 2"
    assert plan.base_after["hubspot"]["budget"] == "10"  # untouched fields keep their base


def test_only_never_syncing_fields_changed_needs_no_read():
    """An edit to an always_salesforce field arriving from HubSpot can never be written."""
    record = SourceRecord("h1", {"Name": "Apollo", "Stage__c": "changed in hubspot"})
    ledger = LedgerState(destination_id="s1", base=BASE)
    assert not needs_destination(POLICY, REV, record, ledger)
    assert plan_record(POLICY, REV, record, ledger).action is Action.UNCHANGED


def test_sides_agreeing_advance_the_base_without_a_write():
    record = fwd({"project_name": "Same edit"})
    current = DestinationState("h1", {"project_name": "Same edit"})
    plan = plan_record(POLICY, FWD, record, LINKED, current)
    assert plan.action is Action.UNCHANGED
    assert plan.base_after["hubspot"]["project_name"] == "Same edit"


@pytest.mark.parametrize(
    ("direction", "rule", "action"),
    [(FWD, "propagate", Action.ARCHIVE), (REV, "ignore", Action.SKIP)],
)
def test_delete_rules(direction, rule, action):
    record = SourceRecord("x1", {}, modified_at=T1, deleted_at=T1)
    plan = plan_record(POLICY, direction, record, LedgerState(destination_id="y1"))
    assert plan.action is action
    assert plan.tombstones[0].side is direction.source
    assert plan.tombstones[0].id == "x1"
    if action is Action.ARCHIVE:
        assert plan.destination_id == "y1"
        assert plan.tombstones[1].side is direction.destination
    else:
        assert plan.skip_reason is SkipReason.DELETE_IGNORED


def test_delete_of_a_never_synced_record_is_remembered_only():
    plan = plan_record(POLICY, FWD, SourceRecord("x1", {}, deleted_at=T1))
    assert plan.action is Action.SKIP
    assert plan.skip_reason is SkipReason.NOT_SYNCED
    assert len(plan.tombstones) == 1


@pytest.mark.parametrize(
    ("ledger", "modified_at"),
    [
        (LedgerState(destination_id="h1", base=BASE, source_deleted_at=T2), T1),
        (LedgerState(destination_id="h1", base=BASE, source_deleted_at=T2), T2),
        (LedgerState(destination_id="h1", base=BASE, destination_deleted_at=T0), T2),
        (LedgerState(source_deleted_at=T2), T1),
    ],
)
def test_tombstones_beat_late_updates(ledger, modified_at):
    """A replay of a record from before its deletion, or an edit of a record deleted
    on the other side, never resurrects it."""
    record = fwd({"project_name": "Edited after delete"}, modified_at=modified_at)
    assert not needs_destination(POLICY, FWD, record, ledger)
    plan = plan_record(POLICY, FWD, record, ledger)
    assert plan.action is Action.SKIP
    assert plan.skip_reason is SkipReason.TOMBSTONED


def test_restored_record_whose_destination_was_archived_is_created_again():
    """Newer than its tombstone: restored (an undelete), so created under the create rule."""
    ledger = LedgerState(
        destination_id="h1", base=BASE, source_deleted_at=T1, destination_deleted_at=T1
    )
    record = fwd({"project_name": "Apollo", "budget": "10"}, modified_at=T2)
    assert not needs_destination(POLICY, FWD, record, ledger)
    plan = plan_record(POLICY, FWD, record, ledger)
    assert plan.action is Action.CREATE
    assert plan.changes == {"project_name": "Apollo", "budget": "10"}
    assert [(t.side.value, t.id) for t in plan.revives] == [("salesforce", "s1")]
    no_create = MappingPolicy.from_dict({**SPEC, "create": {"to_hubspot": False}})
    skipped = plan_record(no_create, FWD, record, ledger)
    assert skipped.skip_reason is SkipReason.CREATE_DISABLED
    assert skipped.revives == ()


def test_restored_record_whose_destination_stayed_updates_it():
    """Deletes ignored: the destination is still linked; the restored record merges into it."""
    ledger = LedgerState(destination_id="h1", base=BASE, source_seen_at=T0, source_deleted_at=T1)
    record = fwd({"project_name": "Apollo 2"}, modified_at=T2)
    assert needs_destination(POLICY, FWD, record, ledger)
    current = DestinationState("h1", {"project_name": "Apollo"}, modified_at=T0)
    plan = plan_record(POLICY, FWD, record, ledger, current)
    assert plan.action is Action.UPDATE
    assert plan.destination_id == "h1"
    assert plan.changes == {"project_name": "Apollo 2"}
    assert plan.revives and plan.moves_ledger


def test_destination_deleted_since_last_run_is_not_recreated():
    record = fwd({"project_name": "Edited"})
    plan = plan_record(POLICY, FWD, record, LINKED, DestinationState.missing("h1"))
    assert plan.action is Action.SKIP
    assert plan.skip_reason is SkipReason.DESTINATION_DELETED
    assert plan.tombstones[0].side.value == "hubspot"
    assert plan.tombstones[0].id == "h1"


def test_stale_replay_is_skipped():
    ledger = LedgerState(destination_id="h1", base=BASE, source_seen_at=T2)
    plan = plan_record(POLICY, FWD, fwd({"project_name": "old"}, modified_at=T1), ledger)
    assert plan.skip_reason is SkipReason.STALE


def test_disabled_mapping_does_nothing():
    policy = MappingPolicy.from_dict({**SPEC, "enabled": False})
    assert plan_record(policy, FWD, fwd({"project_name": "x"})).skip_reason is (SkipReason.DISABLED)


def test_newest_uses_destination_time_from_the_read_or_the_ledger():
    record = fwd({"project_name": "sf edit"}, modified_at=T1)
    newer = DestinationState("h1", {"project_name": "hs edit"}, modified_at=T2)
    assert plan_record(POLICY, FWD, record, LINKED, newer).action is Action.UNCHANGED
    undated = DestinationState("h1", {"project_name": "hs edit"})
    ledger = LedgerState(destination_id="h1", base=BASE, destination_seen_at=T0)
    assert plan_record(POLICY, FWD, record, ledger, undated).changes == {"project_name": "sf edit"}


def test_run_report_counts_conflicts_samples_and_renders():
    report = RunReport("project", FWD, dry_run=True)
    created = plan_record(POLICY, FWD, SourceRecord("s2", {"project_name": "New"}))
    unchanged = plan_record(POLICY, FWD, fwd({"project_name": "Apollo"}), LINKED)
    current = {"project_name": "hs edit", "budget": "11"}
    conflicted = plan_record(
        POLICY, FWD, fwd({"project_name": "sf edit", "budget": 12}, modified_at=T2), LINKED,
        DestinationState("h1", current, modified_at=T1),
    )  # fmt: skip
    archived = plan_record(
        POLICY, FWD, SourceRecord("s3", {}, deleted_at=T1), LedgerState(destination_id="h3")
    )
    for plan in (created, unchanged, conflicted, archived):
        report.observe(plan, current if plan is conflicted else None)
    report.failed(created)
    c = report.counts
    assert (c.read, c.created, c.updated, c.unchanged, c.deleted, c.failed) == (4, 0, 1, 1, 1, 1)
    assert c.conflicts == 2
    assert {(n.field, n.winner.value, n.decided_by) for n in report.conflicts} == {
        ("project_name", "salesforce", "conflict=newest"),
        ("budget", "salesforce", "prefer_salesforce"),
    }
    assert any(s.field == "budget" and s.before == "11" and s.after == 12 for s in report.samples)
    table = render_table([report])
    assert "project (dry run)" in table and "conflict=newest" in table
    doc = json.loads(render_json([report]))
    assert doc["streams"][0]["counts"]["conflicts"] == 2
    assert doc["streams"][0]["direction"] == "sf_to_hs"

    assert "fields left out" not in table and doc["streams"][0]["fields_left_out"] == {}


def test_run_report_lists_fields_left_out_by_reason():
    report = RunReport("account", FWD)
    report.fields_left_out.update(["owner_unmatched", "owner_unmatched"])
    table = render_table([report])
    assert "fields left out of records" in table
    assert table.splitlines()[-1].split() == ["account", "sf_to_hs", "owner_unmatched", "2"]
    assert json.loads(render_json([report]))["streams"][0]["fields_left_out"] == {
        "owner_unmatched": 2
    }


def test_run_report_shows_values_only_when_asked():
    report = RunReport("project", FWD)
    current = {"project_name": "Secret Corp", "budget": "11"}
    conflicted = plan_record(
        POLICY, FWD, fwd({"project_name": "Hidden Ltd", "budget": 12}, modified_at=T2), LINKED,
        DestinationState("h1", current, modified_at=T1),
    )  # fmt: skip
    report.observe(conflicted, current)
    quiet = render_table([report]) + render_json([report])
    assert "s1" in quiet and "budget" in quiet and "project_name" in quiet
    assert "Secret Corp" not in quiet and "Hidden Ltd" not in quiet
    loud = render_table([report], values=True) + render_json([report], values=True)
    assert "Secret Corp" in loud and "Hidden Ltd" in loud


def test_field_conflict_overrides_the_mappings_rule():
    """Issue 14 feature 2: a two_way field's own ``conflict`` decides that field only."""
    fields = [
        {"salesforce": "Name", "hubspot": "project_name", "rule": "two_way", "conflict": "hubspot"},
        {"salesforce": "Notes__c", "hubspot": "notes", "rule": "two_way"},
    ]
    policy = MappingPolicy.from_dict({**SPEC, "fields": fields})
    base = {
        "salesforce": {"Name": "A", "Notes__c": "n"},
        "hubspot": {"project_name": "A", "notes": "n"},
    }
    ledger = LedgerState(destination_id="h1", base=base, source_seen_at=T0)
    current = DestinationState("h1", {"project_name": "HS", "notes": "hs"}, T1)
    plan = plan_record(
        policy, FWD, fwd({"project_name": "SF", "notes": "sf"}, modified_at=T2), ledger, current
    )
    winners = {c.field: (c.winner.value, c.decided_by) for c in plan.conflicts}
    assert winners == {
        "project_name": ("hubspot", "conflict=hubspot"),
        "notes": ("salesforce", "conflict=newest"),
    }
    assert plan.changes == {"notes": "sf"}
    with pytest.raises(ValueError, match=r"fields\[0\]\.conflict"):
        MappingPolicy.from_dict({**SPEC, "fields": [{**fields[0], "conflict": "oldest"}]})


@pytest.mark.parametrize("direction", [FWD, REV])
@pytest.mark.parametrize("value", ["Apollo", "", None, "  ", 0, "missing"])
def test_a_create_decides_each_field_as_the_three_way_merge_would(direction, value):
    """A create skips the three-way merge (blank base and destination), deciding the same."""
    policy = MappingPolicy.from_dict(
        {
            **SPEC,
            "create": {"to_hubspot": True, "to_salesforce": True},
            "fields": [
                {"salesforce": f"F{n}__c", "hubspot": f"f{n}", "rule": rule}
                for n, rule in enumerate(
                    ["two_way", "prefer_salesforce", "prefer_hubspot", "always_salesforce",
                     "always_hubspot", "none"]
                )
            ],
        }
    )  # fmt: skip
    dst = direction.destination
    values = {} if value == "missing" else {f.name_on(dst): value for f in policy.fields}
    plan = plan_record(policy, direction, SourceRecord("s1", values, modified_at=T1))
    assert plan.action is Action.CREATE
    merged = tuple(
        decide_field(
            f.name_on(dst),
            values.get(f.name_on(dst), MISSING),
            MISSING,
            None,  # a create's destination is blank
            rule=f.rule,
            direction=direction,
            source_modified_at=T1,
            kind=f.kind,
        )
        for f in policy.fields
    )
    assert plan.decisions == merged
    sent = {d.field: d.value for d in merged if d.agreed}
    assert plan.changes == sent
    assert (plan.base_after or {}).get(dst.value, {}) == sent


def test_a_partial_record_updates_a_linked_record_but_never_creates_one():
    """A refresh pass's partial record (some mapped fields only): unknown ids are skipped,
    linked ones compare only the fields they carry."""
    refreshed = fwd({"budget": 10.0}, partial=True)
    plan = plan_record(POLICY, FWD, refreshed)
    assert (plan.action, plan.skip_reason) == (Action.SKIP, SkipReason.PARTIAL)
    assert plan_record(POLICY, FWD, refreshed, LINKED).action is Action.UNCHANGED
    assert not needs_destination(POLICY, FWD, refreshed, LINKED)
    changed = fwd({"budget": 25.0}, partial=True)
    assert needs_destination(POLICY, FWD, changed, LINKED)
    current = DestinationState("h1", {"project_name": "Apollo", "budget": "10", "stage": "done"})
    plan = plan_record(POLICY, FWD, changed, LINKED, current)
    assert (plan.action, plan.changes) == (Action.UPDATE, {"budget": 25.0})
    assert plan.base_after["hubspot"] == {**BASE["hubspot"], "budget": 25.0}


def test_creates_of_two_policies_with_equal_names_follow_each_policys_rules():
    """Creates look a leg's field table up by the field tuple's identity: a second policy
    built with the same names but another rule (a reloaded spec) gets its own table."""
    record = SourceRecord(id="a01", values={"project_name": "Apollo", "stage": "won"})
    first = plan_record(POLICY, Direction.SF_TO_HS, record)
    fields = [
        {"salesforce": "Name", "hubspot": "project_name", "rule": "two_way"},
        {"salesforce": "Stage__c", "hubspot": "stage", "rule": "always_hubspot"},
    ]
    second = plan_record(
        MappingPolicy.from_dict({**SPEC, "fields": fields}), Direction.SF_TO_HS, record
    )
    again = plan_record(POLICY, Direction.SF_TO_HS, record)
    assert first.changes == again.changes == {"project_name": "Apollo", "stage": "won"}
    assert second.changes == {"project_name": "Apollo"}  # HubSpot's field: never sent


def test_a_creates_conflicts_are_known_without_building_its_decisions():
    """The run report asks every plan for its conflicts; a create has none, and answering
    must not build its per-field decisions (a first import reads none of them)."""
    plan = plan_record(POLICY, FWD, fwd({"project_name": "Apollo", "budget": 10.0}))
    assert plan.action is Action.CREATE
    assert plan.conflicts == ()
    assert plan.decisions._made is None  # still unbuilt
    assert [d.field for d in plan.decisions if d.outcome is Outcome.SEND] == list(plan.changes)
