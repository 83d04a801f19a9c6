"""Record owners (issue 14, feature 4) through `meltano run forward` and `reverse`.

The shipped account and project mappings carry ``OwnerId <-> hubspot_owner_id`` (``owner:
true``; owners are on by default), and this test runs them as shipped. Users of the
sandbox org are mirrored as HubSpot owners with the same email (as HubSpot's Salesforce
integration creates them); a deactivated User's owner is archived, so a record she owns
has no owner to go to: one warning names it, and the rest of the record syncs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.core.test_owners import new_user, sandbox_clients
from tests.e2e.conftest import MeltanoProject
from tests.e2e.two_way_helpers import HubSpot, Salesforce

pytestmark = pytest.mark.e2e


def _ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr.decode()[-4000:]
    return str(result.stderr.decode())


def by_salesforce_id(portal: HubSpot, obj: str, props: list[str]) -> dict[str, dict[str, Any]]:
    rows = portal.records(obj, ["salesforce_id", *props])
    return {r["salesforce_id"]: {**r, "id": i} for i, r in rows.items() if r["salesforce_id"]}


SHIPPED_OWNER_LINE = "  - {salesforce: OwnerId,"


def test_owners_reach_hubspot_and_an_owner_change_reaches_salesforce(
    clean_sandbox: Any, meltano_project: MeltanoProject
) -> None:
    for name in ("account", "project"):  # the shipped specs, as the project copy has them
        spec = meltano_project.root / "transforms" / "mappings" / f"{name}.yml"
        assert SHIPPED_OWNER_LINE in spec.read_text(), spec
    env = clean_sandbox.env
    org, portal = Salesforce(env), HubSpot(env)
    ada = new_user(org, "Ada", "Lovelace", "Ada.Lovelace@example.com")
    bob = new_user(org, "Bob", "Kahn", "bob@example.com")
    grace = new_user(org, "Grace", "Hopper", "grace@example.com")
    acme = org.create("Account", {"Name": "Acme", "OwnerId": ada})
    hopper = org.create("Account", {"Name": "Hopper Labs", "OwnerId": grace, "Phone": "555"})
    apollo = org.create(
        "Project__c",
        {"Name": "Apollo", "Status__c": "Planned", "Account__c": acme, "OwnerId": ada},
    )
    org.update("User", grace, {"IsActive": False})  # she left: her HubSpot owner is archived
    _, hs = sandbox_clients(env)
    owners = {o["email"]: o["id"] for o in hs.owners()}
    assert "grace@example.com" not in owners

    crm = meltano_project.root / ".meltano" / "crm-sync"
    (crm / "sandbox-ledger.sqlite").unlink(missing_ok=True)
    log = _ok(meltano_project.run("run", "--full-refresh", "forward"))

    companies = by_salesforce_id(portal, "companies", ["name", "phone", "hubspot_owner_id"])
    projects = by_salesforce_id(portal, "project", ["project_name", "hubspot_owner_id"])
    assert companies[acme]["hubspot_owner_id"] == owners["ada.lovelace@example.com"]
    assert projects[apollo]["hubspot_owner_id"] == owners["ada.lovelace@example.com"]
    # No counterpart: the owner is left out, never blanked, and the rest of the record syncs.
    assert companies[hopper]["hubspot_owner_id"] in (None, "")
    assert companies[hopper]["name"] == "Hopper Labs" and companies[hopper]["phone"] == "555"
    lines = [line for line in log.splitlines() if "owner_unmatched" in line]
    warnings = [line for line in lines if "warning" in line]
    assert len(warnings) == 1, lines
    assert hopper in warnings[0] and grace in warnings[0]
    assert any("target-hubspot-custom account" in line for line in lines)  # run report row
    assert "grace@example.com" not in log  # no emails in the logs
    plan = json.loads((crm / "plan.json").read_text())
    left_out = {s["mapping"]: s["fields_left_out"] for s in plan["streams"]}
    assert left_out["account"] == {"owner_unmatched": 1}

    # HubSpot's owner of Acme changes to Bob: the reverse leg moves the Salesforce owner.
    portal.update(
        "companies", companies[acme]["id"], {"hubspot_owner_id": owners["bob@example.com"]}
    )
    _ok(meltano_project.run("run", "reverse"))
    accounts = org.rows("Account", "OwnerId, Name")
    assert accounts[acme]["OwnerId"] == bob
    assert accounts[hopper]["OwnerId"] == grace  # no HubSpot owner: Salesforce keeps hers
    assert org.rows("Project__c", "OwnerId")[apollo]["OwnerId"] == ada
