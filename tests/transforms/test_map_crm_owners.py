"""map-crm's owner fields: Salesforce User ids <-> HubSpot owner ids by email, on the sandbox."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from map_crm.mapper import MapCrm

from crm_sync.stops import InputError
from tests.core.test_owners import new_user, sandbox_clients
from tests.e2e.two_way_helpers import Salesforce
from tests.transforms.messages import salesforce_schema
from tests.transforms.test_map_crm import ACCOUNT as PLAIN_ACCOUNT
from tests.transforms.test_map_crm import run
from tests.transforms.test_map_crm_live import credentials

ACCOUNT = (
    PLAIN_ACCOUNT
    + "  - {salesforce: OwnerId, hubspot: hubspot_owner_id, rule: two_way, owner: true}\n"
)
SF_SCHEMA = salesforce_schema(
    "Account", ("Id", "Name", "OwnerId", "HubSpot_Id__c", "SystemModstamp")
)
HS_SCHEMA = {
    "type": "SCHEMA",
    "stream": "companies",
    "key_properties": ["id"],
    "schema": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "properties": {
                "type": "object",
                "properties": {
                    name: {"type": ["string", "null"]}
                    for name in ("name", "hubspot_owner_id", "salesforce_id", "hs_lastmodifieddate")
                },
            },
        },
    },
}


def sf_account(record_id: str, owner: str | None) -> dict[str, Any]:
    record = {"Id": record_id, "Name": f"Acme {record_id[-4:]}", "OwnerId": owner,
              "SystemModstamp": "2026-01-01T00:00:00.000+0000"}  # fmt: skip
    return {"type": "RECORD", "stream": "Account", "record": record}


def hs_company(record_id: str, owner: str | None) -> dict[str, Any]:
    props = {"name": "Acme", "hubspot_owner_id": owner, "salesforce_id": None,
             "hs_lastmodifieddate": "2026-01-01T00:00:00Z"}  # fmt: skip
    return {
        "type": "RECORD",
        "stream": "companies",
        "record": {"id": record_id, "properties": props},
    }


@pytest.fixture
def people(clean_sandbox: Any) -> dict[str, str]:
    """Ada (active, an owner), Grace (inactive: her owner is archived), and their owner ids."""
    org = Salesforce(clean_sandbox.env)
    ada = new_user(org, "Ada", "Lovelace", "ada@example.com")
    grace = new_user(org, "Grace", "Hopper", "grace@example.com")
    org.update("User", grace, {"IsActive": False})

    _, hs = sandbox_clients(clean_sandbox.env)
    owners = {o["email"]: o["id"] for o in hs.owners()}
    return {"ada": ada, "grace": grace, "ada_owner": owners["ada@example.com"]}


def mapper(tmp_path: Path, env: dict[str, str], direction: str) -> MapCrm:
    (tmp_path / "account.yml").write_text(ACCOUNT)
    return MapCrm(config={"mappings_dir": str(tmp_path), "direction": direction,
                          "validate_live": False, **credentials(env)})  # fmt: skip


def test_forward_user_becomes_owner_and_an_unmatched_one_is_left_out(
    tmp_path: Path, clean_sandbox: Any, people: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    m = mapper(tmp_path, clean_sandbox.env, "sf_to_hs")
    with caplog.at_level(logging.WARNING):
        _, matched, unmatched = run(
            m, SF_SCHEMA, sf_account("001000000000001AAA", people["ada"]),
            sf_account("001000000000002AAA", people["grace"]),
        )  # fmt: skip
    assert matched["record"]["hubspot_owner_id"] == people["ada_owner"]
    assert matched["record"]["_crm_source_values"]["OwnerId"] == people["ada"]
    assert "_crm_warnings" not in matched["record"]
    rec = unmatched["record"]
    assert "hubspot_owner_id" not in rec and rec["name"] == "Acme 2AAA"  # the rest syncs
    assert "OwnerId" not in rec["_crm_source_values"]  # not in the base: retried next run
    assert [w["code"] for w in rec["_crm_warnings"]] == ["owner_unmatched"]
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    owner_lines = [line for line in lines if "owner_unmatched" in line]
    assert len(owner_lines) == 1
    assert "001000000000002AAA" in owner_lines[0] and people["grace"] in owner_lines[0]
    assert "grace@example.com" not in " ".join(lines)  # no emails in the logs


def test_reverse_owner_becomes_user_and_an_unknown_owner_is_left_out(
    tmp_path: Path, clean_sandbox: Any, people: dict[str, str]
) -> None:
    m = mapper(tmp_path, clean_sandbox.env, "hs_to_sf")
    _, matched, unknown, blank = run(
        m, HS_SCHEMA, hs_company("901", people["ada_owner"]), hs_company("902", "12345"),
        hs_company("903", ""),
    )  # fmt: skip
    assert matched["record"]["OwnerId"] == people["ada"]
    assert "OwnerId" not in unknown["record"] and unknown["record"]["Name"] == "Acme"
    assert unknown["record"]["_crm_warnings"][0]["field"] == "hubspot_owner_id"
    assert "OwnerId" not in blank["record"]  # a Salesforce record always has an owner
    assert "_crm_warnings" not in blank["record"]


def test_owner_values_without_credentials_stop_with_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "account.yml").write_text(ACCOUNT)
    m = MapCrm(config={"mappings_dir": str(tmp_path)})
    run(m, SF_SCHEMA, sf_account("001000000000001AAA", None))  # no owner value: no lookup
    with pytest.raises(InputError, match=r"owner: true.*both sides' credentials"):
        run(m, sf_account("001000000000002AAA", "005000000000001AAA"))
