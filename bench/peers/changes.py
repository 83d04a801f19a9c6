"""Edit and delete a share of the seeded rows between the full and the incremental runs.

Goes through the sandbox's public APIs like any client: Salesforce sObject Collections
(200 records per call) and HubSpot batch update / archive (100 per call). The rows are
drawn from the ids the first extractor of each API saw, with a seeded RNG, so every
extractor's incremental run faces the same edits and deletions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import requests

SF_BATCH = 200
HS_BATCH = 100


@dataclass(frozen=True)
class Changes:
    edited: list[str]
    deleted: list[str]


def pick(ids: set[str], percent: float, seed: int) -> Changes:
    """``percent`` % of ``ids``: the first half edited, the second half deleted."""
    population = sorted(ids)
    count = min(len(population), max(2, round(len(population) * percent / 100)))
    chosen = random.Random(seed).sample(population, count)
    half = count // 2
    return Changes(edited=chosen[:half], deleted=chosen[half:])


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _check(reply: requests.Response) -> None:
    """Raise unless the call and (for collections) every record in it succeeded."""
    body = reply.json() if reply.content else None
    refused = isinstance(body, list) and any(not item.get("success") for item in body)
    if reply.status_code >= 300 or refused:
        raise RuntimeError(
            f"{reply.request.method} {reply.url}: {reply.status_code} {reply.text[:300]}"
        )


def apply_salesforce(env: dict[str, str], sobject: str, changes: Changes) -> None:
    session = requests.Session()
    session.trust_env = False  # else a REQUESTS_CA_BUNDLE in the environment wins
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"
    version = env["CRM_SANDBOX_SF_API_VERSION"]
    base = f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/data/v{version}"
    for chunk in _chunks(changes.edited, SF_BATCH):
        records = [
            {"attributes": {"type": sobject}, "id": ident, "Name": f"Edited {ident}"}
            for ident in chunk
        ]
        reply = session.patch(
            f"{base}/composite/sobjects", json={"allOrNone": True, "records": records}
        )
        _check(reply)
    for chunk in _chunks(changes.deleted, SF_BATCH):
        reply = session.delete(
            f"{base}/composite/sobjects", params={"ids": ",".join(chunk), "allOrNone": "true"}
        )
        _check(reply)


def apply_hubspot(env: dict[str, str], object_type: str, changes: Changes) -> None:
    session = requests.Session()
    session.trust_env = False  # else a REQUESTS_CA_BUNDLE in the environment wins
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_HS_ACCESS_TOKEN']}"
    base = f"{env['CRM_SANDBOX_HS_BASE_URL']}/crm/v3/objects/{object_type}/batch"
    for chunk in _chunks(changes.edited, HS_BATCH):
        inputs = [{"id": ident, "properties": {"name": f"Edited {ident}"}} for ident in chunk]
        _check(session.post(f"{base}/update", json={"inputs": inputs}))
    for chunk in _chunks(changes.deleted, HS_BATCH):
        _check(session.post(f"{base}/archive", json={"inputs": [{"id": i} for i in chunk]}))
