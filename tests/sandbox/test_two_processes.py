"""The server as two processes: Salesforce (+ control API) on one port, HubSpot on another.

The control API stays at the Salesforce URL and reaches the HubSpot process: each test
checks the HubSpot process's own control API (its port) to see an operation arrived.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator

import psutil
import pytest
import requests

from crm_sandbox import cli
from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.process import RunningSandbox, SandboxError, start, stop


def _own(handle: RunningSandbox, path: str) -> requests.Response:
    """A GET of the HubSpot process's own control API (not through the first process)."""
    return requests.get(
        f"{handle.hs_base_url}/__sandbox/{path}", verify=handle.ca_bundle, timeout=30
    )


def _hubspot(handle: RunningSandbox, base: str, path: str) -> requests.Response:
    token = handle.env["CRM_SANDBOX_HS_ACCESS_TOKEN"]
    return requests.get(
        base + path,
        headers={"Authorization": f"Bearer {token}"},
        verify=handle.ca_bundle,
        timeout=30,
    )


@pytest.fixture
def own_sandbox(tmp_path) -> Iterator[RunningSandbox]:
    """A sandbox of this test alone (the tests below kill or stop it)."""
    data_dir = DataDir(tmp_path / "sandbox")
    handle = start(data_dir)
    try:
        yield handle
    finally:
        stop(data_dir)


def test_the_apis_answer_on_two_ports_of_two_processes(clean_sandbox) -> None:
    env = clean_sandbox.env
    assert clean_sandbox.hs_port is not None and clean_sandbox.hs_pid is not None
    assert clean_sandbox.hs_port != clean_sandbox.port
    assert clean_sandbox.hs_pid != clean_sandbox.pid
    assert env["CRM_SANDBOX_HS_BASE_URL"] == f"https://127.0.0.1:{clean_sandbox.hs_port}"
    assert env["CRM_SANDBOX_SF_INSTANCE_URL"] == f"https://127.0.0.1:{clean_sandbox.port}"
    assert _own(clean_sandbox, "health").json()["pid"] == clean_sandbox.hs_pid
    health = clean_sandbox.control("GET", "health")
    assert health["pid"] == clean_sandbox.pid
    assert health["services"] == ["hubspot", "salesforce"]
    reply = _hubspot(clean_sandbox, clean_sandbox.hs_base_url, "/crm/v3/objects/companies")
    assert reply.status_code == 200
    assert clean_sandbox.stats()["hubspot"]["calls"] == {"GET /crm/v3/objects/{objectType}": 1}


def test_each_port_answers_the_other_apis_paths_as_its_own_unknown_path(clean_sandbox) -> None:
    on_salesforce = _hubspot(clean_sandbox, clean_sandbox.base_url, "/crm/v3/objects/companies")
    assert on_salesforce.status_code == 404
    assert "hubapi" not in on_salesforce.text and "category" not in on_salesforce.text
    on_hubspot = _hubspot(clean_sandbox, clean_sandbox.hs_base_url, "/services/data/v62.0/limits")
    assert on_hubspot.status_code == 404
    assert on_hubspot.json()["message"] == "resource not found"
    stats = clean_sandbox.stats()
    assert stats["salesforce"]["total"] == 0
    assert stats["hubspot"]["calls"] == {"GET /services/data/v62.0/limits": 1}


def test_seed_stats_and_reset_reach_the_hubspot_process(clean_sandbox) -> None:
    made = clean_sandbox.seed(salesforce={"Account": 2}, hubspot={"companies": 3})
    assert made == {"seeded": {"salesforce": {"Account": 2}, "hubspot": {"companies": 3}}}
    assert _own(clean_sandbox, "stats").json()["hubspot"]["records"]["companies"] == 3
    _hubspot(clean_sandbox, clean_sandbox.hs_base_url, "/crm/v3/objects/companies")
    assert _own(clean_sandbox, "stats").json()["hubspot"]["total"] == 1
    clean_sandbox.clear_stats()
    assert _own(clean_sandbox, "stats").json()["hubspot"]["total"] == 0
    _hubspot(clean_sandbox, clean_sandbox.hs_base_url, "/crm/v3/objects/companies")
    clean_sandbox.reset(["salesforce"])  # zeroes every counter, as one process did
    stats = _own(clean_sandbox, "stats").json()["hubspot"]
    assert (stats["total"], stats["records"]["companies"]) == (0, 3)
    assert clean_sandbox.stats()["salesforce"]["records"]["Account"] == 0
    clean_sandbox.reset(["hubspot"])
    assert _own(clean_sandbox, "stats").json()["hubspot"]["records"]["companies"] == 0


def test_faults_and_the_clock_are_set_in_both_processes(clean_sandbox) -> None:
    clean_sandbox.set_faults(latency_ms=3, hs_ten_second_max=50)
    clean_sandbox.set_faults(replace=False, http500=0.25)
    own = _own(clean_sandbox, "faults").json()
    assert (own["latency_ms"], own["hs_ten_second_max"], own["http500"]) == (3, 50, 0.25)
    clean_sandbox.clock(freeze="2030-01-02T03:04:05.678+00:00")
    clean_sandbox.clock(advance_ms=1000)
    assert _own(clean_sandbox, "clock").json() == clean_sandbox.clock()
    assert clean_sandbox.clock()["now"] == "2030-01-02T03:04:06.678000+00:00"
    clean_sandbox.clock(unfreeze=True)
    own_clock, clock = _own(clean_sandbox, "clock").json(), clean_sandbox.clock()
    assert own_clock["offset_ms"] == clock["offset_ms"] and not own_clock["frozen"]


def test_hubspot_control_routes_are_passed_on(clean_sandbox) -> None:
    minted = clean_sandbox.control(
        "POST", "hubspot/tokens", {"scopes": ["crm.objects.contacts.read"]}
    )
    reply = _hubspot(clean_sandbox, clean_sandbox.hs_base_url, "/crm/v3/objects/contacts")
    assert reply.status_code == 200
    scoped = requests.get(
        f"{clean_sandbox.hs_base_url}/crm/v3/objects/companies",
        headers={"Authorization": f"Bearer {minted['token']}"},
        verify=clean_sandbox.ca_bundle,
        timeout=30,
    )
    assert scoped.status_code == 403
    bad = requests.post(
        f"{clean_sandbox.base_url}/__sandbox/hubspot/tokens",
        json={"scopes": "crm.objects.contacts.read"},
        verify=clean_sandbox.ca_bundle,
        timeout=30,
    )
    # The HubSpot process's own answer, passed on.
    assert (bad.status_code, bad.json()) == (400, {"error": "scopes must be a list of scope names"})
    broken = requests.post(
        f"{clean_sandbox.base_url}/__sandbox/hubspot/tokens",
        data=b'{"scopes": [',
        headers={"Content-Type": "application/json"},
        verify=clean_sandbox.ca_bundle,
        timeout=30,
    )
    assert broken.status_code == 400
    assert broken.json()["error"].startswith("Invalid input JSON on line 1")


def test_killing_the_first_process_ends_the_hubspot_process(own_sandbox) -> None:
    child = psutil.Process(own_sandbox.hs_pid)
    os.kill(own_sandbox.pid, signal.SIGKILL)
    child.wait(timeout=60)  # returns once it has exited; raises TimeoutExpired if it stays
    assert not psutil.pid_exists(own_sandbox.hs_pid) or child.status() == psutil.STATUS_ZOMBIE


def test_stop_ends_both_processes(own_sandbox) -> None:
    first, second = psutil.Process(own_sandbox.pid), psutil.Process(own_sandbox.hs_pid)
    assert stop(own_sandbox.data_dir)
    for process in (first, second):
        assert not process.is_running() or process.status() == psutil.STATUS_ZOMBIE


def test_one_process_serves_both_apis_on_one_port(tmp_path) -> None:
    data_dir = DataDir(tmp_path / "sandbox")
    handle = start(data_dir, one_process=True)
    try:
        assert (handle.hs_pid, handle.hs_port) == (None, None)
        env = handle.env
        assert env["CRM_SANDBOX_HS_BASE_URL"] == env["CRM_SANDBOX_SF_INSTANCE_URL"]
        assert _hubspot(handle, handle.base_url, "/crm/v3/objects/companies").status_code == 200
        assert [p.pid for p in psutil.Process(handle.pid).children()] == []
    finally:
        stop(data_dir)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_cli_fixes_both_ports(tmp_path, capsys) -> None:
    data_dir = tmp_path / "sandbox"
    port, hs_port = _free_port(), _free_port()
    try:
        args = ["--data-dir", str(data_dir), "start", "--port", str(port)]
        assert cli.main([*args, "--hs-port", str(hs_port)]) == 0
        assert cli.main(["--data-dir", str(data_dir), "env"]) == 0
        printed = capsys.readouterr().out
        assert f"CRM_SANDBOX_SF_INSTANCE_URL=https://127.0.0.1:{port}\n" in printed
        assert f"CRM_SANDBOX_HS_BASE_URL=https://127.0.0.1:{hs_port}\n" in printed
        handle = start(DataDir(data_dir))  # the running one
        assert _hubspot(handle, handle.hs_base_url, "/crm/v3/objects/companies").status_code == 200
    finally:
        stop(DataDir(data_dir))


def test_a_hubspot_port_taken_stops_the_start_with_the_reason(tmp_path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(SandboxError, match="Address already in use"):
            start(DataDir(tmp_path / "sandbox"), hs_port=taken.getsockname()[1])


def test_one_process_has_no_hubspot_port_to_fix(tmp_path) -> None:
    with pytest.raises(SandboxError, match="needs the second process"):
        start(DataDir(tmp_path / "sandbox"), one_process=True, hs_port=_free_port())
