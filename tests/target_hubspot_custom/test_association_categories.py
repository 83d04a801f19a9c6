"""A spec's bare ``type_id`` takes its category from HubSpot (issue 12, "no silent loss").

The shipped account spec says ``{lookup: ParentId, to: account, type_id: 14}`` without a
category; 14 (child company to parent) is ``HUBSPOT_DEFINED``. The target reads the
pair's types once per run (``GET .../labels``) and sends the category HubSpot has, so
the association is made and both companies show it; a type id the pair does not have
stops the run naming the mapping, the lookup and the id, with nothing associated, and
the run after the spec is fixed makes them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.bench_target_hubspot import account_schema_message
from tests.e2e.hubspot_reads import hubspot_records, hubspot_session

TARGET = str(Path(sys.executable).parent / "target-hubspot-custom")
SANDBOX_SETTINGS = {
    "access_token": "CRM_SANDBOX_HS_ACCESS_TOKEN",
    "base_url": "CRM_SANDBOX_HS_BASE_URL",
    "ca_bundle": "CRM_SANDBOX_CA_BUNDLE",
}
PARENT, CHILDREN = "0015g0000000000001", ("0015g0000000000002", "0015g0000000000003")


def _account(sid: str, parent: str | None, type_id: int) -> dict[str, Any]:
    links = [{"to_mapping": "account", "lookup": "ParentId", "source_id": parent}]
    body = {
        "name": f"Company {sid[-1]}",
        "salesforce_id": sid,
        "_crm_source_id": sid,
        "_crm_source_modified_at": "2026-01-01T00:00:00.000Z",
        "_crm_associations": [{**links[0], "type_id": type_id}] if parent else [],
    }
    return {"type": "RECORD", "stream": "account", "record": body}


def _run(env: dict[str, str], tmp_path: Path, type_id: int) -> subprocess.CompletedProcess[str]:
    settings = {key: env[name] for key, name in SANDBOX_SETTINGS.items()}
    config = tmp_path / "config.json"
    config.write_text(json.dumps({**settings, "ledger_url": f"sqlite:///{tmp_path / 'l.sqlite'}"}))
    messages = [
        account_schema_message(),
        _account(PARENT, None, type_id),
        *(_account(child, PARENT, type_id) for child in CHILDREN),
        {"type": "STATE", "value": {"bookmark": 1}},
    ]
    stdin = "".join(json.dumps(m) + "\n" for m in messages)
    return subprocess.run(
        [TARGET, "--config", str(config)], input=stdin, capture_output=True, text=True, timeout=300
    )


class Portal:
    """Plain reads of the sandbox portal: companies by source id, their associations."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.session = hubspot_session(env)

    def get(self, path: str, **params: str) -> dict[str, Any]:
        url = self.env["CRM_SANDBOX_HS_BASE_URL"] + path
        reply = self.session.get(url, params=params, timeout=30)
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    def ids(self) -> dict[str, str]:
        found = hubspot_records(self.env, "companies", ["salesforce_id"])
        return {r["properties"]["salesforce_id"]: r["id"] for r in found}

    def v4(self, company: str) -> dict[str, list[tuple[str, int]]]:
        page = self.get(f"/crm/v4/objects/companies/{company}/associations/companies")
        return {
            str(r["toObjectId"]): [(t["category"], t["typeId"]) for t in r["associationTypes"]]
            for r in page["results"]
        }

    def v3(self, company: str) -> set[tuple[str, str]]:
        found = self.get(f"/crm/v3/objects/companies/{company}", associations="companies")
        results = found.get("associations", {}).get("companies", {}).get("results", [])
        return {(r["id"], r["type"]) for r in results}


def _labels_calls(stats: dict[str, Any]) -> int:
    return sum(n for route, n in stats["hubspot"]["calls"].items() if route.endswith("/labels"))


def test_a_bare_hubspot_defined_type_id_makes_the_association(clean_sandbox, tmp_path):
    clean_sandbox.clear_stats()
    done = _run(clean_sandbox.env, tmp_path, 14)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _labels_calls(clean_sandbox.stats()) == 1  # one per object pair per run
    portal = Portal(clean_sandbox.env)
    ids = portal.ids()
    parent, children = ids[PARENT], [ids[c] for c in CHILDREN]
    # Each labelled pair also holds the unlabelled company pair (450), as in HubSpot.
    for child in children:
        assert portal.v4(child) == {parent: [("HUBSPOT_DEFINED", 14), ("HUBSPOT_DEFINED", 450)]}
        assert portal.v3(child) == {
            (parent, "child_to_parent_company"),
            (parent, "company_to_company"),
        }
    down = [("HUBSPOT_DEFINED", 13), ("HUBSPOT_DEFINED", 450)]
    assert portal.v4(parent) == {c: down for c in children}
    assert portal.v3(parent) == {
        (c, name) for c in children for name in ("parent_to_child_company", "company_to_company")
    }


def test_a_type_id_the_pair_lacks_stops_the_run_and_loses_nothing(clean_sandbox, tmp_path):
    done = _run(clean_sandbox.env, tmp_path, 999)
    assert done.returncode == 2, done.stderr[-3000:]
    line = next(x for x in done.stderr.splitlines() if "target-hubspot-custom stopped:" in x)
    assert (
        "mapping 'account': association ParentId has type_id 999, which HubSpot does not "
        "have from 0-2 to 0-2 (its types: 450 HUBSPOT_DEFINED, 13 HUBSPOT_DEFINED "
        "'Parent Company', 14 HUBSPOT_DEFINED 'Child Company')" in line
    ), line
    assert "Traceback" not in done.stderr
    portal = Portal(clean_sandbox.env)
    assert all(portal.v4(company) == {} for company in portal.ids().values())
    # Nothing is lost: with the spec fixed, the next run (same ledger) makes them.
    fixed = _run(clean_sandbox.env, tmp_path, 14)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    ids = portal.ids()
    down = [("HUBSPOT_DEFINED", 13), ("HUBSPOT_DEFINED", 450)]
    assert portal.v4(ids[PARENT]) == {ids[c]: down for c in CHILDREN}
