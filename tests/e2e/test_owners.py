"""Record owners (issue 14, feature 4) through `meltano run forward` and `reverse`.

The shipped account and project mappings carry ``OwnerId <-> hubspot_owner_id`` (``owner:
true``) commented out (owners are opt-in); this test turns them on in its project copy.
Users of the sandbox org are mirrored as HubSpot owners with the same email (as HubSpot's
Salesforce integration creates them); a deactivated User's owner is archived, so a record
she owns has no owner to go to: one warning names it, and the rest of the record syncs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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


OPT_IN = "  # - {salesforce: OwnerId,"


@pytest.fixture
def owners_on(meltano_project: MeltanoProject) -> Iterator[None]:
    """Uncomment the shipped specs' owner lines in the project copy; put them back after."""
    specs = [
        meltano_project.root / "transforms" / "mappings" / f"{n}.yml"
        for n in ("account", "project")
    ]
    shipped = {path: path.read_text() for path in specs}
    for path, text in shipped.items():
        assert OPT_IN in text, path
        path.write_text(text.replace(OPT_IN, "  - {salesforce: OwnerId,"))
    try:
        yield
    finally:
        for path, text in shipped.items():
            path.write_text(text)


@pytest.mark.usefixtures("owners_on")
def test_owners_reach_hubspot_and_an_owner_change_reaches_salesforce(
    clean_sandbox: Any, meltano_project: MeltanoProject
) -> None:
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
