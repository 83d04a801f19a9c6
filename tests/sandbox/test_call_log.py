"""The server's call log (``CRM_SANDBOX_CALL_LOG``): every answered call, in answer order,
replayed in one process on a copy of the data directory gets the status it got."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import requests

from crm_sandbox.core import call_log
from crm_sandbox.core.app import assemble
from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.process import start, stop


def test_logged_calls_replay_in_process_with_their_statuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = DataDir(tmp_path / "live")
    start(data_dir)  # made once without a log: its secrets and seed are the snapshot's
    stop(data_dir)
    shutil.copytree(data_dir.path, tmp_path / "snapshot")
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv(call_log.ENV, str(log))
    handle = start(data_dir)
    try:
        env = handle.env
        session = requests.Session()
        session.trust_env = False
        session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
        session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_HS_ACCESS_TOKEN']}"
        base = env["CRM_SANDBOX_HS_BASE_URL"] + "/crm/v3/objects/companies"
        made = session.post(base, json={"properties": {"name": "Logged"}}, timeout=30)
        refused = session.post(base, json={"properties": {"no_such": "x"}}, timeout=30)
        read = session.get(f"{base}/{made.json()['id']}", params={"properties": "name"})
        missing = session.get(f"{base}/999999999", timeout=30)
    finally:
        stop(data_dir)
    statuses = [r.status_code for r in (made, refused, read, missing)]
    assert statuses == [201, 400, 200, 404]
    calls = call_log.read(log)
    assert [(c["method"], c["status"]) for c in calls] == [
        ("POST", 201), ("POST", 400), ("GET", 200), ("GET", 404),
    ]  # fmt: skip
    assert calls[2]["query"] == "properties=name"
    sandbox = assemble(DataDir(tmp_path / "snapshot"), None)
    try:
        app = sandbox.asgi_app()
        replayed = [asyncio.run(call_log.answer(app, call)) for call in calls]
    finally:
        sandbox.close()
    assert replayed == statuses  # the same ids: the GET finds the record the POST made
