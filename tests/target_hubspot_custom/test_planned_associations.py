"""A batch's association diff is made on the planning thread and used by the writer's
thread unless HubSpot refused one of the batch's records: then it is made again from the
write, and a refused record's associations are neither made nor kept."""

from __future__ import annotations

import contextlib
import io
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from target_hubspot_custom.target import TargetHubSpotCustom

from bench.bench_target_hubspot import account_schema_message, schema_message
from crm_sync.ledger import LedgerStore
from crm_sync.sync import associations
from crm_sync.vocabulary import Direction
from tests.target_hubspot_custom.test_create_object_decision import config_of
from tests.target_hubspot_custom.test_pending_reasons_run import _project, _record

ACCOUNT = "0015g0000000000000"
PROJECTS = 40


def _run(config: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(m) + "\n" for m in [*messages, {"type": "STATE", "value": {}}])
    with contextlib.redirect_stdout(io.StringIO()):
        TargetHubSpotCustom(config={**config, "batch_size": 10}).listen(io.StringIO(text))


def _threads_of_diffs(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The threads :meth:`AssociationDiff.of` runs on, counted from now on."""
    threads: Counter[str] = Counter()
    made = associations.AssociationDiff.of

    def recorded(*args: Any, **kwargs: Any) -> associations.AssociationDiff:
        threads[threading.current_thread().name] += 1
        return made(*args, **kwargs)

    monkeypatch.setattr(associations.AssociationDiff, "of", recorded)
    return threads


def _sync(
    sandbox: Any, config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, **faults: Any
) -> Counter[str]:
    """The account first (nothing refused), then the projects under ``faults``."""
    _run(config, [account_schema_message(), _record("account", ACCOUNT, name="Synced Co")])
    sandbox.set_faults(**faults)
    threads = _threads_of_diffs(monkeypatch)
    _run(config, [schema_message(), *(_project(n, "account", ACCOUNT) for n in range(PROJECTS))])
    return threads


def _associated(env: dict[str, str], ledger_url: str) -> set[str]:
    """HubSpot ids of the projects the account's company is associated with, read back."""
    session = requests.Session()
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_HS_ACCESS_TOKEN']}"
    base = env["CRM_SANDBOX_HS_BASE_URL"]
    schemas = session.get(f"{base}/crm/v3/schemas", timeout=30).json()["results"]
    project = next(s["objectTypeId"] for s in schemas if s["name"] == "project")
    with LedgerStore(ledger_url) as store:
        company = store.load("account", Direction.SF_TO_HS, [ACCOUNT]).destination_id(ACCOUNT)
    reply = session.post(
        f"{base}/crm/v4/associations/0-2/{project}/batch/read",
        json={"inputs": [{"id": company}]},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    return {str(to["toObjectId"]) for item in reply.json()["results"] for to in item["to"]}


def _destinations(ledger_url: str, ids: set[str]) -> set[str]:
    with LedgerStore(ledger_url) as store:
        view = store.load("project", Direction.SF_TO_HS, sorted(ids))
        return {str(view.destination_id(sid)) for sid in ids}


def _linked(ledger_url: str) -> tuple[set[str], set[str]]:
    """Projects linked in the ledger, and those whose account association the base keeps."""
    ids = [f"a0B5g0000{n:09d}" for n in range(PROJECTS)]
    with LedgerStore(ledger_url) as store:
        view = store.load("project", Direction.SF_TO_HS, ids)
        states = {sid: view.state(sid) for sid in ids}
    linked = {sid for sid, st in states.items() if st.destination_id}
    kept = {
        sid
        for sid, st in states.items()
        if st.base and any(k.startswith("@assoc") for k in st.base.get("hubspot", {}))
    }
    return linked, kept


@pytest.fixture
def config(clean_sandbox: Any, tmp_path: Path) -> dict[str, Any]:
    return config_of(clean_sandbox, tmp_path)


def test_without_refusals_the_writer_uses_the_planned_diff(
    clean_sandbox: Any, config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = _sync(clean_sandbox, config, monkeypatch)
    assert threads and "hubspot-writer" not in threads
    linked, kept = _linked(config["ledger_url"])
    assert len(linked) == PROJECTS and kept == linked
    associated = _associated(clean_sandbox.env, config["ledger_url"])
    assert associated == _destinations(config["ledger_url"], linked)


def test_a_refused_record_makes_the_writer_diff_again(
    clean_sandbox: Any, config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = _sync(clean_sandbox, config, monkeypatch, refuse=0.3, seed=3)
    assert threads["hubspot-writer"] >= 1
    linked, kept = _linked(config["ledger_url"])
    assert 0 < len(linked) < PROJECTS
    assert kept == linked  # a refused project's association is neither made nor kept
    associated = _associated(clean_sandbox.env, config["ledger_url"])
    assert associated == _destinations(config["ledger_url"], linked)
