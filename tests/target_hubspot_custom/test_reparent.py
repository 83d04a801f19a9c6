"""A changed or cleared lookup leaves HubSpot with exactly the associations the lookups
imply (issue 12 item 4), on a sandbox that keeps HubSpot's unlabelled type beside a label.

A labelled association (``ParentId``: 14, child to parent company) brings the pair's
default (450) with it, and ``batch/labels/archive`` of the label would leave the default:
so a stale pair goes whole by ``batch/archive``, all of a batch's in ceil(pairs / 100)
calls. Where another lookup of the record still names the old company, the pair stays
and only the moved lookup's own label goes.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.bench_target_hubspot import account_id, account_schema_message
from tests.target_hubspot_custom.test_association_categories import SANDBOX_SETTINGS, Portal

TARGET = str(Path(sys.executable).parent / "target-hubspot-custom")
PAIR = "POST /crm/v4/associations/{fromObjectType}/{toObjectType}"
ARCHIVE, LABELS_ARCHIVE = f"{PAIR}/batch/archive", f"{PAIR}/batch/labels/archive"
OLD, NEW = account_id(1), account_id(2)
CHILDREN = [account_id(100 + n) for n in range(150)]


TYPE_14 = {"type_id": 14}
DEFAULT: dict[str, Any] = {}


def _account(sid: str, stamp: int, **lookups: tuple[str | None, dict[str, Any]]) -> dict[str, Any]:
    """An account record whose lookups (name -> (related id, rule's type)) are all given."""
    links = [
        {"to_mapping": "account", "lookup": name, "source_id": related, **rule}
        for name, (related, rule) in lookups.items()
    ]
    body = {
        "name": f"Company {sid[-3:]}",
        "salesforce_id": sid,
        "_crm_source_id": sid,
        "_crm_source_modified_at": f"2026-01-0{stamp}T00:00:00.000Z",
        "_crm_associations": links,
    }
    return {"type": "RECORD", "stream": "account", "record": body}


def _run(env: dict[str, str], tmp_path: Path, records: list[dict[str, Any]]) -> None:
    settings = {key: env[name] for key, name in SANDBOX_SETTINGS.items()}
    config = tmp_path / "config.json"
    config.write_text(json.dumps({**settings, "ledger_url": f"sqlite:///{tmp_path / 'l.sqlite'}"}))
    messages = [account_schema_message(), *records, {"type": "STATE", "value": {"b": 1}}]
    done = subprocess.run(
        [TARGET, "--config", str(config)],
        input="".join(json.dumps(m) + "\n" for m in messages),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _linked(portal: Portal, companies: list[str]) -> dict[str, dict[str, list[int]]]:
    """``{company: {associated company: [typeId, ...]}}`` by ``batch/read`` (100 a call)."""
    url = portal.env["CRM_SANDBOX_HS_BASE_URL"] + "/crm/v4/associations/0-2/0-2/batch/read"
    found: dict[str, dict[str, list[int]]] = {c: {} for c in companies}
    for start in range(0, len(companies), 100):
        body = {"inputs": [{"id": c} for c in companies[start : start + 100]]}
        reply = portal.session.post(url, json=body, timeout=30)
        assert reply.status_code in (200, 207), reply.text
        for item in reply.json()["results"]:
            found[item["from"]["id"]] = {
                str(to["toObjectId"]): [t["typeId"] for t in to["associationTypes"]]
                for to in item["to"]
            }
    return found


def _calls(sandbox: Any, route: str) -> int:
    return int(sandbox.stats()["hubspot"]["calls"].get(route, 0))


@pytest.mark.parametrize("rule", [TYPE_14, {"label": "Child Company"}], ids=["type_id", "label"])
def test_moved_and_cleared_parents_leave_only_what_the_lookups_imply(clean_sandbox, tmp_path, rule):
    """By type id or by label, the rule's type is labelled; old pairs go whole."""
    env = clean_sandbox.env
    companies = [_account(OLD, 1), _account(NEW, 1)]
    _run(env, tmp_path, [*companies, *(_account(c, 1, ParentId=(OLD, rule)) for c in CHILDREN)])
    portal = Portal(env)
    ids = portal.ids()
    old, new = ids[OLD], ids[NEW]
    first = ids[CHILDREN[0]]
    assert portal.v4(first) == {old: [("HUBSPOT_DEFINED", 14), ("HUBSPOT_DEFINED", 450)]}

    clean_sandbox.clear_stats()
    _run(env, tmp_path, [_account(c, 2, ParentId=(NEW, rule)) for c in CHILDREN])
    assert _calls(clean_sandbox, ARCHIVE) == math.ceil(len(CHILDREN) / 100)
    assert _calls(clean_sandbox, LABELS_ARCHIVE) == 0
    assert _linked(portal, [ids[c] for c in CHILDREN]) == {
        ids[c]: {new: [14, 450]} for c in CHILDREN
    }
    assert portal.v4(old) == {}

    clean_sandbox.clear_stats()
    _run(env, tmp_path, [_account(c, 3, ParentId=(None, rule)) for c in CHILDREN])
    assert _calls(clean_sandbox, ARCHIVE) == math.ceil(len(CHILDREN) / 100)
    assert _linked(portal, [ids[c] for c in CHILDREN]) == {ids[c]: {} for c in CHILDREN}
    assert portal.v4(new) == {}


def test_a_pair_another_lookup_still_names_keeps_its_default(clean_sandbox, tmp_path):
    """``ParentId`` (labelled) and ``Partner__c`` (the default) both name OLD; then
    ParentId moves to NEW: OLD stays associated unlabelled (Partner__c implies it), by
    one ``labels/archive``. Then Partner__c moves to NEW: OLD's pair goes whole."""
    env = clean_sandbox.env
    child = CHILDREN[0]
    _run(
        env,
        tmp_path,
        [
            _account(OLD, 1),
            _account(NEW, 1),
            _account(child, 1, ParentId=(OLD, TYPE_14), Partner__c=(OLD, DEFAULT)),
        ],
    )
    portal = Portal(env)
    ids = portal.ids()
    old, new, mine = ids[OLD], ids[NEW], ids[child]
    both = [("HUBSPOT_DEFINED", 14), ("HUBSPOT_DEFINED", 450)]
    assert portal.v4(mine) == {old: both}

    clean_sandbox.clear_stats()
    _run(env, tmp_path, [_account(child, 2, ParentId=(NEW, TYPE_14), Partner__c=(OLD, DEFAULT))])
    assert (_calls(clean_sandbox, LABELS_ARCHIVE), _calls(clean_sandbox, ARCHIVE)) == (1, 0)
    assert portal.v4(mine) == {old: [("HUBSPOT_DEFINED", 450)], new: both}

    clean_sandbox.clear_stats()
    _run(env, tmp_path, [_account(child, 3, ParentId=(NEW, TYPE_14), Partner__c=(NEW, DEFAULT))])
    assert (_calls(clean_sandbox, LABELS_ARCHIVE), _calls(clean_sandbox, ARCHIVE)) == (0, 1)
    assert portal.v4(mine) == {new: both}
