"""A spec drafted by `map-crm init` for a HubSpot object that does not exist yet, run as
drafted (issue 14, features 6 and 3), through meltano.

`meltano invoke map-crm:init --salesforce Opportunity --hubspot sf_opportunity` writes a
spec into the project copy whose fields are the properties the target will create
(``create_object: true``); `map-crm:validate` accepts it with no setting turned on;
`meltano run forward` creates the object and every opportunity in it, associated with its
company; a second run that reads everything again writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crm_sync.owners import load_owner_directory
from crm_sync.spec.loader import load_file
from tests.core.test_owners import sandbox_clients
from tests.e2e.test_new_custom_object import counts
from tests.e2e.two_way_helpers import HubSpot, Salesforce, all_writes

pytestmark = pytest.mark.e2e

ENV = {"TAP_SALESFORCE_CUSTOM_OBJECTS": json.dumps(["Account", "Opportunity"])}


@pytest.fixture
def spec_file(meltano_project: Any) -> Iterator[Path]:
    path = meltano_project.root / "transforms" / "mappings" / "opportunity.yml"
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def test_drafted_spec_creates_the_object_and_syncs_into_it(
    clean_sandbox: Any, meltano_project: Any, spec_file: Path
) -> None:
    clean_sandbox.seed(salesforce={"Account": 4, "Opportunity": 12})
    crm = meltano_project.root / ".meltano" / "crm-sync"
    (crm / "sandbox-ledger.sqlite").unlink(missing_ok=True)

    drafted = meltano_project.run(
        "invoke", "map-crm:init", "--salesforce", "Opportunity", "--hubspot", "sf_opportunity",
        "--out", str(spec_file),
    )  # fmt: skip
    assert drafted.returncode == 0, drafted.stderr.decode()[-4000:]
    spec, issues = load_file(spec_file)
    assert spec is not None, issues
    assert spec.hubspot.create_object is True
    assert [(a.lookup, a.to) for a in spec.associations] == [("AccountId", "account")]
    fields = {f.salesforce: f.hubspot for f in spec.fields}
    assert [(f.salesforce, f.hubspot) for f in spec.fields if f.owner] == [
        ("OwnerId", "hubspot_owner_id")
    ]
    checked = meltano_project.run("invoke", "map-crm:validate")  # no creation setting on
    assert checked.returncode == 0, checked.stderr.decode()[-4000:]

    first = meltano_project.run("run", "--full-refresh", "forward", env=ENV)
    assert first.returncode == 0, first.stderr.decode()[-4000:]
    assert "deprecated" not in first.stderr.decode()
    opp = counts(crm / "plan.json")["opportunity"]
    assert opp["created"] == 12, opp
    assert opp["associations_pending"] == 0, opp

    env = meltano_project.sandbox_env
    sf, hs = Salesforce(env), HubSpot(env)
    rows = sf.rows("Opportunity", "Name, Amount, CloseDate, StageName, AccountId, OwnerId")
    names = ["salesforce_id", fields["Name"], fields["CloseDate"], fields["StageName"],
             "hubspot_owner_id"]  # fmt: skip
    people = load_owner_directory(*sandbox_clients(env))
    records = {r["salesforce_id"]: r for r in hs.records("sf_opportunity", names).values()}
    assert set(records) == set(rows)
    for sf_id, row in rows.items():
        got = records[sf_id]
        assert got[fields["Name"]] == row["Name"]
        assert got[fields["CloseDate"]] == row["CloseDate"]
        assert got[fields["StageName"]] == row["StageName"]
        owner = people.owner_for_user(row["OwnerId"])
        assert owner and got["hubspot_owner_id"] == owner, (sf_id, row["OwnerId"])
    assert opp["associations_made"] == sum(1 for r in rows.values() if r["AccountId"]) > 0

    clean_sandbox.clear_stats()
    again = meltano_project.run("run", "--full-refresh", "forward", env=ENV)
    assert again.returncode == 0, again.stderr.decode()[-4000:]
    assert all_writes(clean_sandbox.stats()) == {}
