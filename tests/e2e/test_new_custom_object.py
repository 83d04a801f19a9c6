"""A new HubSpot custom object from the spec (issue 14, feature 3), through meltano.

Opportunity -> sf_opportunity, an object the portal does not have: with creation on
(here through the deprecated ``create_object_schema`` settings of map-crm and the target,
for a spec that does not say ``hubspot.create_object``; test_init_new_object.py has a
spec that says it),
`map-crm validate` checks the mapping against the object the target will create and
passes; `meltano run forward` creates the object (currency as number, picklist as
enumeration), its records and their company associations, none left pending; a second
run writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.hubspot_reads import hubspot_session

pytestmark = pytest.mark.e2e

OPPORTUNITY = """\
name: opportunity
salesforce: {object: Opportunity, id_field: HubSpot_Id__c}
hubspot: {object: sf_opportunity, id_property: salesforce_id}
create: {to_hubspot: true, to_salesforce: false}
fields:
  - {salesforce: Name, hubspot: name, rule: always_salesforce}
  - {salesforce: Amount, hubspot: amount, rule: always_salesforce}
  - {salesforce: CloseDate, hubspot: close_date, rule: always_salesforce}
  - {salesforce: StageName, hubspot: stage, rule: always_salesforce}
associations:
  - {lookup: AccountId, to: account}
"""

CREATE = {
    "MAP_CRM_CREATE_OBJECT_SCHEMA": "true",
    "TARGET_HUBSPOT_CUSTOM_CREATE_OBJECT_SCHEMA": "true",
    "TAP_SALESFORCE_CUSTOM_OBJECTS": '["Account", "Opportunity"]',
}


@pytest.fixture
def opportunity_spec(meltano_project: Any) -> Iterator[None]:
    spec = meltano_project.root / "transforms" / "mappings" / "opportunity.yml"
    spec.write_text(OPPORTUNITY)
    try:
        yield
    finally:
        spec.unlink()


def counts(plan_file: Any) -> dict[str, dict[str, int]]:
    streams = json.loads(plan_file.read_text())["streams"]
    return {s["mapping"]: s["counts"] for s in streams}


def test_forward_creates_the_object_its_records_and_associations(
    clean_sandbox: Any, meltano_project: Any, opportunity_spec: None
) -> None:
    clean_sandbox.seed(salesforce={"Account": 4, "Opportunity": 12})
    crm = meltano_project.root / ".meltano" / "crm-sync"
    (crm / "sandbox-ledger.sqlite").unlink(missing_ok=True)

    refused = meltano_project.run("invoke", "map-crm:validate")
    assert refused.returncode == 1
    assert "HubSpot has no object sf_opportunity [unknown_object]" in refused.stderr.decode()
    checked = meltano_project.run("invoke", "map-crm:validate", env=CREATE)
    assert checked.returncode == 0, checked.stderr.decode()[-4000:]

    first = meltano_project.run("run", "--full-refresh", "forward", env=CREATE)
    assert first.returncode == 0, first.stderr.decode()[-4000:]
    # the settings still work for a spec that does not say hubspot.create_object
    assert "create_object_schema setting is deprecated" in first.stderr.decode()
    opp = counts(crm / "plan.json")["opportunity"]
    assert opp["created"] == 12, opp
    assert opp["associations_pending"] == 0, opp

    env = clean_sandbox.env
    session = hubspot_session(env)
    base = env["CRM_SANDBOX_HS_BASE_URL"]
    schema = session.get(f"{base}/crm/v3/schemas/sf_opportunity", timeout=30)
    assert schema.status_code == 200, schema.text
    props = {p["name"]: p for p in schema.json()["properties"]}
    assert props["amount"]["type"] == "number"
    assert props["close_date"]["type"] == "date"
    assert props["stage"]["type"] == "enumeration"
    type_id = schema.json()["objectTypeId"]
    listed = session.get(
        f"{base}/crm/v3/objects/{type_id}",
        params={"limit": 100, "associations": "companies"},
        timeout=30,
    ).json()["results"]
    assert len(listed) == 12
    # the seed gives most opportunities an account: each of those is associated
    linked = [r for r in listed if r.get("associations", {}).get("companies", {}).get("results")]
    assert opp["associations_made"] == len(linked) > 0, opp

    second = meltano_project.run("run", "forward", env=CREATE)
    assert second.returncode == 0, second.stderr.decode()[-4000:]
    again = counts(crm / "plan.json").get("opportunity", {})
    assert again.get("created", 0) == again.get("updated", 0) == 0, again
    assert again.get("associations_made", 0) == 0, again
