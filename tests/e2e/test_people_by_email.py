"""Any tap's people into HubSpot contacts by email (issue 14, feature 10).

A plain ``people`` stream keyed by ``email``, with ``object_map: {people: contacts}``:
HubSpot upserts contacts by ``email`` although the property is not ``hasUniqueValue``,
and refuses a batch *update* by it. Tested with Singer messages piped to the target's
CLI (as any tap's output reaches it) and with ``meltano run`` of ``tap-jsonl`` from
PyPI in a user's own Meltano project.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import BIN, REPO
from tests.e2e.hubspot_reads import hubspot_records, hubspot_session

pytestmark = pytest.mark.e2e

PEOPLE_SCHEMA = {
    "type": "SCHEMA",
    "stream": "people",
    "key_properties": ["email"],
    "schema": {
        "type": "object",
        "properties": {
            "email": {"type": "string"},
            "firstname": {"type": ["string", "null"]},
            "lastname": {"type": ["string", "null"]},
        },
    },
}
TAP_JSONL = "tap-jsonl==0.3.1"


def contacts_by_email(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every live contact's properties, by (lowercased) email."""
    out: dict[str, dict[str, Any]] = {}
    for record in hubspot_records(env, "contacts", ["email", "firstname", "lastname"]):
        email = record["properties"]["email"].lower()  # HubSpot matches emails case-blind
        assert email not in out, f"two contacts with {email}"
        out[email] = {**record["properties"], "id": record["id"]}
    return out


def person(email: str, first: str, last: str) -> dict[str, Any]:
    return {"type": "RECORD", "stream": "people",
            "record": {"email": email, "firstname": first, "lastname": last}}  # fmt: skip


def run_target_cli(config: dict[str, Any], messages: list[dict[str, Any]], tmp: Path) -> str:
    """The target's own CLI fed Singer messages on stdin, as a pipe from any tap."""
    path = tmp / "target-config.json"
    path.write_text(json.dumps(config))
    lines = [*messages, {"type": "STATE", "value": {"bookmarks": {}}}]
    done = subprocess.run(
        [str(BIN / "target-hubspot-custom"), "--config", str(path)],
        input="".join(json.dumps(m) + "\n" for m in lines),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def test_batch_update_by_email_is_refused_and_upsert_accepted(clean_sandbox: Any):
    env = clean_sandbox.env
    base = f"{env['CRM_SANDBOX_HS_BASE_URL']}/crm/v3/objects/contacts/batch"
    session = hubspot_session(env)
    item = {"id": "ann@example.com", "idProperty": "email", "properties": {"firstname": "Ann"}}
    update = session.post(f"{base}/update", json={"inputs": [item]}, timeout=30)
    assert update.status_code == 400
    assert update.json()["category"] == "VALIDATION_ERROR"
    assert (
        "Unable to perform update/upsert by non-unique 0-1 property email"
        in (update.json()["message"])
    )
    upsert = session.post(f"{base}/upsert", json={"inputs": [item]}, timeout=30)
    assert upsert.status_code == 200, upsert.text
    (made,) = upsert.json()["results"]
    assert made["new"] is True and made["properties"]["email"] == "ann@example.com"
    again = session.post(f"{base}/upsert", json={"inputs": [item]}, timeout=30)
    assert again.json()["results"][0] == {**again.json()["results"][0], "id": made["id"],
                                          "new": False}  # fmt: skip


def test_singer_people_piped_to_the_target_upsert_contacts_by_email(
    clean_sandbox: Any, tmp_path: Path
):
    env = clean_sandbox.env
    # a contact that already exists in HubSpot: the stream's row for it updates it
    existing = hubspot_session(env).post(
        f"{env['CRM_SANDBOX_HS_BASE_URL']}/crm/v3/objects/contacts",
        json={"properties": {"email": "bo@example.com", "firstname": "Old"}},
        timeout=30,
    )
    assert existing.status_code == 201, existing.text
    config = {
        "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "ledger_url": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "object_map": {"people": "contacts"},
        "fail_on_refused": True,
    }
    people = [person(f"p{i}@example.com", f"First{i}", f"Last{i}") for i in range(150)]
    people += [person("bo@example.com", "Bo", "Bell"), person("Cy@Example.COM", "Cy", "Case")]
    run_target_cli(config, [PEOPLE_SCHEMA, *people], tmp_path)

    contacts = contacts_by_email(env)
    assert len(contacts) == 152
    assert contacts["bo@example.com"]["id"] == existing.json()["id"]
    assert contacts["bo@example.com"]["firstname"] == "Bo"
    assert contacts["cy@example.com"]["lastname"] == "Case"
    assert contacts["p149@example.com"]["firstname"] == "First149"

    # a rerun with one change writes it onto the same contact, no duplicate
    run_target_cli(config, [PEOPLE_SCHEMA, person("p7@example.com", "Seven", "Last7")], tmp_path)
    after = contacts_by_email(env)
    assert len(after) == 152
    seven, was = after["p7@example.com"], contacts["p7@example.com"]
    assert (seven["id"], seven["firstname"], seven["lastname"]) == (was["id"], "Seven", "Last7")
    assert after["p8@example.com"] == contacts["p8@example.com"]


def test_meltano_run_of_a_hub_tap_loads_people_into_contacts(clean_sandbox: Any, tmp_path: Path):
    """A user's own project: tap-jsonl from PyPI, our target from this checkout."""
    env = clean_sandbox.env
    data = tmp_path / "data"
    data.mkdir()
    rows = [{"email": f"j{i}@example.com", "firstname": f"J{i}", "lastname": "Jsonl"}
            for i in range(30)]  # fmt: skip
    (data / "people.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    root = tmp_path / "people-project"
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("CRM_SANDBOX_", "MELTANO_", "VIRTUAL_ENV"))}  # fmt: skip
    run_env = {**base_env, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}

    def meltano(*args: str, cwd: Path = root, timeout: int = 600) -> str:
        done = subprocess.run(
            [str(BIN / "meltano"), *args],
            cwd=cwd, env=run_env, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-4000:])
        return done.stdout + done.stderr

    meltano("init", "--no-usage-stats", root.name, cwd=tmp_path)
    checkout = tmp_path / "crm-sync"
    for folder in ("core", "target-hubspot-custom"):
        skip = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
        shutil.copytree(REPO / folder, checkout / folder, ignore=skip)
    project = yaml.safe_load((root / "meltano.yml").read_text())
    project["plugins"] = {
        "extractors": [{
            "name": "tap-jsonl", "namespace": "tap_jsonl", "pip_url": TAP_JSONL,
            "executable": "tap-jsonl", "capabilities": ["discover", "catalog", "state"],
            "config": {"path": str(data / "*.jsonl"), "stream_name": "people",
                       "primary_keys": ["email"]},
        }],
        "loaders": [{
            "name": "target-hubspot-custom", "namespace": "target_hubspot_custom",
            "executable": "target-hubspot-custom",
            "pip_url": f"{checkout / 'core'} {checkout / 'target-hubspot-custom'}",
            "config": {
                "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
                "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
                "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
                "ledger_url": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
                "object_map": {"people": "contacts"},
                "fail_on_refused": True,
            },
        }],
    }  # fmt: skip
    (root / "meltano.yml").write_text(yaml.safe_dump(project, sort_keys=False))
    meltano("install")
    meltano("run", "tap-jsonl", "target-hubspot-custom")

    contacts = contacts_by_email(env)
    assert set(contacts) == {r["email"] for r in rows}
    assert all(contacts[r["email"]]["firstname"] == r["firstname"] for r in rows)
