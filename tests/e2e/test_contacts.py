"""Contacts both ways through `meltano run` (issue 14, feature 7's WhoId needs them).

The shipped ``contact.yml`` maps Salesforce Contact to HubSpot contacts: email (lower
case, as HubSpot keeps it), names, phones, title and mailing address, and the contact's
``AccountId`` as its primary company (HUBSPOT_DEFINED 1), and its owner (``OwnerId`` <->
``hubspot_owner_id``, matched by email) both ways. A HubSpot contact without a last name
reaches Salesforce (which requires one) as ``[not provided]``.
"""

from __future__ import annotations

from typing import Any

import pytest

from crm_sync.owners import load_owner_directory
from tests.core.test_owners import new_user, sandbox_clients
from tests.e2e.test_tasks import fresh_start, run
from tests.e2e.two_way_helpers import HubSpot, Salesforce, all_writes

pytestmark = pytest.mark.e2e

SF_FIELDS = (
    "Email, FirstName, LastName, Phone, Title, MailingCity, AccountId, OwnerId, HubSpot_Id__c"
)
HS_PROPS = ["email", "firstname", "lastname", "phone", "jobtitle", "city", "hubspot_owner_id",
            "salesforce_id"]  # fmt: skip
PRIMARY = 1  # HUBSPOT_DEFINED contact -> company "Primary"


def company_links(hs: HubSpot, contact_ids: list[str]) -> dict[str, dict[str, set[int]]]:
    """HubSpot contact id -> {company id: association type ids} (v4 batch read)."""
    body = hs._call(
        "POST",
        "/crm/v4/associations/contacts/companies/batch/read",
        json={"inputs": [{"id": i} for i in contact_ids]},
    )
    return {
        str(r["from"]["id"]): {
            str(t["toObjectId"]): {a["typeId"] for a in t["associationTypes"]} for t in r["to"]
        }
        for r in body["results"]
    }


def test_contacts_round_trip_with_their_company(clean_sandbox: Any, meltano_project: Any) -> None:
    clean_sandbox.seed(salesforce={"Account": 3, "Contact": 8})
    fresh_start(meltano_project)
    env = meltano_project.sandbox_env
    sf, hs = Salesforce(env), HubSpot(env)
    bob = new_user(sf, "Bob", "Kahn", "bob@example.com")  # mirrored as a HubSpot owner
    people = load_owner_directory(*sandbox_clients(env))

    # --- forward: every Salesforce contact becomes a HubSpot contact of its account
    run(meltano_project, "forward")
    rows = sf.rows("Contact", SF_FIELDS)
    by_sf = {r["salesforce_id"]: (i, r) for i, r in hs.records("contacts", HS_PROPS).items()}
    assert set(by_sf) == set(rows)
    companies = {
        r["salesforce_id"]: i for i, r in hs.records("companies", ["salesforce_id"]).items()
    }
    links = company_links(hs, [hid for hid, _ in by_sf.values()])
    with_account = 0
    for sf_id, row in rows.items():
        hid, rec = by_sf[sf_id]
        assert rec["email"] == row["Email"].strip().lower()
        assert (rec["firstname"], rec["lastname"]) == (row["FirstName"], row["LastName"])
        assert (rec["phone"], rec["jobtitle"]) == (row["Phone"], row["Title"])
        assert rec["city"] == row["MailingCity"]
        owner = people.owner_for_user(row["OwnerId"])
        assert owner and rec["hubspot_owner_id"] == owner, (sf_id, row["OwnerId"])
        if row["AccountId"]:
            assert PRIMARY in links[hid][companies[row["AccountId"]]], (sf_id, links.get(hid))
            with_account += 1
        else:
            assert not links.get(hid), sf_id
    assert with_account, "seed contacts with accounts"

    # --- reverse: a HubSpot contact without a last name, at a synced company
    account_sf = next(iter(companies))
    new = hs.create("contacts", {"email": "New.Person@Example.com", "firstname": "New"})
    hs._call(
        "PUT", f"/crm/v4/objects/contacts/{new}/associations/default/companies/"
        f"{companies[account_sf]}"
    )  # fmt: skip
    run(meltano_project, "reverse")
    [made] = [r for r in sf.rows("Contact", SF_FIELDS).values() if r["HubSpot_Id__c"] == new]
    assert (made["FirstName"], made["LastName"]) == ("New", "[not provided]")
    assert made["Email"] == "new.person@example.com"  # as HubSpot keeps it
    assert made["AccountId"] == account_sf
    assert hs.records("contacts", ["salesforce_id"])[new]["salesforce_id"] == made["Id"]

    # --- an edit on each side crosses over; then nothing more is written either way
    sf_born, hs_edited = list(rows)[:2]
    sf.update("Contact", sf_born, {"Phone": "(555) 010-0001"})
    bobs = people.owner_for_user(bob)
    hs.update("contacts", by_sf[hs_edited][0], {"jobtitle": "Head of Sync",
                                                 "hubspot_owner_id": bobs})  # fmt: skip
    run(meltano_project, "two-way")
    assert hs.records("contacts", ["phone"])[by_sf[sf_born][0]]["phone"] == "(555) 010-0001"
    edited = sf.rows("Contact", "Title, OwnerId")[hs_edited]
    assert (edited["Title"], edited["OwnerId"]) == ("Head of Sync", bob)
    clean_sandbox.clear_stats()
    run(meltano_project, "two-way")
    assert all_writes(clean_sandbox.stats()) == {}
