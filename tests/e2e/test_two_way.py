"""Two-way sync on the sandbox (issue 8): field rules, conflicts, creates, deletes, no echo.

Both legs run as the two-way job runs them: Salesforce -> HubSpot, then HubSpot ->
Salesforce, sharing one ledger. Most tests drive the plugins' CLIs as plain pipes
(``tests/e2e/two_way_helpers.TwoWay``, ~1.3 s a leg); the no-echo and a conflict test go
through ``meltano run two-way``. Every test reads both sides' stored records (SOQL and the
HubSpot objects API) and the sandbox's call counters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.two_way_helpers import (
    HubSpot,
    Salesforce,
    TwoWay,
    all_writes,
    blank,
    mappings_dir,
    shipped_spec,
)

pytestmark = pytest.mark.e2e

# One field per rule of DESIGN §3 (the shipped project spec, always_hubspot added).
RULES = {
    "two_way": ("Description__c", "description"),
    "prefer_salesforce": ("Budget__c", "budget"),
    "always_salesforce": ("Priority__c", "priority"),
    "prefer_hubspot": ("Website__c", "website"),
    "always_hubspot": ("Contact_Email__c", "contact_email"),
    "none": ("Phone__c", "phone"),
}
NUMERIC = {"Budget__c", "Priority__c"}
SF_FIELDS = ", ".join(["Name", "Status__c", "HubSpot_Id__c", *(f for f, _ in RULES.values())])
HS_PROPS = ["project_name", "status", "salesforce_id", *(p for _, p in RULES.values())]


def project_spec(conflict: str) -> dict[str, Any]:
    """The shipped project mapping with ``conflict`` and Contact_Email__c always_hubspot."""
    spec = shipped_spec("project")
    fields = []
    for item in spec["fields"]:
        if item["salesforce"] == "Contact_Email__c":
            item = {**item, "rule": "always_hubspot"}
        fields.append(item)
    return {"conflict": conflict, "fields": fields}


def same(sf_field: str, sf_value: Any, hs_value: Any) -> bool:
    """A Salesforce value and a HubSpot value are the same, in the mapping's sense."""
    if blank(sf_value) or blank(hs_value):
        return blank(sf_value) and blank(hs_value)
    if sf_field in NUMERIC:
        return float(sf_value) == float(hs_value)
    return str(sf_value) == str(hs_value)


@pytest.fixture
def sync(clean_sandbox: Any, tmp_path: Path) -> TwoWay:
    return TwoWay(dict(clean_sandbox.env), tmp_path, tmp_path / "mappings")


def sides(env: dict[str, str]) -> tuple[Salesforce, HubSpot]:
    return Salesforce(env), HubSpot(env)


def pairs(sf: Salesforce, hs: HubSpot) -> dict[str, tuple[dict, dict]]:
    """Salesforce project id -> (SF row, HubSpot record); no duplicates on either side."""
    rows = sf.rows("Project__c", SF_FIELDS)
    records = hs.records("project", HS_PROPS)
    by_sf = {r["salesforce_id"]: r for r in records.values() if r["salesforce_id"]}
    assert len(by_sf) == len([r for r in records.values() if r["salesforce_id"]])
    linked = [r["HubSpot_Id__c"] for r in rows.values() if r["HubSpot_Id__c"]]
    assert len(linked) == len(set(linked))
    return {sid: (row, by_sf[sid]) for sid, row in rows.items() if sid in by_sf}


# ---------------------------------------------------------------------------- field rules

BASE = {
    "Description__c": "base text",
    "Budget__c": 1000.0,
    "Priority__c": 3.0,
    "Website__c": "https://base.example.com",
    "Contact_Email__c": "base@example.com",
    "Phone__c": "+1 555 0100",
}
SF_EDIT = {
    "Description__c": "sf text",
    "Budget__c": 2000.0,
    "Priority__c": 4.0,
    "Website__c": "https://sf.example.com",
    "Contact_Email__c": "sf@example.com",
    "Phone__c": "+1 555 0111",
}
HS_EDIT = {
    "description": "hs text",
    "budget": "3000",
    "priority": "5",
    "website": "https://hs.example.com",
    "contact_email": "hs@example.com",
    "phone": "+1 555 0122",
}
SF_CLEAR = dict.fromkeys(SF_EDIT)
HS_CLEAR = dict.fromkeys(HS_EDIT, "")

# Scenario -> (Salesforce edit, HubSpot edit, which side edits last: "sf" | "hs" | "tie").
SCENARIOS = {
    "sf_only": (SF_EDIT, {}, "sf"),
    "hs_only": ({}, HS_EDIT, "hs"),
    "both_sf_newer": (SF_EDIT, HS_EDIT, "sf"),
    "both_hs_newer": (SF_EDIT, HS_EDIT, "hs"),
    "both_tie": (SF_EDIT, HS_EDIT, "tie"),
    "sf_clears": (SF_CLEAR, {}, "sf"),
    "hs_clears": ({}, HS_CLEAR, "hs"),
    "sf_clears_hs_edits": (SF_CLEAR, HS_EDIT, "hs"),
    "hs_clears_sf_edits": (SF_EDIT, HS_CLEAR, "sf"),
}


def expected(rule: str, scenario: str, conflict: str) -> tuple[str, str]:
    """What each side holds for ``rule`` after the edits of ``scenario`` and a run.

    Values are named by origin: ``base``, ``sf`` (Salesforce's edit), ``hs`` (HubSpot's
    edit) or ``blank``. Returns (Salesforce's, HubSpot's).
    """
    sf_edit, hs_edit, last = SCENARIOS[scenario]
    sf_new = ("blank" if sf_edit is SF_CLEAR else "sf") if sf_edit else None
    hs_new = ("blank" if hs_edit is HS_CLEAR else "hs") if hs_edit else None
    if rule == "none":
        return sf_new or "base", hs_new or "base"
    owner = {"two_way": None, "prefer_salesforce": "sf", "always_salesforce": "sf",
             "prefer_hubspot": "hs", "always_hubspot": "hs"}[rule]  # fmt: skip
    always = rule.startswith("always")
    if sf_new and hs_new:  # a conflict
        if owner is None:
            winner = {"salesforce": "sf", "hubspot": "hs"}.get(conflict) or (
                "sf" if last in ("sf", "tie") else "hs"  # newest; ties go to `tie` (salesforce)
            )
        else:
            owner_new = sf_new if owner == "sf" else hs_new
            winner = owner if always or owner_new != "blank" else ("hs" if owner == "sf" else "sf")
        value = sf_new if winner == "sf" else hs_new
        return value, value
    if sf_new:  # one side edited: does the edit travel?
        travels = owner in (None, "sf")
        return sf_new, sf_new if travels else "base"
    assert hs_new
    travels = owner in (None, "hs")
    return hs_new if travels else "base", hs_new


def value_of(origin: str, sf_field: str) -> Any:
    hs_name = dict(RULES.values())[sf_field]
    if origin == "blank":
        return None
    if origin == "base":
        return BASE[sf_field]
    if origin == "sf":
        return SF_EDIT[sf_field]
    return HS_EDIT[hs_name]


@pytest.mark.parametrize("conflict", ["newest", "salesforce", "hubspot"])
def test_every_field_rule_under_each_conflict_setting(
    clean_sandbox: Any, sync: TwoWay, conflict: str
) -> None:
    mappings_dir(sync.mappings, project=project_spec(conflict))
    sf, hs = sides(sync.env)
    ids = {
        name: sf.create("Project__c", {"Name": name, "Status__c": "Planned", **BASE})
        for name in SCENARIOS
    }
    sync.run()
    before = pairs(sf, hs)
    assert set(before) == set(ids.values())
    for row, record in before.values():  # the first import copies every synced field
        for rule, (field, prop) in RULES.items():
            if rule in ("none", "always_hubspot"):  # never Salesforce -> HubSpot, not even new
                assert blank(record[prop]), (rule, record)
            else:
                assert same(field, row[field], record[prop]), (rule, row, record)

    hs_id_of = {sid: next(i for i, r in hs.records("project", ["salesforce_id"]).items()
                          if r["salesforce_id"] == sid) for sid in ids.values()}  # fmt: skip
    # HubSpot's `none` and always_hubspot fields get the base value too: the one is never
    # sent, the other is in sync already (the base advances without a write).
    for sid in ids.values():
        base = {"phone": BASE["Phone__c"], "contact_email": BASE["Contact_Email__c"]}
        hs.update("project", hs_id_of[sid], base)
    clean_sandbox.clear_stats()
    sync.run()
    assert all_writes(clean_sandbox.stats()) == {}

    clean_sandbox.clock(freeze=True)
    for name, (sf_edit, hs_edit, last) in SCENARIOS.items():
        sid = ids[name]
        edits = [("sf", sf_edit), ("hs", hs_edit)]
        if last == "sf":
            edits.reverse()
        for side, edit in edits:
            if not edit:
                continue
            if side == "sf":
                sf.update("Project__c", sid, edit)
            else:
                hs.update("project", hs_id_of[sid], edit)
            if last != "tie":
                clean_sandbox.clock(advance_ms=1000)
        clean_sandbox.clock(advance_ms=1000)
    clean_sandbox.clock(unfreeze=True)

    clean_sandbox.clear_stats()
    sync.run()
    stats = clean_sandbox.stats()
    after = pairs(sf, hs)
    failures = []
    for name, sid in ids.items():
        row, record = after[sid]
        for rule, (field, prop) in RULES.items():
            want_sf, want_hs = expected(rule, name, conflict)
            got = (row[field], record[prop])
            ok_sf = same(field, row[field], value_of(want_sf, field))
            ok_hs = same(field, value_of(want_hs, field), record[prop])
            if not (ok_sf and ok_hs):
                failures.append(f"{name} {rule}: want ({want_sf}, {want_hs}) got {got}")
    assert not failures, "\n".join(failures)
    # one batch per side and object at most: HubSpot batch update, Salesforce collection
    writes = all_writes(stats)
    assert set(writes) <= {
        "POST /crm/v3/objects/{objectType}/batch/update",
        "POST /crm/v3/objects/{objectType}/batch/upsert",
        "PATCH /services/data/v{version}/composite/sobjects",
        "PATCH /services/data/v{version}/composite/sobjects/{sobject}/{field}",
    }, writes
    assert all(n == 1 for n in writes.values()), writes

    clean_sandbox.clear_stats()
    sync.run()  # converged: the next run writes nothing on either side
    assert all_writes(clean_sandbox.stats()) == {}
    assert pairs(sf, hs) == after
