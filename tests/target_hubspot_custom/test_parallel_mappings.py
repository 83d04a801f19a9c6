"""Two mappings at once on one ledger; a second run of the same mapping is refused.

Real target processes (the plugin's console script) against the sandbox, with the
ledger on a throwaway PostgreSQL and on a SQLite file. Run A of mapping ``project`` is
held open mid-input (it has said it holds the mapping) while run B of mapping
``project_copy`` runs to the end beside it and run C of ``project`` is refused with one
line; then A finishes. Both mappings' records are in HubSpot and the ledger.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from crm_sync.stops import EXIT_BUSY
from crm_sync.sync.ledger import open_ledger
from tests.target_hubspot_custom import test_target_sandbox as base

config = base.config  # the fixtures: sandbox settings, ledger on SQLite and PostgreSQL
ledger_url = base.ledger_url

TARGET = str(Path(sys.executable).parent / "target-hubspot-custom")
HELD = "holding the ledger lock of mapping 'project'"


def _stream(name: str, offset: int, count: int) -> list[dict[str, Any]]:
    """SCHEMA and RECORDs of a mapping called ``name`` (stream of the same name)."""
    schema = copy.deepcopy(base.schema_message())
    schema["stream"] = name
    schema["schema"]["x-crm-mapping"]["name"] = name
    records = [base.record(offset + i) for i in range(count)]
    for message in records:
        message["stream"] = name
    return [schema, *records]


def _lines(messages: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(m) + "\n" for m in messages)


def _start(config_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [TARGET, "--config", str(config_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_mappings_run_at_once_and_a_second_run_of_one_is_refused(
    config: dict, tmp_path: Path
) -> None:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    run_a = _start(config_path)
    assert run_a.stdin is not None and run_a.stderr is not None
    run_a.stdin.write(_lines(_stream("project", 0, 150)))
    run_a.stdin.flush()
    seen: list[str] = []
    for line in run_a.stderr:  # A says when it holds its mapping
        seen.append(line)
        if HELD in line:
            break
    else:
        raise AssertionError("run A ended without taking its lock:\n" + "".join(seen))

    run_b = subprocess.run(
        [TARGET, "--config", str(config_path)],
        input=_lines(_stream("project_copy", 1000, 120)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run_b.returncode == 0, run_b.stderr[-3000:]

    run_c = subprocess.run(
        [TARGET, "--config", str(config_path)],
        input=_lines(_stream("project", 2000, 5)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run_c.returncode == EXIT_BUSY
    refusal = [line for line in run_c.stderr.splitlines() if "already being synced" in line]
    assert refusal == [
        "target-hubspot-custom stopped: mapping 'project' is already being synced by another run "
        f"(held by {_host()}:{run_a.pid}); refusing to start a second run of it "
        "(wait for that run to finish, or run a different mapping)"
    ]
    assert "Traceback" not in run_c.stderr

    run_a.stdin.write(_lines(_stream("project", 150, 50)[1:]))
    run_a.stdin.close()
    run_a.stderr.read()
    assert run_a.wait(timeout=300) == 0

    ledger = open_ledger(config["ledger_url"])
    try:
        assert ledger.count_records("project") == 200  # C wrote nothing
        assert ledger.count_records("project_copy") == 120
    finally:
        ledger.close()


def _host() -> str:
    import socket

    return socket.gethostname()
