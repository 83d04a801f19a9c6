"""Build the reverse leg's input like a real run: HubSpot records → tap shape → map-crm.

HubSpot records are created in the HubSpot sandbox through its API, read back, shaped
as tap-hubspot-custom emits them (``tap_hubspot_custom.hs_types``), and mapped by the
real map-crm (direction hs_to_sf) in-process; the target reads the mapper's output.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import requests
from map_crm.mapper import MapCrm
from singer_sdk.singerlib.json import serialize_json
from tap_hubspot_custom.hs_types import RecordShaper, object_schema
from target_salesforce_custom.target import TargetSalesforceCustom

from crm_sync.http import ResilientSession, WindowLimiter
from crm_sync.hubspot import HubSpotClient, HubSpotSettings

PROJECT = """\
name: project
salesforce: {{object: Project__c, id_field: HubSpot_Id__c}}
hubspot: {{object: project, id_property: salesforce_id}}
create: {{to_hubspot: true, to_salesforce: {create}}}
delete: {{to_hubspot: ignore, to_salesforce: {delete}}}
conflict: newest
fields:
  - {{salesforce: Name, hubspot: project_name, rule: two_way}}
  - {{salesforce: Description__c, hubspot: description, rule: two_way}}
  - {{salesforce: Budget__c, hubspot: budget, rule: prefer_salesforce}}
  - {{salesforce: Is_Active__c, hubspot: is_active, rule: two_way}}
  - {{salesforce: Start_Date__c, hubspot: start_date, rule: two_way}}
{associations}"""
PROJECT_LOOKUP = """\
associations:
  - {lookup: Account__c, to: account, label: "Project's company"}
"""
ACCOUNT = """\
name: account
salesforce: {object: Account, id_field: HubSpot_Id__c}
hubspot: {object: companies, id_property: salesforce_id}
create: {to_hubspot: true, to_salesforce: true}
delete: {to_hubspot: ignore, to_salesforce: ignore}
fields:
  - {salesforce: Name, hubspot: name, rule: two_way}
"""


def write_mappings(
    directory: Path, *, create: bool = True, delete: str = "propagate", lookups: bool = False
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    assoc = PROJECT_LOOKUP if lookups else ""
    text = PROJECT.format(create=str(create).lower(), delete=delete, associations=assoc)
    (directory / "project.yml").write_text(text)
    (directory / "account.yml").write_text(ACCOUNT)
    return directory


def target_config(env: Mapping[str, str], tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "instance_url": env["CRM_SANDBOX_SF_INSTANCE_URL"],
        "login_url": env["CRM_SANDBOX_SF_LOGIN_URL"],
        "access_token": env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
        "client_id": env["CRM_SANDBOX_SF_CLIENT_ID"],
        "client_secret": env["CRM_SANDBOX_SF_CLIENT_SECRET"],
        "api_version": env["CRM_SANDBOX_SF_API_VERSION"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "hs_access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "hs_base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "ledger_url": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "plan_path": str(tmp_path / "plan.json"),
        "max_workers": 4,
        "bulk_poll_seconds": 0.05,
        **extra,
    }


class HubSpotPortal:
    """The HubSpot sandbox as the test sees it: create, edit, archive, read as the tap does."""

    def __init__(self, env: Mapping[str, str]) -> None:
        limiter = WindowLimiter(150, 10.0)  # the portal's 10-second window
        session = ResilientSession(limiter=limiter, ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"])
        settings = HubSpotSettings(
            base_url=env["CRM_SANDBOX_HS_BASE_URL"],
            access_token=env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        )
        self.client = HubSpotClient(settings, session)
        self.session = session
        self.base = env["CRM_SANDBOX_HS_BASE_URL"].rstrip("/")

    def type_of(self, name: str) -> str:
        found = self.client.resolve_object_type(name)
        assert found, name
        return found

    def create(self, name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(rows), 100):
            part = rows[start : start + 100]
            reply = self.session.post(
                f"{self.base}/crm/v3/objects/{self.type_of(name)}/batch/create",
                json={
                    "inputs": [
                        {"properties": dict(r), "objectWriteTraceId": str(n)}
                        for n, r in enumerate(part)
                    ]
                },
            )
            assert reply.status_code == 201, reply.text
            # results are not promised in input order: match them by the trace id
            by_trace = {r["objectWriteTraceId"]: r["id"] for r in reply.json()["results"]}
            ids += [by_trace[str(n)] for n in range(len(part))]
        return ids

    def update(self, name: str, changes: Mapping[str, Mapping[str, Any]]) -> None:
        inputs = list(changes.items())
        for start in range(0, len(inputs), 100):
            outcome = self.client.batch_update(self.type_of(name), inputs[start : start + 100])
            assert not outcome.refusals, outcome.refusals

    def archive(self, name: str, ids: Sequence[str]) -> None:
        self.client.batch_archive(self.type_of(name), list(ids))

    def read(self, name: str, ids: Sequence[str], archived: bool = False) -> list[dict[str, Any]]:
        """Records as the API returns them (``{"id", "properties", ...}``), all properties."""
        object_type = self.type_of(name)
        props = list(self.client.properties(object_type))
        out: list[dict[str, Any]] = []
        for start in range(0, len(ids), 100):
            reply = self.session.post(
                f"{self.base}/crm/v3/objects/{object_type}/batch/read?archived={str(archived).lower()}",
                json={"inputs": [{"id": i} for i in ids[start : start + 100]], "properties": props},
            )
            assert reply.status_code in (200, 207), reply.text
            out += reply.json()["results"]
        return out

    def stream(
        self,
        name: str,
        records: Sequence[Mapping[str, Any]],
        associations: Mapping[str, Mapping[str, list[str]]] | None = None,
    ) -> list[dict[str, Any]]:
        """SCHEMA + RECORD messages shaped like tap-hubspot-custom's output."""
        schema = object_schema(list(self.client.properties(self.type_of(name)).values()))
        shaper = RecordShaper(schema, name)
        messages: list[dict[str, Any]] = [
            {"type": "SCHEMA", "stream": name, "schema": schema, "key_properties": ["id"]}
        ]
        for raw in records:
            record = shaper.shape(dict(raw))
            links = (associations or {}).get(record["id"])
            if links is not None:
                record["associations"] = {
                    obj: {"results": [{"id": i} for i in ids]} for obj, ids in links.items()
                }
            messages.append({"type": "RECORD", "stream": name, "record": record})
        return messages


def mapped(mappings_dir: Path, *messages: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The mapper's output for tap messages (direction hs_to_sf), as JSON-ready dicts."""
    mapper = MapCrm(config={"mappings_dir": str(mappings_dir), "direction": "hs_to_sf"})
    out: list[dict[str, Any]] = []
    for message in messages:
        handler = {"SCHEMA": mapper.map_schema_message, "RECORD": mapper.map_record_message}
        plain = json.loads(json.dumps(message, default=str))
        out += [json.loads(serialize_json(m.to_dict())) for m in handler[message["type"]](plain)]
    return out


def run_target(config: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]) -> str:
    lines = [serialize_json(dict(m)) for m in messages]
    lines.append(json.dumps({"type": "STATE", "value": {"bookmark": 1}}))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        TargetSalesforceCustom(config=dict(config)).listen(io.StringIO("\n".join(lines) + "\n"))
    return out.getvalue()


def soql(env: Mapping[str, str], query: str) -> list[dict[str, Any]]:
    """Every row of a SOQL query (follows nextRecordsUrl)."""
    base = env["CRM_SANDBOX_SF_INSTANCE_URL"].rstrip("/")
    headers = {"Authorization": f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"}
    verify = env["CRM_SANDBOX_CA_BUNDLE"]
    version = env["CRM_SANDBOX_SF_API_VERSION"]
    reply = requests.get(
        f"{base}/services/data/v{version}/queryAll",
        params={"q": query},
        headers=headers,
        verify=verify,
        timeout=60,
    ).json()
    rows = list(reply["records"])
    while not reply.get("done", True):
        reply = requests.get(
            base + reply["nextRecordsUrl"], headers=headers, verify=verify, timeout=60
        ).json()
        rows += reply["records"]
    return rows


def sf_writes(stats: Mapping[str, Any]) -> int:
    """Salesforce calls that write (a collections retrieve is a POST that only reads)."""
    return sum(
        n
        for key, n in stats["salesforce"]["calls"].items()
        if not key.startswith("GET")
        and not key.endswith("/composite/sobjects/{sobject}")
        and "oauth2" not in key
    )


def hs_writes(stats: Mapping[str, Any]) -> int:
    calls = stats["hubspot"]["calls"]
    return sum(n for key, n in calls.items() if "batch/update" in key or "batch/upsert" in key)


def read_plan(config: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(Path(config["plan_path"]).read_text())
