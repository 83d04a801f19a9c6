"""Start, find and stop sandbox servers (used by the CLI, the pytest fixture and benches)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import requests

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.tls import ensure_tls


class SandboxError(RuntimeError):
    """The sandbox could not be started, reached or stopped."""


@dataclass
class RunningSandbox:
    """A live server: where it is and how to steer it.

    ``pid``/``port`` are the process serving Salesforce and the control API (the one to
    stop); ``hs_pid``/``hs_port`` the one serving HubSpot (None: the same process).
    """

    data_dir: DataDir
    pid: int
    port: int
    hs_pid: int | None = None
    hs_port: int | None = None

    @classmethod
    def from_runtime(cls, data_dir: DataDir, runtime: dict[str, Any]) -> RunningSandbox:
        hs_pid, hs_port = runtime.get("hs_pid"), runtime.get("hs_port")
        return cls(
            data_dir,
            int(runtime["pid"]),
            int(runtime["port"]),
            int(hs_pid) if hs_pid else None,
            int(hs_port) if hs_port else None,
        )

    @property
    def base_url(self) -> str:
        """Salesforce's login and instance URL, and the control API's."""
        return self.data_dir.base_url(self.port)

    @property
    def hs_base_url(self) -> str:
        return self.data_dir.base_url(self.hs_port or self.port)

    @property
    def pids(self) -> list[int]:
        """Every server process (the sandbox's CPU and memory are their sum)."""
        return [self.pid] + ([self.hs_pid] if self.hs_pid else [])

    def api_pid(self, api: str) -> int:
        """The process serving ``api`` (``salesforce`` or ``hubspot``)."""
        return self.hs_pid if api == "hubspot" and self.hs_pid else self.pid

    @property
    def env(self) -> dict[str, str]:
        return self.data_dir.env(self.port, self.hs_port)

    @property
    def ca_bundle(self) -> str:
        return str(self.data_dir.ca_bundle)

    def control(self, method: str, path: str, json: Any = None, timeout: float = 600) -> Any:
        """Call the control API (``/__sandbox/...``) and return its JSON."""
        reply = requests.request(
            method,
            f"{self.base_url}/__sandbox/{path}",
            json=json,
            verify=self.ca_bundle,
            timeout=timeout,
        )
        if reply.status_code >= 400:
            raise SandboxError(f"{method} /__sandbox/{path}: {reply.status_code} {reply.text}")
        return reply.json()

    # Conveniences used all over the tests and benchmarks.
    def stats(self) -> dict[str, Any]:
        return self.control("GET", "stats")

    def clear_stats(self) -> None:
        self.control("DELETE", "stats")

    def reset(self, apis: list[str] | None = None) -> None:
        self.control("POST", "reset", {"apis": apis} if apis else {})

    def seed(self, seed: int = 42, **counts: dict[str, int]) -> dict[str, Any]:
        return self.control("POST", "seed", {"seed": seed, **counts})

    def set_faults(self, replace: bool = True, **settings: Any) -> dict[str, Any]:
        return self.control("PUT" if replace else "PATCH", "faults", settings)

    def clock(self, **change: Any) -> dict[str, Any]:
        return self.control("POST", "clock", change) if change else self.control("GET", "clock")


def server_command(data_dir: DataDir, *options: str) -> list[str]:
    """The command line of a server process on ``data_dir``."""
    return [
        sys.executable,
        "-m",
        "crm_sandbox.core.server",
        "--data-dir",
        str(data_dir.path),
        *options,
    ]


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie awaiting its reaper is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = open(f"/proc/{pid}/stat").read()  # noqa: SIM115
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def find_running(data_dir: DataDir) -> RunningSandbox | None:
    """The server running on ``data_dir``, if it answers."""
    runtime = data_dir.read_json("runtime.json")
    if not runtime or not _alive(int(runtime["pid"])):
        return None
    handle = RunningSandbox.from_runtime(data_dir, runtime)
    try:
        handle.control("GET", "health", timeout=5)
    except (requests.RequestException, SandboxError):
        return None
    return handle


def live_server_pid(data_dir: DataDir) -> int | None:
    """The pid in ``runtime.json`` if that process is alive (answering or not)."""
    runtime = data_dir.read_json("runtime.json")
    if runtime and _alive(int(runtime["pid"])):
        return int(runtime["pid"])
    return None


def _wait_for(data_dir: DataDir, timeout: float) -> RunningSandbox | None:
    """The live server once it answers; None if it exits or stays silent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and live_server_pid(data_dir) is not None:
        handle = find_running(data_dir)
        if handle is not None:
            return handle
        time.sleep(0.05)
    return None


def start(
    data_dir: DataDir,
    port: int = 0,
    settings: FaultSettings | None = None,
    timeout: float = 60.0,
    one_process: bool = False,
    hs_port: int = 0,
) -> RunningSandbox:
    """Start a server in the background and return once it answers over HTTPS.

    It serves HubSpot from a second process on a port of its own (``hs_port``; 0: any
    free port) unless ``one_process`` (or ``CRM_SANDBOX_ONE_PROCESS=1`` in the environment).
    A server already running on ``data_dir`` is returned as it is (its ports included)."""
    if one_process and hs_port:
        raise SandboxError("a HubSpot port needs the second process: drop --one-process")
    data_dir.ensure()
    existing = find_running(data_dir)
    if existing is None and live_server_pid(data_dir) is not None:
        # Alive but slow to answer (a busy machine): never start a second server on the
        # same files, two writers would each cache ids and snapshots the other changes.
        existing = _wait_for(data_dir, timeout)
        if existing is None and live_server_pid(data_dir) is not None:
            raise SandboxError(
                f"a sandbox server (pid {live_server_pid(data_dir)}) runs on {data_dir.path} "
                f"but does not answer; see {data_dir.log_file}"
            )
    if existing is not None:
        if settings is not None:
            existing.set_faults(**settings.as_dict())
        return existing
    ensure_tls(data_dir)
    data_dir.write_json("settings.json", (settings or FaultSettings()).as_dict())
    data_dir.remove("runtime.json")
    log = open(data_dir.log_file, "ab")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(
        server_command(
            data_dir,
            "--port",
            str(port),
            *(["--hs-port", str(hs_port)] if hs_port else []),
            *(["--one-process"] if one_process else []),
        ),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = data_dir.log_file.read_text(errors="replace")[-2000:]
            raise SandboxError(f"sandbox server exited with {proc.returncode}:\n{tail}")
        runtime = data_dir.read_json("runtime.json")
        if runtime and runtime.get("pid") == proc.pid:
            handle = RunningSandbox.from_runtime(data_dir, runtime)
            try:
                handle.control("GET", "health", timeout=2)
                return handle
            except (requests.RequestException, SandboxError):
                pass
        time.sleep(0.05)
    proc.kill()
    raise SandboxError(f"sandbox did not answer within {timeout:.0f}s; see {data_dir.log_file}")


def stop(data_dir: DataDir, timeout: float = 15.0) -> bool:
    """Stop the server of ``data_dir``; False if none was running."""
    runtime = data_dir.read_json("runtime.json")
    if not runtime or not _alive(int(runtime["pid"])):
        data_dir.remove("runtime.json")
        return False
    pid = int(runtime["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            break
        with contextlib.suppress(ChildProcessError):  # reap it if it is our child
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
    data_dir.remove("runtime.json")
    return True
